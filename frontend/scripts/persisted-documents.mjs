// Build step: puts the trusted-documents manifest (hash -> operation, written by `npm run codegen` into
// src/gql/) next to the build, as dist/persisted-documents.json. The API loads it at start and answers the
// production client's hash-only requests from it.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";

const source = "src/gql/persisted-documents.json";
if (!existsSync(source)) {
  console.error(`${source} is missing: run \`npm run codegen\``);
  process.exit(1);
}
mkdirSync("dist", { recursive: true });
copyFileSync(source, "dist/persisted-documents.json");
