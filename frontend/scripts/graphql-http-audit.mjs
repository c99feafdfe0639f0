// Runs graphql-http's server audit (the GraphQL-over-HTTP spec's MUST / SHOULD / MAY checks) against a running
// Feedline API and prints one JSON line per audit: {id, name, status, reason}. Usage:
//   node scripts/graphql-http-audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from "graphql-http";

const url = process.argv[2] ?? "http://127.0.0.1:8000/graphql";
const results = await auditServer({ url });
for (const r of results) {
  console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.status === "ok" ? "" : r.reason }));
}
