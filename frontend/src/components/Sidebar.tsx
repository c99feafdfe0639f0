import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { useFragment } from "../gql";
import { whoToFollow } from "../lib/suggest";
import { SidebarQuery, TweetFields, UserRowFields } from "../operations";
import type { TweetRef } from "./Tweet";
import { UserRow, type UserRowRef } from "./Users";
import { Empty, ErrorState, Loading } from "./ui";

function TrendingItem({ tweet, rank }: { tweet: TweetRef; rank: number }) {
  const t = useFragment(TweetFields, tweet);
  return (
    <li className="trend" data-testid="trending-item">
      <span className="muted small">{rank} · <Link to={`/u/${t.author.handle}`}>@{t.author.handle}</Link> · ♥ {t.likeCount}</span>
      <p>{t.text}</p>
    </li>
  );
}

function unmaskUsers(refs: UserRowRef[]) {
  return refs.map((ref) => ({ ref, ...useFragment(UserRowFields, ref) }));
}

/** `pause`: not yet (on the home page it waits for the feed's first page, which matters more). */
export function Sidebar({ viewerHandle, pause = false }: { viewerHandle?: string; pause?: boolean }) {
  const [{ data, fetching: loading, error }, refetch] = useQuery({ query: SidebarQuery, pause });
  const fetching = loading || pause;
  const suggested = unmaskUsers(data?.suggestedUsers ?? []);
  const authors = unmaskUsers((data?.trending ?? []).map((t) => t.author));
  const people = whoToFollow(suggested, authors, data?.viewer?.id);
  const retry = () => refetch({ requestPolicy: "network-only" });
  return (
    <aside className="sidebar" aria-label="Sidebar">
      <section className="card" aria-labelledby="wtf-title" id="who-to-follow" tabIndex={-1}>
        <h2 id="wtf-title">Who to follow</h2>
        {fetching && !data && <Loading />}
        {error && !data && <ErrorState error={error} onRetry={retry} />}
        {data && people.length === 0 && <Empty>No suggestions yet. Follow someone to get more.</Empty>}
        <ul className="users" data-testid="who-to-follow">
          {people.map((u) => <UserRow key={u.id} user={u.ref} viewerHandle={viewerHandle} showCount={false} />)}
        </ul>
      </section>
      <section className="card" aria-labelledby="trending-title">
        <h2 id="trending-title">Trending</h2>
        {fetching && !data && <Loading />}
        {error && !data && <ErrorState error={error} onRetry={retry} />}
        {data && data.trending.length === 0 && <Empty>Nothing trending yet.</Empty>}
        <ol className="trends" data-testid="trending">
          {data?.trending.map((t, i) => <TrendingItem key={t.id} tweet={t} rank={i + 1} />)}
        </ol>
      </section>
    </aside>
  );
}
