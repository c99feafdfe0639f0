import { expect, test } from "@playwright/test";

// GraphiQL with the network cut: every request that leaves the API's origin is aborted (and recorded), so the
// page only renders if the editor, its workers, styles and fonts all come from the API.
test("GraphiQL renders, runs a query and shows the docs with only our origin reachable", async ({ page, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const blocked: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto("/graphql");
  const editor = page.locator(".graphiql-query-editor .monaco-editor");
  await expect(editor).toBeVisible({ timeout: 30_000 });
  await expect(editor).toContainText("logIn(handle:");

  // Run the prefilled LogIn operation (the document has several: GraphiQL asks which one). The test database
  // has no demo user, so the answer is the API's UNAUTHENTICATED error: a round trip through the API.
  await page.getByRole("button", { name: /Execute query/ }).click();
  await page.getByRole("menuitem", { name: "LogIn" }).click();
  await expect(page.locator(".graphiql-response")).toContainText("wrong handle or password", { timeout: 15_000 });

  // The docs explorer reads the schema by introspection.
  await page.getByRole("button", { name: /Show Documentation Explorer/ }).click();
  await expect(page.locator(".graphiql-doc-explorer")).toContainText("Query", { timeout: 15_000 });

  expect(blocked).toEqual([]);
  expect(errors).toEqual([]);
});
