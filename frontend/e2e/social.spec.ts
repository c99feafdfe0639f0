import type { APIRequestContext, Page } from "@playwright/test";
import { expect, follow, gql, openAs, post, shot, signUp, test, tweet, uniq } from "./support";

// Replies, reposts, mutes, blocks and the repost setting of a follow, each with two (or three) fresh users.
// Seeding goes through the API; what the user under test does goes through the UI.

const reply = async (request: APIRequestContext, token: string, text: string, to: string) =>
  (await gql(request, "mutation($t:String!,$r:ID){postTweet(text:$t,inReplyTo:$r){id}}", { t: text, r: to }, token))
    .postTweet.id as string;
const repost = (request: APIRequestContext, token: string, id: string) =>
  gql(request, "mutation($id:ID!){repost(id:$id){id}}", { id }, token);

// A reader following fewer than five accounts is a newcomer whose feed mixes in trending suggestions (any
// recent tweet of the other specs): readers here follow these quiet accounts too, so their feeds hold only
// what the rules under test put there.
const quiet: string[] = [];
test.beforeAll(async ({ request }) => {
  for (let i = 0; i < 5; i++) {
    const handle = `q${uniq()}`;
    await signUp(request, handle, "Quiet Account");
    quiet.push(handle);
  }
});
const settle = (request: APIRequestContext, token: string) => Promise.all(quiet.map((h) => follow(request, token, h)));

const focusedTweet = (page: Page) => page.locator("article.tweet.focused");

test("social: reply from the feed, the thread page and its replies, a deleted tweet", async ({ browser, request }) => {
  const a = `ra${uniq()}`, b = `rb${uniq()}`;
  const [ta, tb] = await Promise.all([signUp(request, a, "Ada Replier"), signUp(request, b, "Bo Asker")]);
  await Promise.all([follow(request, ta, b), follow(request, tb, a)]);
  const question = await post(request, tb, `question from ${b}`);
  const page = await openAs(browser, ta);
  await expect(tweet(page, `question from ${b}`)).toBeVisible({ timeout: 30_000 }); // the first test: a cold API

  // Reply opens the tweet's page with the reply box focused.
  await tweet(page, `question from ${b}`).getByRole("link", { name: "Reply, 0 replies" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${question}$`));
  const box = page.getByLabel(`Your reply to @${b}`);
  await expect(box).toBeFocused();
  await box.fill(`answer from ${a}`);
  await page.getByRole("button", { name: "Reply", exact: true }).click();
  const replies = page.getByRole("region", { name: "Replies" }).getByTestId("tweet");
  await expect(replies.filter({ hasText: `answer from ${a}` })).toBeVisible();
  await expect(focusedTweet(page).getByTestId("reply-count")).toHaveText("1");
  await expect(box).toHaveValue("");
  await expect(page.getByRole("button", { name: "Reply", exact: true })).toBeFocused(); // focus stays where it was
  await shot(page, "40-tweet-page");

  // The reply's own page shows what it replies to, above it.
  await replies.filter({ hasText: `answer from ${a}` }).getByTestId("tweet-link").click();
  await expect(page.getByRole("region", { name: "Earlier in the thread" }).getByText(`question from ${b}`)).toBeVisible();
  await expect(focusedTweet(page).getByTestId("replying-to")).toHaveText(`Replying to @${b}`);
  await expect(focusedTweet(page)).toContainText(`answer from ${a}`);

  // Replies come oldest first, ten at a time.
  for (let i = 0; i < 10; i++) await reply(request, tb, `more ${i} from ${b}`, question);
  await page.goto(`/t/${question}`);
  await expect(replies).toHaveCount(10);
  await expect(replies.first()).toContainText(`answer from ${a}`);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(replies).toHaveCount(11);
  await expect(replies.last()).toContainText(`more 9 from ${b}`);

  // The tweet is deleted meanwhile: replying says so with the NOT_FOUND words, and so does its page.
  await gql(request, "mutation($id:ID!){deleteTweet(id:$id)}", { id: question }, tb);
  await box.fill("too late");
  await page.getByRole("button", { name: "Reply", exact: true }).click();
  await expect(page.getByTestId("reply-error")).toHaveText("That doesn't exist (anymore).");
  await page.reload();
  await expect(page.getByTestId("tweet-not-found")).toContainText("That doesn't exist (anymore).");
});

test("social: repost and undo; a follower of the reposter sees who reposted it, live", async ({ browser, request }) => {
  const a = `pa${uniq()}`, r = `pr${uniq()}`, c = `pc${uniq()}`;
  const [ta, tr, tc] = await Promise.all([
    signUp(request, a, "Ari Author"), signUp(request, r, "Rue Reposter"), signUp(request, c, "Cy Reader"),
  ]);
  await Promise.all([follow(request, tr, a), follow(request, tc, r), settle(request, tc)]); // c does not follow a
  await post(request, ta, `original by ${a}`);
  const reader = await openAs(browser, tc);
  await expect(reader.getByText("Welcome to your timeline.")).toBeVisible();
  await expect(reader.getByTestId("live-status")).toHaveText("Live");

  const page = await openAs(browser, tr);
  const original = tweet(page, `original by ${a}`);
  const button = original.getByTestId("repost-button");
  await expect(button).toHaveAccessibleName("Repost, 0 reposts");
  await button.click();
  await expect(button).toHaveAttribute("aria-pressed", "true");
  await expect(original.getByTestId("repost-count")).toHaveText("1");
  await expect(button).toBeFocused();

  // The reader's open feed gets it live, with the line naming who reposted it.
  await reader.getByTestId("new-tweets-bar").click();
  const seen = tweet(reader, `original by ${a}`);
  await expect(seen.getByTestId("reposted-by")).toContainText("Reposted by Rue Reposter");
  await expect(seen.getByTestId("repost-count")).toHaveText("1");
  await shot(reader, "41-reposted-by");

  // Undo: the count goes back and the entry leaves the reader's open feed.
  await button.click();
  await expect(button).toHaveAttribute("aria-pressed", "false");
  await expect(original.getByTestId("repost-count")).toHaveText("0");
  await expect(button).toBeFocused();
  await expect(seen).toHaveCount(0);
  await reader.reload();
  await expect(reader.getByText("Welcome to your timeline.")).toBeVisible();
});

test("social: a mute empties the open feed of that account at once; a mute elsewhere reaches it live", async ({ browser, request }) => {
  const v = `mv${uniq()}`, m = `mm${uniq()}`, o = `mo${uniq()}`, p = `mp${uniq()}`;
  const [tv, tm, to, tp] = await Promise.all([
    signUp(request, v, "Vi Viewer"), signUp(request, m, "Mo Muted"), signUp(request, o, "Oz Other"),
    signUp(request, p, "Pi Phone"),
  ]);
  await Promise.all([follow(request, tv, m), follow(request, tv, o), follow(request, tv, p), settle(request, tv)]);
  await post(request, tm, `one by ${m}`);
  await post(request, to, `one by ${o}`);
  await post(request, tm, `two by ${m}`);
  await post(request, tp, `one by ${p}`);
  const page = await openAs(browser, tv);
  await expect(tweet(page, `one by ${p}`)).toBeVisible();
  await expect(page.getByTestId("tweet").filter({ hasText: ` by ${m}` })).toHaveCount(2);
  await expect(page.getByTestId("live-status")).toHaveText("Live");

  // From the tweet's menu: both of their tweets leave at once; focus goes to a tweet that stays.
  await tweet(page, `two by ${m}`).getByRole("button", { name: `More options for this tweet by @${m}` }).click();
  await expect(page.getByRole("button", { name: `Mute @${m}` })).toBeFocused();
  await shot(page, "42-tweet-menu");
  await page.getByRole("button", { name: `Mute @${m}` }).click();
  await expect(page.getByTestId("tweet").filter({ hasText: ` by ${m}` })).toHaveCount(0);
  await expect(tweet(page, `one by ${o}`)).toBeVisible();
  await expect(page.locator("article.tweet:focus")).toHaveAttribute("data-author", o);

  // What they post from now on does not arrive; what others post does.
  await post(request, tm, `three by ${m}`);
  await post(request, to, `two by ${o}`);
  await page.getByTestId("new-tweets-bar").click();
  await expect(tweet(page, `two by ${o}`)).toBeVisible();
  await expect(page.getByTestId("tweet").filter({ hasText: ` by ${m}` })).toHaveCount(0);

  // A mute from another device: the server's live events take that account's entries out of this open feed.
  await gql(request, "mutation($h:String!){mute(handle:$h){id}}", { h: p }, tv);
  await expect(tweet(page, `one by ${p}`)).toHaveCount(0);
  await expect(tweet(page, `one by ${o}`)).toBeVisible();

  // The profile says so, and unmutes (focus stays on the button).
  await page.goto(`/u/${m}`);
  await expect(page.getByTestId("muted-notice")).toBeVisible();
  const unmute = page.getByRole("button", { name: `Unmute @${m}` });
  await unmute.click();
  await expect(page.getByRole("button", { name: `Mute @${m}` })).toBeFocused();
  await expect(page.getByTestId("muted-notice")).toHaveCount(0);
  await page.getByRole("link", { name: "Home", exact: true }).first().click();
  await expect(tweet(page, `three by ${m}`)).toBeVisible();
});

test("social: a block removes the follows both ways and refuses a follow across it", async ({ browser, request }) => {
  const x = `bx${uniq()}`, y = `by${uniq()}`;
  const [tx, ty] = await Promise.all([signUp(request, x, "Xia Blocker"), signUp(request, y, "Yan Blocked")]);
  await Promise.all([follow(request, tx, y), follow(request, ty, x)]);
  await post(request, ty, `a tweet by ${y}`);
  const page = await openAs(browser, tx);
  await page.goto(`/u/${y}`);
  const actions = page.getByTestId("profile-actions");
  await expect(actions.getByTestId("follow-button")).toHaveText(`Following @${y}`);
  await expect(page.getByText("Follows you")).toBeVisible();
  await expect(page.getByRole("tab", { name: "1 follower" })).toBeVisible();
  await expect(tweet(page, `a tweet by ${y}`)).toBeVisible();

  await page.getByRole("button", { name: `Block @${y}` }).click();
  const dialog = page.getByRole("dialog", { name: `Block @${y}?` });
  await expect(dialog).toBeVisible();
  await shot(page, "43-block-confirm");
  await dialog.getByRole("button", { name: "Block", exact: true }).click();
  await expect(page.getByRole("button", { name: `Unblock @${y}` })).toBeFocused();
  await expect(page.getByTestId("blocked-notice")).toBeVisible();
  await expect(actions.getByTestId("follow-button")).toHaveCount(0);
  await expect(page.getByText("Follows you")).toHaveCount(0);
  await expect(page.getByRole("tab", { name: "0 followers" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "0 following" })).toBeVisible();
  await expect(tweet(page, `a tweet by ${y}`)).toHaveCount(0);
  await page.goto(`/u/${x}`);
  await expect(page.getByRole("tab", { name: "0 followers" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "0 following" })).toBeVisible();

  // The blocked account sees the follows gone, and a follow is refused with the FORBIDDEN words.
  const other = await openAs(browser, ty);
  await other.goto(`/u/${x}`);
  const followButton = other.getByTestId("profile-actions").getByTestId("follow-button");
  await expect(followButton).toHaveText(`Follow @${x}`);
  await expect(other.getByRole("tab", { name: "0 followers" })).toBeVisible();
  await followButton.click();
  await expect(other.getByTestId("profile-actions").getByRole("alert")).toHaveText("You're not allowed to do that.");
  await expect(followButton).toHaveText(`Follow @${x}`);

  // Unblocking does not bring the follows back.
  await page.goto(`/u/${y}`);
  await page.getByRole("button", { name: `Unblock @${y}` }).click();
  await expect(page.getByRole("button", { name: `Block @${y}` })).toBeFocused();
  await expect(actions.getByTestId("follow-button")).toHaveText(`Follow @${y}`);
  await expect(tweet(page, `a tweet by ${y}`)).toBeVisible();
});

test("social: turning a follow's reposts off hides that account's reposts", async ({ browser, request }) => {
  const v = `sv${uniq()}`, r = `sr${uniq()}`, s = `ss${uniq()}`;
  const [tv, tr, ts] = await Promise.all([
    signUp(request, v, "Val Viewer"), signUp(request, r, "Ray Reposter"), signUp(request, s, "Sol Stranger"),
  ]);
  await Promise.all([follow(request, tv, r), settle(request, tv)]); // v does not follow s
  const original = await post(request, ts, `original by ${s}`);
  await repost(request, tr, original);
  await post(request, tr, `own tweet by ${r}`);
  const page = await openAs(browser, tv);
  await expect(tweet(page, `own tweet by ${r}`)).toBeVisible();
  await expect(tweet(page, `original by ${s}`).getByTestId("reposted-by")).toContainText("Reposted by Ray Reposter");

  await page.goto(`/u/${r}`);
  const toggle = page.getByRole("switch", { name: "Show reposts" });
  await expect(toggle).toHaveAttribute("aria-checked", "true");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-checked", "false");
  await expect(toggle).toBeFocused();
  await shot(page, "44-profile-reposts-off");
  await page.reload(); // the setting is the server's
  await expect(page.getByRole("switch", { name: "Show reposts" })).toHaveAttribute("aria-checked", "false");

  await page.getByRole("link", { name: "Home", exact: true }).first().click();
  await expect(tweet(page, `own tweet by ${r}`)).toBeVisible();
  await expect(tweet(page, `original by ${s}`)).toHaveCount(0);
});
