import { Client, fetchExchange, subscriptionExchange } from "urql";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { createClient as createWsClient } from "graphql-ws";
import { backoffMs } from "./lib/resume";

const TOKEN_KEY = "feedline.token";
export const getToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export const setToken = (t: string | null): void => {
  if (t) localStorage.setItem(TOKEN_KEY, t);
  else localStorage.removeItem(TOKEN_KEY);
};

export function wsUrl(loc: Pick<Location, "protocol" | "host">): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/graphql`;
}

export function makeClient(): Client {
  const ws = createWsClient({
    url: wsUrl(window.location),
    connectionParams: () => {
      const t = getToken();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: (n) => new Promise((r) => setTimeout(r, backoffMs(n))),
    lazy: true,
  });
  return new Client({
    url: "/graphql",
    fetchOptions: () => {
      const t = getToken();
      const headers: Record<string, string> = t ? { authorization: `Bearer ${t}` } : {};
      return { headers };
    },
    exchanges: [
      cacheExchange({
        keys: {
          HomeTimelineConnection: () => null,
          HomeTimelineEdge: () => null,
          TweetConnection: () => null,
          TweetEdge: () => null,
          UserConnection: () => null,
          UserEdge: () => null,
          PageInfo: () => null,
          TimelineEvent: () => null,
          AuthPayload: () => null,
        },
        resolvers: {
          Query: { homeTimeline: relayPagination() },
          User: { tweets: relayPagination(), followers: relayPagination(), following: relayPagination() },
        },
        optimistic: {
          likeTweet: (args, cache) => ({
            __typename: "Tweet",
            id: args.id,
            viewerHasLiked: true,
            likeCount: ((cache.resolve({ __typename: "Tweet", id: args.id as string }, "likeCount") as number) ?? 0) + 1,
          }),
          unlikeTweet: (args, cache) => ({
            __typename: "Tweet",
            id: args.id,
            viewerHasLiked: false,
            likeCount: Math.max(0, ((cache.resolve({ __typename: "Tweet", id: args.id as string }, "likeCount") as number) ?? 1) - 1),
          }),
          deleteTweet: (args) => args.id as string,
        },
        updates: {
          Mutation: {
            deleteTweet: (_r, args, cache) => {
              cache.invalidate({ __typename: "Tweet", id: args.id as string });
            },
          },
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => {
            // graphql-ws re-sends this same payload object on every retry, so advancing `after` here makes a
            // reconnect (e.g. after a server restart) resume from the last seen cursor instead of the first one.
            const payload = { ...request, query: request.query ?? "", variables: { ...(request.variables ?? {}) } };
            const resumeSink = {
              ...sink,
              next: (value: { data?: { homeTimelineEvents?: { cursor?: string } } | null }) => {
                const cursor = value.data?.homeTimelineEvents?.cursor;
                if (cursor) (payload.variables as Record<string, unknown>).after = cursor;
                sink.next(value as never);
              },
            };
            return { unsubscribe: ws.subscribe(payload, resumeSink as typeof sink) };
          },
        }),
      }),
    ],
  });
}
