import base from "../playwright.config";
import { defineConfig } from "@playwright/test";

// GraphiQL's browser check, run by tests/e2e/test_graphiql.py (API started by the test):
// FEEDLINE_E2E_URL=http://127.0.0.1:8000 npx playwright test --config graphiql/playwright.config.ts
export default defineConfig({ ...base, testDir: "e2e" });
