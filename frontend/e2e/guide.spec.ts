import { expect, test } from "./support";

// The Neo4j Browser (served by the test Neo4j) plays Feedline's guide from the API: `:play <api>/guide/feedline.html`
// needs the Browser's hostname whitelist and the guide's CORS (including the preflight the Browser triggers).
const BROWSER = process.env.FEEDLINE_E2E_NEO4J_BROWSER; // e.g. http://127.0.0.1:7474/browser/
const BOLT = process.env.FEEDLINE_E2E_NEO4J_BOLT; // e.g. bolt://127.0.0.1:7687
const USER = process.env.FEEDLINE_E2E_NEO4J_USER ?? "neo4j";
const PASSWORD = process.env.FEEDLINE_E2E_NEO4J_PASSWORD ?? "";
const SHOTS = process.env.FEEDLINE_E2E_SCREENSHOTS ?? "../artifacts/screenshots";

test("the Neo4j Browser plays the Feedline guide and its cards fill the editor", async ({ page, baseURL }) => {
  test.setTimeout(100_000); // connecting may take 20 s and sending the command up to 50 s
  test.skip(!BROWSER || !BOLT, "needs FEEDLINE_E2E_NEO4J_BROWSER and FEEDLINE_E2E_NEO4J_BOLT (tests/e2e runs it)");
  const bolt = new URL(BOLT!.replace(/^bolt:/, "http:"));
  await page.goto(`${BROWSER}?dbms=bolt://${USER}@${bolt.host}`);
  await page.locator('input[type="password"]').fill(PASSWORD);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.getByText("You are connected as user")).toBeVisible({ timeout: 20_000 });

  // The editor can still be settling right after connecting, and keystrokes typed then may be lost (the command,
  // or the Enter that runs it): the command is sent only once the editor shows all of it, and typed and sent
  // again if the guide has not appeared a while later.
  const command = `:play ${baseURL}/guide/feedline.html`;
  const editor = page.locator(".monaco-editor").first();
  const heading = page.getByRole("heading", { name: "Feedline: the social graph behind the feed" }).first();
  await expect(async () => {
    if (await heading.isVisible()) return;
    await page.locator(".monaco-editor textarea").first().click({ force: true });
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Backspace");
    await page.keyboard.type(command);
    await expect(editor).toContainText(command, { timeout: 2_000 });
    await page.keyboard.press("Enter");
    await expect(heading).toBeVisible({ timeout: 10_000 });
  }).toPass({ timeout: 50_000 });
  await page.getByRole("listitem", { name: "6", exact: true }).first().click();
  const card = page.getByText("CALL (me) { MATCH").first();
  await expect(card).toBeVisible();
  await card.click();
  await expect(page.locator(".monaco-editor").first()).toContainText("ORDER BY t.id DESC LIMIT 20");
  await page.screenshot({ path: `${SHOTS}/15-neo4j-browser-guide.png` });
});
