import type { CodegenConfig } from "@graphql-codegen/cli";

// OUT_DIR lets codegen:check render into a temp dir and diff against src/gql.
const outDir = process.env.CODEGEN_OUT_DIR ?? "src/gql/";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: { [outDir]: { preset: "client", config: { scalars: { DateTime: "string" } } } },
};

export default config;
