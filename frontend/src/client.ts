import { Client, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient } from "graphql-ws";
import { persistedExchange } from "@urql/exchange-persisted";
import type { DocumentNode } from "graphql";
import { feedCache } from "./cache";
import { StatusStore } from "./lib/connection";
import { backoffMs } from "./lib/resume";

const TOKEN_KEY = "feedline.token";
const EXPIRED_KEY = "feedline.sessionExpired";
export const getToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export const setToken = (t: string | null): void => {
  if (t) {
    localStorage.setItem(TOKEN_KEY, t);
    sessionStorage.removeItem(EXPIRED_KEY);
  } else localStorage.removeItem(TOKEN_KEY);
};

let leaving = false;
/** The viewer is logging out: the server closing this session's websocket (4403, the revocation reaching
 * live connections) or refusing the token meanwhile is expected, not an expired session. */
export function beginLogOut(): void {
  leaving = true;
}

/** Forget the token and go to the log-in page, which then says the session expired. */
export function expireSession(): void {
  if (getToken() === null || leaving) return;
  setToken(null);
  sessionStorage.setItem(EXPIRED_KEY, "1");
  window.location.assign("/login");
}

/** True after a session expired until the next log-in (the log-in page says so). */
export function sessionExpired(): boolean {
  return sessionStorage.getItem(EXPIRED_KEY) === "1";
}

export function wsUrl(loc: Pick<Location, "protocol" | "host">): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/graphql`;
}

/** The websocket connection state (Live / Reconnecting…), shown in the feed. */
export const liveStatus = new StatusStore();

const FORBIDDEN_CLOSE = 4403; // bad or expired token in connection_init

/** The SHA-256 codegen gave the document (`__meta__.hash`, "sha256:<hex>"), i.e. its trusted-document id. */
export function documentHash(document: DocumentNode | undefined): string | undefined {
  const hash = (document as { __meta__?: { hash?: string } } | undefined)?.__meta__?.hash;
  return hash?.replace(/^sha256:/, "");
}

/** Production builds send only the hash of each query and mutation (Apollo's APQ wire format): the server
 * knows the client's operations from the trusted-documents manifest written at build. Should it not know one
 * (an older server), it answers PersistedQueryNotFound and the exchange resends with the document. The dev
 * server sends full documents. Queries go as GET (cacheable URLs) when the URL stays short. */
export const persistedQueries = (): ReturnType<typeof persistedExchange> =>
  persistedExchange({
    enableForMutation: true,
    preferGetForPersistedQueries: "within-url-limit",
    generateHash: async (query, document) => documentHash(document) ?? (await sha256Hex(query)),
  });

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const PRODUCTION = (import.meta as { env?: { PROD?: boolean } }).env?.PROD === true;

export function makeClient(): Client {
  const ws = createWsClient({
    url: wsUrl(window.location),
    connectionParams: () => {
      const t = getToken();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
    retryAttempts: Infinity,
    shouldRetry: (e) => !(e && typeof e === "object" && "code" in e && e.code === FORBIDDEN_CLOSE),
    retryWait: (n) => new Promise((r) => setTimeout(r, backoffMs(n))),
    keepAlive: 20_000,
    lazy: true,
    on: {
      connected: () => liveStatus.connected(),
      closed: (e) => {
        liveStatus.closed();
        if (e && typeof e === "object" && "code" in e && e.code === FORBIDDEN_CLOSE) expireSession();
      },
    },
  });
  return new Client({
    url: "/graphql",
    fetchOptions: () => {
      const t = getToken();
      const headers: Record<string, string> = t ? { authorization: `Bearer ${t}` } : {};
      return { headers };
    },
    exchanges: [
      feedCache(),
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) expireSession();
        },
      }),
      ...(PRODUCTION ? [persistedQueries()] : []),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => {
            // graphql-ws re-sends this same payload object on every retry, so advancing `after` here makes a
            // reconnect (e.g. after a server restart) resume from the last seen cursor instead of the first one.
            const payload = { ...request, query: request.query ?? "", variables: { ...(request.variables ?? {}) } };
            const resumeSink = {
              ...sink,
              next: (value: { data?: { homeTimelineEvents?: { cursor?: string; kind?: string } } | null }) => {
                const event = value.data?.homeTimelineEvents;
                if (event?.cursor && event.kind === "NEW") (payload.variables as Record<string, unknown>).after = event.cursor;
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
