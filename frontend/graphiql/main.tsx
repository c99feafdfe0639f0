// GraphiQL served by the API at GET /graphql (browsers), built from pinned npm packages into dist/graphiql/ so
// it works with no internet: no CDN, every script, style, font and worker comes from our origin.
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

const TOKEN_PLACEHOLDER = "<token from logIn>";

const DEFAULT_QUERY = `# Feedline GraphiQL. The schema and its docs are in the Docs panel (book icon, left).
#
# 1. Log in as the demo user (run LogIn below with the play button).
# 2. Put the token in the Headers tab (bottom): {"Authorization": "Bearer <token>"}.
# 3. Run Feed, post with PostTweet, or watch Live (a subscription over websockets).

mutation LogIn {
  logIn(handle: "demo", password: "demo-password") { token user { handle } }
}

query Feed($after: String) {
  homeTimeline(first: 20, after: $after) {
    edges { source cursor node { id text createdAt likeCount author { handle isCelebrity } } }
    pageInfo { hasNextPage endCursor }
  }
}

mutation PostTweet {
  postTweet(text: "hello, Feedline") { id }
}

subscription Live {
  homeTimelineEvents { kind source tweetId tweet { text author { handle } } }
}
`;

const DEFAULT_HEADERS = JSON.stringify({ Authorization: `Bearer ${TOKEN_PLACEHOLDER}` }, null, 2);

const wsUrl = `${window.location.protocol === "https:" ? "wss:" : "ws:"}//${window.location.host}/graphql`;
const base = createGraphiQLFetcher({ url: "/graphql", subscriptionUrl: wsUrl });

/** The prefilled header is a hint: while it still holds the placeholder, requests go anonymously (a bearer
 * token that is not one would make every viewer-aware field UNAUTHENTICATED, logIn aside). */
const fetcher: Fetcher = (params, options) => {
  const headers = { ...(options?.headers ?? {}) } as Record<string, unknown>;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === "authorization" && String(headers[name]).includes(TOKEN_PLACEHOLDER)) {
      delete headers[name];
    }
  }
  return base(params, { ...options, headers });
};

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} defaultHeaders={DEFAULT_HEADERS} defaultEditorToolsVisibility="headers" />
  </StrictMode>,
);
