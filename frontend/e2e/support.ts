import {
  test as base, expect, type APIRequestContext, type Browser, type BrowserContextOptions, type Page,
} from "@playwright/test";

// Helpers shared by the specs: seeding goes through the real GraphQL API; what a user does goes through the UI.
export const SHOTS = process.env.FEEDLINE_E2E_SCREENSHOTS ?? "../artifacts/screenshots";
export const PASSWORD = "secret-pass-1";
export const PHONE = { width: 390, height: 844 };
export const uniq = () => Math.random().toString(36).slice(2, 8);
export const shot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });

/**
 * Playwright's test, closing at its end every browser context it opened with `browser.newContext()` (openAs,
 * a second viewer): Playwright closes only the contexts of its own `page` and `context` fixtures, and the
 * browser outlives the test, so a context left open kept its signed-in page running (a live subscription,
 * timers that update relative times) beside every later spec.
 */
export const test = base.extend<{ closeOwnContexts: void }>({
  closeOwnContexts: [async ({ browser }, use) => {
    const before = new Set(browser.contexts());
    await use();
    await Promise.all(browser.contexts().filter((ctx) => !before.has(ctx)).map((ctx) => ctx.close()));
  }, { auto: true }],
});
export { expect };

export async function gql(request: APIRequestContext, query: string, variables: object, token?: string, base = "") {
  const res = await request.post(`${base}/graphql`, {
    data: { query, variables },
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await res.json();
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

export const signUp = async (request: APIRequestContext, handle: string, displayName?: string) =>
  (await gql(request, "mutation($h:String!,$p:String!,$d:String){signUp(handle:$h,password:$p,displayName:$d){token}}",
    { h: handle, p: PASSWORD, d: displayName ?? null })).signUp.token as string;
export const follow = (request: APIRequestContext, token: string, handle: string) =>
  gql(request, "mutation($h:String!){follow(handle:$h){id}}", { h: handle }, token);
export const post = async (request: APIRequestContext, token: string, text: string, base = "") =>
  (await gql(request, "mutation($t:String!){postTweet(text:$t){id}}", { t: text }, token, base)).postTweet.id as string;

/** A new browser context signed in with `token`, on the home feed. */
export async function openAs(browser: Browser, token: string, options: BrowserContextOptions = {}): Promise<Page> {
  const ctx = await browser.newContext(options);
  await ctx.addInitScript((t) => localStorage.setItem("feedline.token", t), token);
  const page = await ctx.newPage();
  await page.goto("/");
  await expect(page.getByRole("region", { name: "Home timeline" })).toBeVisible();
  return page;
}

export const phoneOptions: BrowserContextOptions = { viewport: PHONE, isMobile: true, hasTouch: true };
export const tweet = (page: Page, text: string) => page.getByTestId("tweet").filter({ hasText: text });
