import { defineConfig } from "@playwright/test";

// Driven by tests/e2e/test_browser.py (which starts the API, a worker and the services); by hand:
// FEEDLINE_E2E_URL=http://127.0.0.1:8000 npx playwright test (API started with FEEDLINE_CELEBRITY_THRESHOLD=2).
export default defineConfig({
  testDir: "e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  workers: 1,
  use: {
    baseURL: process.env.FEEDLINE_E2E_URL ?? "http://127.0.0.1:8000",
    headless: true,
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.FEEDLINE_E2E_CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    },
  },
});
