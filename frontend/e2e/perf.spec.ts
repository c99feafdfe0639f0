import type { APIRequestContext } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import { expect, follow, gql, PASSWORD, post, signUp, test, uniq } from "./support";

// Login to the first feed on screen: from submitting the log-in form to the first tweet visible, with
// performance marks set by an init script (absolute times, so it works across a full page load too).
// Reported (printed and attached), not asserted: a timing assertion would flake on a shared machine.
const RUNS = 5;
const TYPING_DELAY_MS = 40; // between key presses: a fast typist

const homeIds = async (request: APIRequestContext, token: string) =>
  ((await gql(request, "{homeTimeline(first:20){edges{node{id}}}}", {}, token)).homeTimeline.edges as { node: { id: string } }[])
    .map((e) => e.node.id);
// The machine's load average (1 minute) beside the figure: on 2 shared cores it explains most of its spread.
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];
// CPU time (clock ticks) of every process, by pid, with its name: the report names who used the cores while
// the figure was measured (this suite's own servers and browser, or others).
function cpuTicks(): Map<string, { name: string; ticks: number }> {
  const seen = new Map<string, { name: string; ticks: number }>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const label = name === "python" || name.startsWith("python3") || name === "java" || name === "node"
        ? `${name} ${cmd.slice(1).find((a) => !a.startsWith("-"))?.split("/").pop() ?? ""}`.trim() : name;
      seen.set(pid, { name: label, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return seen;
}
function busiest(before: Map<string, { ticks: number }>, after: Map<string, { name: string; ticks: number }>): string {
  const used = new Map<string, number>();
  for (const [pid, now] of after) used.set(now.name, (used.get(now.name) ?? 0) + now.ticks - (before.get(pid)?.ticks ?? 0));
  return [...used.entries()].filter(([, t]) => t > 0).sort((a, b) => b[1] - a[1]).slice(0, 6)
    .map(([name, t]) => `${name} ${(t / 100).toFixed(1)} s`).join(", ");
}

test("login to first feed on screen (reported)", async ({ browser, request }, info) => {
  test.setTimeout(180_000); // five fresh page loads and log-ins, on a machine that may be busy
  const reader = `p${uniq()}`, writer = `q${uniq()}`;
  const token = await signUp(request, reader, "Perf Reader");
  const tw = await signUp(request, writer, "Perf Writer");
  await follow(request, token, writer);
  let last = "";
  for (let i = 0; i < 25; i++) last = await post(request, tw, `perf tweet ${i}`);
  // Timed once the worker has fanned the 25 posts out: a person logs in to a feed already written, not during
  // the writes of this test's own setup (which raced the first run for the machine's two cores).
  await expect.poll(async () => (await homeIds(request, token)).includes(last), { timeout: 30_000 }).toBe(true);

  // Nothing else runs in this browser while the figure is measured: the contexts earlier specs opened are
  // closed (support.ts's test), not left rendering their signed-in pages beside it.
  expect(browser.contexts()).toHaveLength(0);
  const figures: number[] = [];
  const started = cpuTicks();
  const startedAt = Date.now();
  for (let run = 0; run < RUNS; run++) {
    const ctx = await browser.newContext();
    await ctx.addInitScript(() => {
      const now = () => performance.timeOrigin + performance.now();
      document.addEventListener("submit", () => {
        performance.mark("login:submit");
        sessionStorage.setItem("perf.submit", String(now()));
      }, true);
      const seen = () => {
        const el = document.querySelector('[data-testid="tweet"]');
        if (!el || sessionStorage.getItem("perf.feed")) return false;
        performance.mark("feed:first-tweet");
        sessionStorage.setItem("perf.feed", String(now()));
        return true;
      };
      new MutationObserver((_m, obs) => { if (seen()) obs.disconnect(); })
        .observe(document, { childList: true, subtree: true });
    });
    const page = await ctx.newPage();
    await page.goto("/login");
    // Typed like a person types (Playwright's fill is instant): the submit then finds the page settled, as a
    // person's does, instead of racing its own load (the new browser context, the bundle's first run) for the
    // machine's two cores, which slowed the server's answers two to three times in the figure.
    await page.getByLabel("Handle").pressSequentially(reader, { delay: TYPING_DELAY_MS });
    await page.getByLabel("Password").pressSequentially(PASSWORD, { delay: TYPING_DELAY_MS });
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByTestId("tweet").first()).toBeVisible();
    await expect.poll(() => page.evaluate(() => sessionStorage.getItem("perf.feed"))).not.toBeNull();
    // The breakdown from the page's own clock: when each GraphQL request after the submit started and ended
    // (resource timings), so that the server's share and the client's share of the figure can be told apart.
    const { ms, steps } = await page.evaluate(() => {
      const submit = Number(sessionStorage.getItem("perf.submit")) - performance.timeOrigin;
      const feed = Number(sessionStorage.getItem("perf.feed")) - performance.timeOrigin;
      const steps = (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
        .filter((e) => new URL(e.name).pathname === "/graphql" && e.startTime >= submit && e.startTime <= feed)
        .map((e) => {
          const url = new URL(e.name);
          const op = url.searchParams.get("operationName") ?? "POST";
          // The server's own time (its Server-Timing header): the rest of the span is network and the browser.
          const server = e.serverTiming.find((t) => t.name === "app");
          const own = server ? ` (server ${Math.round(server.duration)})` : "";
          return `${op} ${Math.round(e.startTime - submit)}→${Math.round(e.responseEnd - submit)}${own}`;
        });
      return { ms: feed - submit, steps };
    });
    figures.push(Math.round(ms));
    console.log(`  run ${run + 1}: ${Math.round(ms)} ms; requests (ms after the submit): ${steps.join(", ")}; load ${loadAverage()}`);
    await ctx.close();
  }
  console.log(`  CPU used during the ${RUNS} runs (${((Date.now() - startedAt) / 1000).toFixed(0)} s on 2 cores): ` +
    busiest(started, cpuTicks()));
  const sorted = [...figures].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const line = `login-to-first-feed: median ${median} ms over ${RUNS} runs (${figures.join(", ")} ms)`;
  console.log(line);
  info.annotations.push({ type: "login-to-first-feed-ms", description: String(median) });
  await info.attach("login-to-first-feed.txt", { body: line, contentType: "text/plain" });
  expect(figures.every((x) => x > 0)).toBe(true);
});
