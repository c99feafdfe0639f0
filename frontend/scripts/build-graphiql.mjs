// Builds GraphiQL (graphiql/ -> graphiql/dist/, see vite.graphiql.config.ts) unless the build is newer than
// its inputs: it bundles Monaco and takes minutes on a small machine, and changes only with its sources or
// the pinned packages (package-lock.json).
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const inputs = ["graphiql/index.html", "graphiql/main.tsx", "vite.graphiql.config.ts", "package-lock.json"];
const built = "graphiql/dist/index.html";
const newest = Math.max(...inputs.map((p) => statSync(p).mtimeMs));
const assetsPresent = existsSync("graphiql/dist/assets") && readdirSync(join("graphiql", "dist", "assets")).length > 0;
if (existsSync(built) && assetsPresent && statSync(built).mtimeMs >= newest && !process.argv.includes("--force")) {
  console.log("GraphiQL build up to date");
} else {
  execSync("npx vite build --config vite.graphiql.config.ts", { stdio: "inherit" });
}
