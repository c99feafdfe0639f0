// GraphiQL's own build (`npm run build` runs it after the web client's when its inputs changed): graphiql/ ->
// graphiql/dist/, served by the API (the page at GET /graphql for browsers, its assets under /graphiql/).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  root: "graphiql",
  base: "/graphiql/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  worker: { format: "es" },
});
