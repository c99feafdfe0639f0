// Regenerates typed operations into a temp dir and fails if src/gql differs.
import { execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = mkdtempSync(join(tmpdir(), "feedline-codegen-"));
execSync("npx graphql-codegen --config codegen.ts", {
  stdio: "inherit",
  env: { ...process.env, CODEGEN_OUT_DIR: out + "/" },
});
const fresh = readdirSync(out).sort();
const committed = readdirSync("src/gql").sort();
const stale = [];
if (fresh.join() !== committed.join()) stale.push(`file list: ${committed} vs ${fresh}`);
for (const name of fresh) {
  const a = readFileSync(join(out, name), "utf8");
  let b = "";
  try { b = readFileSync(join("src/gql", name), "utf8"); } catch { /* missing */ }
  if (a !== b) stale.push(name);
}
if (stale.length) {
  console.error("codegen output is stale; run `npm run codegen`:", stale.join(", "));
  process.exit(1);
}
console.log("codegen up to date");
