import type { Page } from "@playwright/test";
import { expect, follow, openAs, phoneOptions, post, shot, signUp, test, tweet, uniq } from "./support";

// Phones: a bottom navigation, a compose button, and tap targets at least 44 px tall. And the dark theme.
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>("a[href], button, input, textarea, [role=tab]")) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === "hidden" || el.closest(".skip-links, .sr-only")) continue;
      if (r.height < 44) out.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? "").trim().slice(0, 30)}" ${Math.round(r.height)}px`);
    }
    return out;
  });
}

test("phone: bottom navigation, compose button, 44 px tap targets, dark theme", async ({ browser, request }) => {
  const me = `h${uniq()}`, friend = `i${uniq()}`;
  const tm = await signUp(request, me, "Phone Person"), tf = await signUp(request, friend, "Ivy Friend");
  await follow(request, tm, friend);
  await follow(request, tf, me);
  for (let i = 0; i < 4; i++) await post(request, tf, `phone tweet ${i} ${friend}`);
  await post(request, tm, `my phone tweet ${me}`);
  const page = await openAs(browser, tm, phoneOptions);
  await expect(tweet(page, `phone tweet 0 ${friend}`)).toBeVisible();

  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeVisible();
  const box = (await nav.boundingBox())!;
  expect(box.y + box.height).toBeGreaterThan(844 - 2); // at the bottom of the screen
  for (const name of ["Home", "Search", "Profile"]) {
    const link = (await nav.getByRole("link", { name }).boundingBox())!;
    expect(link.height, name).toBeGreaterThanOrEqual(44);
  }
  const fab = page.getByRole("button", { name: "New tweet" });
  const fabBox = (await fab.boundingBox())!;
  expect(Math.min(fabBox.width, fabBox.height)).toBeGreaterThanOrEqual(44);
  expect(await smallTargets(page)).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await shot(page, "10-phone-home");

  // The compose button opens the composer from any page.
  await nav.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Phone Person" })).toBeVisible();
  await expect(tweet(page, `my phone tweet ${me}`)).toBeVisible();
  expect(await smallTargets(page)).toEqual([]);
  await shot(page, "11-phone-profile");
  await fab.click();
  await expect(page.getByLabel("What's happening?")).toBeFocused();
  await nav.getByRole("link", { name: "Search" }).click();
  await expect(page.getByRole("heading", { name: "Who to follow" })).toBeVisible();
  expect(await smallTargets(page)).toEqual([]);
  await shot(page, "12-phone-search-explore");

  // Dark theme on the phone.
  await page.emulateMedia({ colorScheme: "dark" });
  await nav.getByRole("link", { name: "Home" }).click();
  await expect(tweet(page, `phone tweet 0 ${friend}`)).toBeVisible();
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(bg).toBe("rgb(0, 0, 0)");
  await shot(page, "18-phone-home-dark");
});

test("dark theme follows prefers-color-scheme", async ({ browser, request }) => {
  const me = `d${uniq()}`, friend = `e${uniq()}`;
  const tm = await signUp(request, me, "Dee Dark"), tf = await signUp(request, friend, "Eve Friend");
  await follow(request, tm, friend);
  await post(request, tf, `a tweet at night ${friend}`);
  await post(request, tm, `mine at night ${me}`);
  const page = await openAs(browser, tm, { colorScheme: "dark" });
  await expect(tweet(page, `a tweet at night ${friend}`)).toBeVisible();
  const colors = await page.evaluate(() => {
    const card = document.querySelector<HTMLElement>('[data-testid="tweet"]')!;
    return { page: getComputedStyle(document.documentElement).backgroundColor, card: getComputedStyle(card).backgroundColor,
      text: getComputedStyle(card).color };
  });
  expect(colors).toEqual({ page: "rgb(0, 0, 0)", card: "rgb(22, 24, 28)", text: "rgb(231, 233, 234)" });
  await shot(page, "19-home-dark");
  await tweet(page, `mine at night ${me}`).getByRole("button", { name: "Delete tweet" }).click();
  await expect(page.getByRole("dialog", { name: "Delete tweet?" })).toBeVisible();
  await shot(page, "20-delete-confirm-dark");
  await page.keyboard.press("Escape");
  await page.emulateMedia({ colorScheme: "light" });
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor))
    .toBe("rgb(247, 249, 249)");
});
