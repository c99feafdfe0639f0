import { startTransition, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { Link } from "react-router-dom";
import { useQuery, useSubscription, type Client, type RequestPolicy } from "urql";
import { liveStatus } from "../client";
import { onFollowsChanged, onUnreposting } from "../lib/events";
import { dropPending, flushPending, mergeEdges, newTweetsLabel, queueNew, type NewTweetsState } from "../lib/feed";
import { hiddenAccounts, leavesAfterOwnUnrepost, withoutHidden } from "../lib/social";
import { unreadTitle } from "../lib/title";
import { HomeQuery, TimelineEventsSub } from "../operations";
import { Compose, type PostedTweet } from "./Compose";
import { Tweet, type Reposter, type TweetRef } from "./Tweet";
import { Empty, ErrorState, Loading } from "./ui";

export interface FeedEdge {
  cursor: string;
  source?: string;
  repostedBy?: Reposter | null;
  node: TweetRef & { id: string; author?: { handle: string }; inReplyTo?: { author: { handle: string } } | null };
}

const PAGE_SIZE = 20;
// The feed is put on screen in two steps: the tweets one screen holds first, then the rest, in a transition
// started once that first commit is done (so it yields to the browser instead of delaying the first tweets).
// Rendering and committing all 20 tweets of the first page at once was about 50 ms of the 250 ms from log-in
// to the first feed on screen, most of it for tweets below the fold.
export const FIRST_DRAW = 6;
const STATUS_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" } as const;

// Signing in asks for the first page at once, before the feed is even on screen; the feed then takes it from the
// cache (or joins the request still in flight) instead of asking again.
let prefetchedAt = 0;
const PREFETCH_FRESH_MS = 10_000;
export function prefetchHome(client: Client): void {
  prefetchedAt = Date.now();
  void client.query(HomeQuery, { first: PAGE_SIZE, after: null }, { requestPolicy: "network-only" }).toPromise();
}
function takePrefetch(): boolean {
  const fresh = Date.now() - prefetchedAt < PREFETCH_FRESH_MS;
  prefetchedAt = 0;
  return fresh;
}

export function LiveIndicator() {
  const status = useSyncExternalStore(liveStatus.subscribe, liveStatus.get);
  return (
    <span className={`live-status ${status}`} data-testid="live-status" role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" /> {STATUS_TEXT[status]}
    </span>
  );
}

/** The home feed; `viewerHandle` may still be loading (it only decides which tweets get a Delete button). */
export function Home({ viewerHandle, onFirstPage }: { viewerHandle?: string; onFirstPage?: () => void }) {
  const [after, setAfter] = useState<string | null>(null);
  const [pages, setPages] = useState<FeedEdge[]>([]);
  const [live, setLive] = useState<FeedEdge[]>([]); // shown from the bar or posted here, newest first
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set());
  const [pending, setPending] = useState<NewTweetsState<FeedEdge>>({ pending: [] });
  // The subscription starts once the first page is in, from its newest cursor, so nothing falls in between.
  const [startAfter, setStartAfter] = useState<string | null | undefined>(undefined);
  const [policy] = useState<RequestPolicy>(() => (takePrefetch() ? "cache-first" : "network-only"));
  const [{ data, fetching, error }, refetch] = useQuery({
    query: HomeQuery,
    variables: { first: PAGE_SIZE, after },
    requestPolicy: after === null ? policy : "network-only",
  });
  const page = data?.homeTimeline;
  // Following or unfollowing someone changes what the feed holds: start again from the first page.
  useEffect(
    () =>
      onFollowsChanged(() => {
        setPages([]);
        setRemoved(new Set());
        setAfter(null);
        refetch({ requestPolicy: "network-only" });
      }),
    [refetch],
  );
  useEffect(() => {
    if (!page) return;
    const incoming = page.edges as FeedEdge[];
    setPages((prev) => mergeEdges(prev, incoming));
    setStartAfter((s) => (s === undefined ? (incoming[0]?.cursor ?? null) : s));
  }, [page]);
  useEffect(() => {
    if (page || error) onFirstPage?.();
  }, [page, error, onFirstPage]);

  // The page just received is merged here too, not only in the effect: otherwise one render would show the
  // previous pages (or the empty state) with fetching already false.
  // Accounts muted or blocked here leave at once (the server's DELETED events and later reads agree).
  const hidden = useSyncExternalStore(hiddenAccounts.subscribe, hiddenAccounts.get);
  const edges = useMemo(
    () => withoutHidden(
      mergeEdges(live, mergeEdges(pages, (page?.edges ?? []) as FeedEdge[])).filter((e) => !removed.has(e.node.id)),
      hidden,
    ),
    [live, pages, page, removed, hidden],
  );
  const shown = useMemo(() => new Set(edges.map((e) => e.node.id)), [edges]);
  const [drawAll, setDrawAll] = useState(false);
  const partial = !drawAll && edges.length > FIRST_DRAW;
  useEffect(() => {
    if (!partial) return;
    const timer = setTimeout(() => startTransition(() => setDrawAll(true)), 0);
    return () => clearTimeout(timer);
  }, [partial]);
  const drawn = partial ? edges.slice(0, FIRST_DRAW) : edges;
  const current = useRef(edges);
  current.current = edges;
  // Tweets whose repost the viewer is undoing: their DELETED event may concern only that repost.
  const unreposting = useRef(new Set<string>());
  useEffect(() => onUnreposting((id) => unreposting.current.add(id)), []);

  useSubscription(
    { query: TimelineEventsSub, variables: { after: startAfter ?? null }, pause: startAfter === undefined },
    (_prev, ev) => {
      const e = ev.homeTimelineEvents;
      if (e.kind === "NEW" && e.tweet) {
        const entry = { cursor: e.cursor, source: e.source, repostedBy: e.repostedBy, node: e.tweet as FeedEdge["node"] };
        setPending((s) => queueNew(s, entry, shown));
      } else if (e.kind === "DELETED") {
        if (unreposting.current.delete(e.tweetId)) {
          const entry = current.current.find((x) => x.node.id === e.tweetId);
          if (!leavesAfterOwnUnrepost(entry, viewerHandle)) return ev;
        }
        setPending((s) => dropPending(s, e.tweetId));
        setRemoved((r) => new Set(r).add(e.tweetId));
      }
      return ev;
    },
  );

  const onPosted = useCallback((t: PostedTweet) => {
    const entry: FeedEdge = { cursor: "", source: "TIMELINE", node: t as FeedEdge["node"] };
    setLive((prev) => mergeEdges([entry], prev));
    setPending((s) => dropPending(s, t.id));
  }, []);

  const showPending = () => {
    const coming = withoutHidden(pending.pending, hidden);
    setLive((prev) => flushPending(prev, { pending: coming }));
    // An entry that left the feed (an undone repost) and came back is shown again, at the top.
    setRemoved((r) => {
      const next = new Set(r);
      for (const e of coming) next.delete(e.node.id);
      return next;
    });
    setPending({ pending: [] });
    window.scrollTo({ top: 0, behavior: "smooth" });
  };

  const sentinel = useRef<HTMLDivElement>(null);
  const hasMore = Boolean(page?.pageInfo.hasNextPage);
  // Not while the first page is partly drawn: the end of the feed is then near the top of the screen.
  const more = useCallback(() => {
    if (page?.pageInfo.hasNextPage && !fetching && !partial) setAfter(page.pageInfo.endCursor ?? null);
  }, [page, fetching, partial]);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => entries.some((x) => x.isIntersecting) && more(), {
      rootMargin: "400px 0px",
    });
    io.observe(el);
    return () => io.disconnect();
  }, [more]);

  const waiting = withoutHidden(pending.pending, hidden).filter((e) => !shown.has(e.node.id));
  const label = newTweetsLabel(waiting.length);
  // The tab title counts the new tweets waiting behind the bar: "(3) Feedline".
  useEffect(() => {
    document.title = unreadTitle(waiting.length);
  }, [waiting.length]);
  useEffect(() => () => void (document.title = unreadTitle(0)), []);
  return (
    <section aria-labelledby="home-title">
      <div className="column-head">
        <h1 id="home-title">Home</h1>
        <LiveIndicator />
      </div>
      <Compose onPosted={onPosted} />
      {label && (
        <button type="button" className="newbar" data-testid="new-tweets-bar" onClick={showPending}>
          {label}
        </button>
      )}
      <div role="region" aria-label="Home timeline" data-testid="feed" aria-busy={fetching}>
        {drawn.map((e) => (
          <Tweet key={e.node.id} tweet={e.node} source={e.source} repostedBy={e.repostedBy}
            replyingTo={e.node.inReplyTo?.author.handle} viewerHandle={viewerHandle} />
        ))}
        {error && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />}
        {!fetching && !error && edges.length === 0 && (
          <Empty>
            <b>Welcome to your timeline.</b> It fills up as you follow people: try{" "}
            <Link to="/search">searching</Link> or pick someone from <i>Who to follow</i>.
          </Empty>
        )}
        {fetching && <Loading label={edges.length ? "Loading more…" : "Loading your timeline…"} />}
        <div ref={sentinel} data-testid="feed-end" className="feed-end">
          {!fetching && !error && !partial && hasMore && (
            <button type="button" className="secondary" onClick={more}>Load more</button>
          )}
          {!fetching && !error && !partial && !hasMore && edges.length > 0 && <p className="muted">You're all caught up.</p>}
        </div>
      </div>
    </section>
  );
}
