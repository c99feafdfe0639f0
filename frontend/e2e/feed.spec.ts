import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

// Seeds through the real GraphQL API; the app must run with FEEDLINE_CELEBRITY_THRESHOLD=2.
const SHOTS = "../artifacts/screenshots";
const uniq = () => Math.random().toString(36).slice(2, 8);

async function gql(request: APIRequestContext, query: string, variables: object, token?: string) {
  const res = await request.post("/graphql", {
    data: { query, variables },
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await res.json();
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

const signUp = async (request: APIRequestContext, handle: string) =>
  (await gql(request, "mutation($h:String!){signUp(handle:$h,password:\"secret-pass-1\"){token}}", { h: handle })).signUp.token as string;
const follow = (request: APIRequestContext, token: string, handle: string) =>
  gql(request, "mutation($h:String!){follow(handle:$h){id}}", { h: handle }, token);
const post = async (request: APIRequestContext, token: string, text: string) =>
  (await gql(request, "mutation($t:String!){postTweet(text:$t){id}}", { t: text }, token)).postTweet.id as string;

async function openAs(browser: Browser, token: string): Promise<Page> {
  const ctx = await browser.newContext();
  await ctx.addInitScript((t) => localStorage.setItem("feedline.token", t), token);
  const page = await ctx.newPage();
  await page.goto("/");
  await expect(page.getByRole("region", { name: "Home timeline" })).toBeVisible();
  return page;
}

test("live feed, infinite scroll, celebrity merge and delete", async ({ browser, request }) => {
  const a = `a${uniq()}`, b = `b${uniq()}`, celeb = `c${uniq()}`, fan = `f${uniq()}`;
  const ta = await signUp(request, a), tb = await signUp(request, b);
  const tc = await signUp(request, celeb), tf = await signUp(request, fan);
  await follow(request, ta, b);
  // Celebrity: 2 followers (A and another fan) reaches the threshold of 2.
  await follow(request, ta, celeb);
  await follow(request, tf, celeb);
  for (let i = 0; i < 45; i++) await post(request, tb, `seed ${i} from ${b}`);
  const celebTweet = await post(request, tc, `celebrity says hi ${celeb}`);

  const pageA = await openAs(browser, ta);
  const celebEntry = pageA.locator(`[data-tweet-id="${celebTweet}"]`);
  await expect(celebEntry).toBeVisible();
  await expect(celebEntry.getByTestId("marker-celebrity")).toBeVisible();

  // Infinite scroll: keep scrolling to the sentinel until all 46 entries are shown, without duplicates.
  const tweets = pageA.getByTestId("tweet");
  for (let i = 0; i < 10 && (await tweets.count()) < 46; i++) {
    await pageA.getByTestId("feed-end").scrollIntoViewIfNeeded();
    await pageA.waitForTimeout(500);
  }
  const ids = await tweets.evaluateAll((els) => els.map((e) => e.getAttribute("data-tweet-id")));
  expect(ids.length).toBe(46);
  expect(new Set(ids).size).toBe(ids.length);
  await pageA.screenshot({ path: `${SHOTS}/e2e-feed.png`, fullPage: false });

  // B posts from its own browser context; A sees it live without reloading.
  const pageB = await openAs(browser, tb);
  await pageB.getByLabel("What's happening?").fill(`live from ${b}`);
  await pageB.getByRole("button", { name: "Tweet" }).click();
  await expect(pageA.getByTestId("new-tweets-bar")).toHaveText("Show 1 new tweet");
  await pageA.getByTestId("new-tweets-bar").click();
  const live = pageA.getByTestId("tweet").filter({ hasText: `live from ${b}` });
  await expect(live).toBeVisible();
  await pageA.screenshot({ path: `${SHOTS}/e2e-live.png` });

  // B deletes it; it disappears from A's view.
  await pageB.goto(`/u/${b}`);
  await pageB.getByTestId("tweet").filter({ hasText: `live from ${b}` }).getByRole("button", { name: "Delete tweet" }).click();
  await expect(live).toHaveCount(0);
});
