import { useState } from "react";
import { useParams } from "react-router-dom";
import { useQuery } from "urql";
import { FollowersQuery, FollowingQuery, ProfileQuery, ProfileTweetsPage } from "../operations";
import { monthYear } from "../lib/time";
import { EditProfile } from "./EditProfile";
import { Tweet } from "./Tweet";
import { ProfileActions } from "./Relations";
import { UserRow } from "./Users";
import { Avatar, CelebrityBadge, Empty, ErrorState, LoadMore, Loading } from "./ui";

type Tab = "tweets" | "followers" | "following";
const TABS: Tab[] = ["tweets", "followers", "following"];

function ProfileTweets({ handle, viewerHandle }: { handle: string; viewerHandle?: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({ query: ProfileTweetsPage, variables: { handle, after } });
  const conn = data?.user?.tweets;
  if (error && !conn) return <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />;
  if (!conn) return <Loading />;
  return (
    <>
      {conn.edges.length === 0 && <Empty>No tweets yet.</Empty>}
      {conn.edges.map((e) => (
        <Tweet key={e.node.id} tweet={e.node} replyingTo={e.node.inReplyTo?.author.handle} viewerHandle={viewerHandle} />
      ))}
      <LoadMore fetching={fetching} pageInfo={conn.pageInfo} onMore={setAfter} />
    </>
  );
}

function People({ handle, tab, viewerHandle }: { handle: string; tab: "followers" | "following"; viewerHandle?: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: (tab === "followers" ? FollowersQuery : FollowingQuery) as typeof FollowersQuery,
    variables: { handle, after },
  });
  const user = data?.user as
    | { followers?: PeopleConn; following?: PeopleConn }
    | null
    | undefined;
  const conn = user?.[tab];
  if (error && !conn) return <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />;
  if (!conn) return <Loading />;
  return (
    <>
      {conn.edges.length === 0 && (
        <Empty>{tab === "followers" ? `Nobody follows @${handle} yet.` : `@${handle} doesn't follow anyone yet.`}</Empty>
      )}
      <ul className="users card" aria-label={tab === "followers" ? "Followers" : "Following"}>
        {conn.edges.map((e) => <UserRow key={e.cursor} user={e.node} viewerHandle={viewerHandle} />)}
      </ul>
      <LoadMore fetching={fetching} pageInfo={conn.pageInfo} onMore={setAfter} />
    </>
  );
}
type PeopleConn = {
  totalCount: number;
  edges: { cursor: string; node: Parameters<typeof UserRow>[0]["user"] }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
};

/** One Profile per handle, so tabs and pages start fresh when following a link to another profile. */
export function ProfileRoute({ viewerHandle }: { viewerHandle?: string }) {
  const { handle = "" } = useParams();
  return <Profile key={handle} handle={handle} viewerHandle={viewerHandle} />;
}

export function Profile({ handle, viewerHandle }: { handle: string; viewerHandle?: string }) {
  const [tab, setTab] = useState<Tab>("tweets");
  const [{ data, fetching, error }, refetch] = useQuery({ query: ProfileQuery, variables: { handle } });
  if (fetching && !data) return <Loading label="Loading profile…" />;
  if (error && !data) return <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />;
  const u = data?.user;
  if (!u) return <Empty>There's no account @{handle}.</Empty>;
  const counts: Record<Tab, number> = { tweets: u.tweetCount, followers: u.followerCount, following: u.followingCount };
  const joined = monthYear(u.createdAt);
  return (
    <section aria-labelledby="profile-name">
      <div className="card profile">
        <div className="profile-top">
          <Avatar name={u.displayName || u.handle} size={64} />
          {viewerHandle && viewerHandle !== u.handle && <ProfileActions user={u} />}
          {viewerHandle === u.handle && <EditProfile displayName={u.displayName} bio={u.bio ?? null} />}
        </div>
        <h1 id="profile-name">{u.displayName} {u.isCelebrity && <CelebrityBadge />}</h1>
        <p className="muted">
          @{u.handle}
          {u.followsViewer && <span className="pill">Follows you</span>}
          {u.isCelebrity && <span className="pill celeb">Celebrity</span>}
        </p>
        {u.bio && <p>{u.bio}</p>}
        {u.viewerBlocks && (
          <p className="notice" data-testid="blocked-notice">
            You blocked @{u.handle}: you don't see each other's tweets, and they can't follow you.
          </p>
        )}
        {!u.viewerBlocks && u.viewerMutes && (
          <p className="notice" data-testid="muted-notice">You muted @{u.handle}: their tweets and reposts stay out of your feed.</p>
        )}
        <p className="muted small">Joined {joined}</p>
      </div>
      <div role="tablist" aria-label="Profile sections" className="tabs">
        {TABS.map((t) => (
          <button key={t} role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls="profile-panel"
            onClick={() => setTab(t)}>
            <b>{counts[t]}</b> {counts[t] === 1 && t !== "following" ? t.slice(0, -1) : t}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="profile-panel" aria-labelledby={`tab-${tab}`}>
        {tab === "tweets" ? (
          <ProfileTweets key={u.handle} handle={u.handle} viewerHandle={viewerHandle} />
        ) : (
          <People key={`${u.handle}-${tab}`} handle={u.handle} tab={tab} viewerHandle={viewerHandle} />
        )}
      </div>
    </section>
  );
}
