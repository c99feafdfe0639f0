import { expect, test } from "@playwright/test";

// The Neo4j Browser (served by the test Neo4j) plays Feedline's guide from the API: `:play <api>/guide/feedline.html`
// needs the Browser's hostname whitelist and the guide's CORS (including the preflight the Browser triggers).
const BROWSER = process.env.FEEDLINE_E2E_NEO4J_BROWSER; // e.g. http://127.0.0.1:7474/browser/
const BOLT = process.env.FEEDLINE_E2E_NEO4J_BOLT; // e.g. bolt://127.0.0.1:7687
const USER = process.env.FEEDLINE_E2E_NEO4J_USER ?? "neo4j";
const PASSWORD = process.env.FEEDLINE_E2E_NEO4J_PASSWORD ?? "";
const SHOTS = process.env.FEEDLINE_E2E_SCREENSHOTS ?? "../artifacts/screenshots";

test("the Neo4j Browser plays the Feedline guide and its cards fill the editor", async ({ page, baseURL }) => {
  test.skip(!BROWSER || !BOLT, "needs FEEDLINE_E2E_NEO4J_BROWSER and FEEDLINE_E2E_NEO4J_BOLT (tests/e2e runs it)");
  const bolt = new URL(BOLT!.replace(/^bolt:/, "http:"));
  await page.goto(`${BROWSER}?dbms=bolt://${USER}@${bolt.host}`);
  await page.locator('input[type="password"]').fill(PASSWORD);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.getByText("You are connected as user")).toBeVisible({ timeout: 20_000 });

  // The editor can still be settling right after connecting, and keystrokes typed then may be lost: the command
  // is sent only once the editor shows all of it, and typed again if it does not.
  const command = `:play ${baseURL}/guide/feedline.html`;
  const editor = page.locator(".monaco-editor").first();
  await expect(async () => {
    await page.locator(".monaco-editor textarea").first().click({ force: true });
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Backspace");
    await page.keyboard.type(command);
    await expect(editor).toContainText(command, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Feedline: the social graph behind the feed" })).toBeVisible({
    timeout: 20_000,
  });
  await page.getByRole("listitem", { name: "6", exact: true }).click();
  const card = page.getByText("CALL (me) { MATCH").first();
  await expect(card).toBeVisible();
  await card.click();
  await expect(page.locator(".monaco-editor").first()).toContainText("ORDER BY t.id DESC LIMIT 20");
  await page.screenshot({ path: `${SHOTS}/15-neo4j-browser-guide.png` });
});
