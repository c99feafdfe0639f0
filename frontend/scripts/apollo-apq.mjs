// Apollo Client with its persisted-queries link against a running Feedline (tests/api/test_graphql_over_http.py):
// prints, as one JSON line, both results and what each HTTP request carried and got back.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { createHash } from "node:crypto";

const url = process.argv[2];
const requests = [];
async function recordingFetch(input, init) {
  const body = init?.body ? JSON.parse(init.body) : {};
  const response = await fetch(input, init);
  const answer = await response.clone().json();
  requests.push({
    sentQuery: typeof body.query === "string",
    hash: body.extensions?.persistedQuery?.sha256Hash ?? null,
    codes: (answer.errors ?? []).map((e) => e.extensions?.code ?? e.message),
  });
  return response;
}

const persisted = new PersistedQueryLink({ sha256: (text) => createHash("sha256").update(text).digest("hex") });
const client = new ApolloClient({
  link: persisted.concat(new HttpLink({ uri: url, fetch: recordingFetch })),
  cache: new InMemoryCache(),
});
// A document the server has not seen (its name is unique), so the first request is a miss.
const query = gql(`query Apq${Date.now()} { trending(first: 3) { id text } }`);
const first = await client.query({ query, fetchPolicy: "network-only" });
const second = await client.query({ query, fetchPolicy: "network-only" });
console.log(JSON.stringify({ first: first.data, second: second.data, requests }));
