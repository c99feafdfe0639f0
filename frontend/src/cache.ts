import { cacheExchange, type Cache } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { ReplyCountFields, ViewerQuery } from "./operations";

type Link = string | null;

/** Removes a tweet from every cached list that holds it: home pages, its author's tweets, trending. */
export function removeTweetFromLists(cache: Cache, id: string): void {
  const tweetKey = cache.keyOfEntity({ __typename: "Tweet", id });
  if (!tweetKey) return;
  const dropFromConnection = (conn: Link) => {
    if (!conn) return;
    const edges = cache.resolve(conn, "edges") as Link[] | null;
    if (!edges) return;
    const kept = edges.filter((edge) => edge && cache.resolve(edge, "node") !== tweetKey);
    if (kept.length !== edges.length) cache.link(conn, "edges", kept);
  };
  for (const f of cache.inspectFields("Query")) {
    const args = f.arguments ?? undefined;
    if (f.fieldName === "homeTimeline") {
      dropFromConnection(cache.resolve("Query", f.fieldName, args) as Link);
    } else if (f.fieldName === "trending") {
      const list = cache.resolve("Query", f.fieldName, args) as Link[] | null;
      if (list && list.includes(tweetKey)) {
        cache.link("Query", f.fieldName, f.arguments ?? {}, list.filter((k) => k !== tweetKey));
      }
    }
  }
  const author = cache.resolve(tweetKey, "author") as Link;
  if (author) {
    for (const f of cache.inspectFields(author)) {
      if (f.fieldName === "tweets") dropFromConnection(cache.resolve(author, f.fieldName, f.arguments ?? undefined) as Link);
    }
  }
}

/** Drops cached home pages and suggestions so they are fetched again (after a follow or unfollow). */
function invalidateFeed(cache: Cache): void {
  for (const f of cache.inspectFields("Query")) {
    if (f.fieldName === "homeTimeline" || f.fieldName === "suggestedUsers") {
      cache.invalidate("Query", f.fieldName, f.arguments ?? undefined);
    }
  }
}

/** After a block or an unblock: the other account's tweets (hidden across a block), both accounts' follower lists
 * and the viewer's counts (the block removed the follows both ways) are fetched again. */
function invalidateAcrossBlock(cache: Cache, otherId: string | undefined): void {
  const viewer = cache.resolve("Query", "viewer") as Link;
  const other = otherId ? cache.keyOfEntity({ __typename: "User", id: otherId }) : null;
  for (const user of [viewer, other]) {
    if (!user) continue;
    for (const f of cache.inspectFields(user)) {
      if (["tweets", "followers", "following"].includes(f.fieldName)) cache.invalidate(user, f.fieldName, f.arguments ?? undefined);
    }
  }
  if (viewer) {
    for (const field of ["followerCount", "followingCount"]) cache.invalidate(viewer, field);
  }
}

type ViewerUser = { __typename?: string; id: string; handle: string; displayName: string };
function setViewer(cache: Cache, user: ViewerUser | undefined): void {
  if (user) cache.updateQuery({ query: ViewerQuery }, () => ({ __typename: "Query" as const, viewer: { ...user, __typename: "User" as const } }));
}

const tweetCounts = (cache: Cache, id: unknown) => {
  const key = { __typename: "Tweet", id: id as string };
  return (cache.resolve(key, "likeCount") as number | null) ?? 0;
};
export function feedCache() {
  return cacheExchange({
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
      User: { tweets: relayPagination(), followers: relayPagination(), following: relayPagination() },
      Tweet: { replies: relayPagination() },
    },
    optimistic: {
      likeTweet: (args, cache) => ({
        __typename: "Tweet",
        id: args.id,
        viewerHasLiked: true,
        likeCount: tweetCounts(cache, args.id) + 1,
      }),
      unlikeTweet: (args, cache) => ({
        __typename: "Tweet",
        id: args.id,
        viewerHasLiked: false,
        likeCount: Math.max(0, tweetCounts(cache, args.id) - 1),
      }),
      deleteTweet: (args) => args.id as string,
    },
    updates: {
      Mutation: {
        // The signed-in user is the viewer from now on: the Viewer query is answered from the cache.
        logIn: (result, _args, cache) => setViewer(cache, (result.logIn as { user?: ViewerUser } | null)?.user),
        signUp: (result, _args, cache) => setViewer(cache, (result.signUp as { user?: ViewerUser } | null)?.user),
        deleteTweet: (_result, args, cache) => removeTweetFromLists(cache, args.id as string),
        // A reply: the tweet replied to has one more.
        postTweet: (_result, args, cache) => {
          if (!args.inReplyTo) return;
          const parent = { __typename: "Tweet" as const, id: args.inReplyTo as string };
          const count = cache.resolve(parent, "replyCount");
          if (typeof count === "number") cache.writeFragment(ReplyCountFields, { ...parent, replyCount: count + 1 });
        },
        follow: (_result, _args, cache, info) => {
          if (!info.optimistic) invalidateFeed(cache);
        },
        unfollow: (_result, _args, cache, info) => {
          if (!info.optimistic) invalidateFeed(cache);
        },
        mute: (_result, _args, cache) => invalidateFeed(cache),
        unmute: (_result, _args, cache) => invalidateFeed(cache),
        block: (result, _args, cache) => {
          invalidateFeed(cache);
          invalidateAcrossBlock(cache, (result.block as { id?: string } | null)?.id);
        },
        unblock: (result, _args, cache) => {
          invalidateFeed(cache);
          invalidateAcrossBlock(cache, (result.unblock as { id?: string } | null)?.id);
        },
      },
      Subscription: {
        homeTimelineEvents: (result, _args, cache) => {
          const ev = result.homeTimelineEvents as { kind?: string; tweetId?: string } | null;
          if (ev?.kind === "DELETED" && ev.tweetId) removeTweetFromLists(cache, ev.tweetId);
        },
      },
    },
  });
}
