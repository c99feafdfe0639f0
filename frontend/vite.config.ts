/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      // One proxy entry serves both HTTP queries and the graphql-ws upgrade.
      "/graphql": { target: "http://127.0.0.1:8000", ws: true, changeOrigin: true },
    },
  },
  build: { outDir: "dist" },
  test: { environment: "jsdom", globals: true, include: ["src/**/*.test.{ts,tsx}"] },
});
