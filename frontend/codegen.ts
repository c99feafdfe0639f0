import type { CodegenConfig } from "@graphql-codegen/cli";
import { addTypenameSelectionDocumentTransform } from "@graphql-codegen/client-preset";

// OUT_DIR lets codegen:check render into a temp dir and diff against src/gql.
const outDir = process.env.CODEGEN_OUT_DIR ?? "src/gql/";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: {
    [outDir]: {
      preset: "client",
      // Trusted documents: every operation gets its SHA-256 (`__meta__.hash`, also the APQ hash) and
      // src/gql/persisted-documents.json maps hash -> document; the API loads that manifest at start and the
      // production client sends only hashes (src/client.ts).
      presetConfig: { persistedDocuments: { hashAlgorithm: "sha256" } },
      // __typename in the documents themselves (graphcache adds it to what it sends), so the document the
      // server runs from the manifest is exactly the one the cache expects.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: { scalars: { DateTime: "string" } },
    },
  },
};

export default config;
