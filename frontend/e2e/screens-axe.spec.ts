import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, follow, gql, phoneOptions, post, signUp, test, uniq } from "./support";

// axe-core on every screen, in the light and the dark theme: no serious or critical violation.
// (Named to run after feed.spec.ts, whose sign-up story expects an empty world: no trending tweets yet.)
// The counts per screen (all impacts) are printed and attached to the report.
type Screen = { name: string; path: (w: World) => string; as?: "reader"; phone?: boolean; ready: (p: Page) => Promise<void> };
type World = { reader: string; writer: string; token: string; thread: string };

const visible = (sel: (p: Page) => ReturnType<Page["getByRole"]>) => async (p: Page) => {
  await expect(sel(p).first()).toBeVisible({ timeout: 20_000 });
};
const SCREENS: Screen[] = [
  { name: "sign-up", path: () => "/signup", ready: visible((p) => p.getByRole("heading", { name: "Join Feedline" })) },
  { name: "log-in", path: () => "/login", ready: visible((p) => p.getByRole("heading", { name: "Log in to Feedline" })) },
  { name: "404", path: () => "/no/such/page", ready: visible((p) => p.getByText("Page not found")) },
  { name: "home", path: () => "/", as: "reader", ready: async (p) => {
    await expect(p.getByTestId("tweet").first()).toBeVisible({ timeout: 20_000 });
    await expect(p.getByTestId("who-to-follow").getByTestId("user-row").first()).toBeVisible();
  } },
  { name: "profile", path: (w) => `/u/${w.writer}`, as: "reader", ready: async (p) => {
    await expect(p.getByTestId("tweet").first()).toBeVisible({ timeout: 20_000 });
  } },
  { name: "tweet page", path: (w) => `/t/${w.thread}`, as: "reader", ready: async (p) => {
    await expect(p.getByRole("region", { name: "Replies" }).getByTestId("tweet").first()).toBeVisible({ timeout: 20_000 });
    await expect(p.getByRole("region", { name: "Earlier in the thread" })).toBeVisible();
  } },
  { name: "search", path: (w) => `/search?q=${w.writer.slice(0, 3)}`, as: "reader",
    ready: async (p) => { await expect(p.getByTestId("user-row").first()).toBeVisible({ timeout: 20_000 }); } },
  { name: "phone home", path: () => "/", as: "reader", phone: true,
    ready: async (p) => { await expect(p.getByTestId("tweet").first()).toBeVisible({ timeout: 20_000 }); } },
];

let world: World;

test.beforeAll(async ({ request }) => {
  const reader = `x${uniq()}`, writer = `w${uniq()}`, other = `o${uniq()}`;
  const token = await signUp(request, reader, "Axe Reader");
  const tw = await signUp(request, writer, "Wren Writer");
  const to = await signUp(request, other, "Otto Other");
  await follow(request, token, writer);
  await follow(request, tw, other); // a friend of a friend for "Who to follow"
  await follow(request, to, writer);
  for (let i = 0; i < 3; i++) await post(request, tw, `audit tweet ${i} with a link-free text`);
  await post(request, token, "my own tweet, with a Delete button");
  // A thread for the tweet page: the writer's tweet, the reader's reply to it (the page shown), a reply to that.
  const replyTo = (t: string, text: string, id: string) =>
    gql(request, "mutation($t:String!,$r:ID){postTweet(text:$t,inReplyTo:$r){id}}", { t: text, r: id }, t);
  const top = await post(request, tw, "audit thread: a question for everyone");
  const thread = (await replyTo(token, "audit thread: the reader's answer", top)).postTweet.id as string;
  await replyTo(tw, "audit thread: thanks for the answer", thread);
  world = { reader, writer, token, thread };
});

for (const scheme of ["light", "dark"] as const) {
  test.describe(`${scheme} theme`, () => {
    for (const s of SCREENS) {
      test(`axe: ${s.name} (${scheme})`, async ({ browser }, info) => {
        const ctx = await browser.newContext({ colorScheme: scheme, ...(s.phone ? phoneOptions : {}) });
        if (s.as) await ctx.addInitScript((t) => localStorage.setItem("feedline.token", t), world.token);
        const page = await ctx.newPage();
        await page.goto(s.path(world));
        await s.ready(page);
        const results = await new AxeBuilder({ page }).analyze();
        const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        const summary = results.violations.map((v) => `${v.id} [${v.impact}] ×${v.nodes.length}`).join(", ");
        // One line per screen: serious+critical violations / all violations, then each rule with its node count.
        console.log(`axe ${s.name} (${scheme}): ${bad.length} / ${results.violations.length}${summary ? `: ${summary}` : ""}`);
        await info.attach(`axe-${s.name}-${scheme}.json`, { body: JSON.stringify(results.violations, null, 2),
          contentType: "application/json" });
        const detail = bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
        expect.soft(detail, `${s.name} (${scheme})`).toEqual([]);
        await ctx.close();
      });
    }
  });
}
