import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { BrowserRouter, Link, Navigate, Route, Routes, useNavigate, useParams } from "react-router-dom";
import { useMutation, useQuery, useSubscription } from "urql";
import { getToken, setToken } from "./client";
import { remainingChars, validateTweet } from "./lib/compose";
import { errorMessage } from "./lib/errors";
import { flushPending, mergeEdges, newTweetsLabel, queueNew, dropPending, type NewTweetsState } from "./lib/feed";
import { ResumeCursor } from "./lib/resume";
import {
  DeleteTweetMutation, FollowMutation, HomeQuery, LikeMutation, LogInMutation, PostTweetMutation,
  ProfileQuery, SearchQuery, SidebarQuery, SignUpMutation, TimelineEventsSub, TweetFields, UnfollowMutation,
  UnlikeMutation, ViewerQuery,
} from "./operations";
import { useFragment, type FragmentType } from "./gql";

type TweetRef = FragmentType<typeof TweetFields>;
interface FeedEdge { cursor: string; source?: string; node: TweetRef & { id: string } }

export function Tweet({ tweet, source, viewerHandle }: { tweet: TweetRef; source?: string; viewerHandle?: string }) {
  const t = useFragment(TweetFields, tweet);
  const [, like] = useMutation(LikeMutation);
  const [, unlike] = useMutation(UnlikeMutation);
  const [del, remove] = useMutation(DeleteTweetMutation);
  const [gone, setGone] = useState(false);
  if (gone) return null;
  return (
    <article className="tweet" data-testid="tweet" data-tweet-id={t.id} aria-label={`Tweet by @${t.author.handle}`}>
      <header>
        <Link to={`/u/${t.author.handle}`} className="name">{t.author.displayName}</Link>{" "}
        <span className="muted">@{t.author.handle}</span>
        {t.author.isCelebrity && <span className="badge" title="Celebrity">★</span>}
        {source === "CELEBRITY" && <span className="marker" data-testid="marker-celebrity">from a celebrity you follow</span>}
        {source === "SUGGESTED" && <span className="marker" data-testid="marker-suggested">suggested</span>}
      </header>
      <p className="text">{t.text}</p>
      <footer>
        <button
          type="button"
          className={t.viewerHasLiked ? "like liked" : "like"}
          aria-pressed={t.viewerHasLiked}
          aria-label={t.viewerHasLiked ? "Unlike" : "Like"}
          onClick={() => (t.viewerHasLiked ? unlike({ id: t.id }) : like({ id: t.id }))}
        >♥ {t.likeCount}</button>
        {viewerHandle === t.author.handle && (
          <button type="button" className="link danger" aria-label="Delete tweet" disabled={del.fetching}
            onClick={() => { setGone(true); remove({ id: t.id }).then((r) => r.error && setGone(false)); }}>Delete</button>
        )}
        <time className="muted" dateTime={t.createdAt}>{new Date(t.createdAt).toLocaleString()}</time>
      </footer>
    </article>
  );
}

export function Compose({ onPosted }: { onPosted?: () => void }) {
  const [text, setText] = useState("");
  const [res, post] = useMutation(PostTweetMutation);
  const [touched, setTouched] = useState(false);
  const left = remainingChars(text);
  const invalid = validateTweet(text);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (invalid) return;
    const r = await post({ text: text.trim() });
    if (!r.error) { setText(""); setTouched(false); onPosted?.(); }
  };
  const err = (touched && invalid) || errorMessage(res.error);
  return (
    <form className="card compose" onSubmit={submit} aria-label="Compose tweet">
      <label htmlFor="compose-text" className="sr-only">What's happening?</label>
      <textarea id="compose-text" data-testid="compose-text" placeholder="What's happening?" value={text}
        onChange={(e) => setText(e.target.value)} rows={3} />
      <div className="row">
        <span data-testid="char-counter" className={left < 0 ? "counter over" : left <= 20 ? "counter warn" : "counter"}
          aria-live="polite">{left}</span>
        <button type="submit" className="primary" disabled={res.fetching || left < 0}>Tweet</button>
      </div>
      {err && <p role="alert" className="error" data-testid="compose-error">{err}</p>}
    </form>
  );
}

const resume = new ResumeCursor(typeof localStorage !== "undefined" ? localStorage : undefined);

function Home({ viewerHandle }: { viewerHandle: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [edges, setEdges] = useState<FeedEdge[]>([]);
  const [{ data, fetching, error }] = useQuery({ query: HomeQuery, variables: { first: 20, after }, requestPolicy: "network-only" });
  const [pending, setPending] = useState<NewTweetsState<FeedEdge>>({ pending: [] });
  const page = data?.homeTimeline;
  useEffect(() => {
    if (page) setEdges((prev) => mergeEdges(prev, page.edges as FeedEdge[]));
  }, [page]);
  const shown = useMemo(() => new Set(edges.map((e) => e.node.id)), [edges]);
  useSubscription({ query: TimelineEventsSub, variables: resume.variables() }, (_prev, ev) => {
    const e = ev.homeTimelineEvents;
    resume.seen(e.cursor);
    if (e.kind === "NEW" && e.tweet) {
      setPending((s) => queueNew(s, { cursor: e.cursor, source: e.source, node: e.tweet as FeedEdge["node"] }, shown));
    } else if (e.kind === "DELETED") {
      setPending((s) => dropPending(s, e.tweetId));
      setEdges((prev) => prev.filter((x) => x.node.id !== e.tweetId));
    }
    return ev;
  });
  const sentinel = useRef<HTMLDivElement>(null);
  const more = useCallback(() => {
    if (page?.pageInfo.hasNextPage && !fetching) setAfter(page.pageInfo.endCursor ?? null);
  }, [page, fetching]);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => entries.some((x) => x.isIntersecting) && more());
    io.observe(el);
    return () => io.disconnect();
  }, [more]);
  const label = newTweetsLabel(pending.pending.length);
  return (
    <section aria-label="Home timeline">
      <Compose />
      {label && (
        <button type="button" className="newbar" data-testid="new-tweets-bar"
          onClick={() => { setEdges((f) => flushPending(f, pending)); setPending({ pending: [] }); }}>{label}</button>
      )}
      {error && <p role="alert" className="error">{errorMessage(error)}</p>}
      {!fetching && !error && edges.length === 0 && <p className="empty">Your timeline is empty. Follow someone!</p>}
      <div data-testid="feed">
        {edges.map((e) => <Tweet key={e.node.id} tweet={e.node} source={e.source} viewerHandle={viewerHandle} />)}
      </div>
      {fetching && <p className="muted" role="status">Loading…</p>}
      <div ref={sentinel} data-testid="feed-end" />
    </section>
  );
}

function Profile({ viewerHandle }: { viewerHandle?: string }) {
  const { handle = "" } = useParams();
  const [tab, setTab] = useState<"tweets" | "followers" | "following">("tweets");
  const [{ data, fetching, error }] = useQuery({ query: ProfileQuery, variables: { handle } });
  const [, follow] = useMutation(FollowMutation);
  const [, unfollow] = useMutation(UnfollowMutation);
  if (fetching && !data) return <p role="status">Loading…</p>;
  if (error) return <p role="alert" className="error">{errorMessage(error)}</p>;
  const u = data?.user;
  if (!u) return <p className="empty">No user @{handle}.</p>;
  return (
    <section aria-label={`Profile of @${u.handle}`}>
      <div className="card profile">
        <h1>{u.displayName} {u.isCelebrity && <span className="badge" data-testid="celebrity-badge" title="Celebrity">★</span>}</h1>
        <p className="muted">@{u.handle}{u.followsViewer && " · follows you"}</p>
        {u.bio && <p>{u.bio}</p>}
        <p><b>{u.followerCount}</b> followers · <b>{u.followingCount}</b> following · <b>{u.tweetCount}</b> tweets</p>
        {viewerHandle && viewerHandle !== u.handle && (
          <button type="button" className={u.viewerFollows ? "secondary" : "primary"} data-testid="follow-button"
            onClick={() => (u.viewerFollows ? unfollow({ handle: u.handle }) : follow({ handle: u.handle }))}>
            {u.viewerFollows ? "Unfollow" : "Follow"}
          </button>
        )}
      </div>
      <div role="tablist" className="tabs">
        {(["tweets", "followers", "following"] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>{t}</button>
        ))}
      </div>
      {tab === "tweets" && (u.tweets.edges.length === 0 ? <p className="empty">No tweets yet.</p> :
        u.tweets.edges.map((e) => <Tweet key={e.cursor} tweet={e.node} viewerHandle={viewerHandle} />))}
      {tab !== "tweets" && (
        <ul className="users">
          {u[tab].edges.length === 0 && <li className="empty">Nobody yet.</li>}
          {u[tab].edges.map((e) => <li key={e.node.id}><Link to={`/u/${e.node.handle}`}>{e.node.displayName}</Link> <span className="muted">@{e.node.handle}</span></li>)}
        </ul>
      )}
    </section>
  );
}

function Search() {
  const [q, setQ] = useState("");
  const [{ data, fetching }] = useQuery({ query: SearchQuery, variables: { query: q }, pause: q.trim() === "" });
  return (
    <section aria-label="Search users" className="card">
      <label htmlFor="search">Search people</label>
      <input id="search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="handle or name" />
      {fetching && <p role="status">Searching…</p>}
      <ul className="users">
        {data?.searchUsers.length === 0 && <li className="empty">No matches.</li>}
        {data?.searchUsers.map((u) => <li key={u.id}><Link to={`/u/${u.handle}`}>{u.displayName}</Link> <span className="muted">@{u.handle}</span>{u.isCelebrity && " ★"}</li>)}
      </ul>
    </section>
  );
}

function Sidebar() {
  const [{ data, error }] = useQuery({ query: SidebarQuery });
  return (
    <aside className="sidebar">
      <div className="card" aria-label="Who to follow">
        <h2>Who to follow</h2>
        {error && <p className="error">{errorMessage(error)}</p>}
        {data && data.suggestedUsers.length === 0 && <p className="empty">No suggestions yet.</p>}
        <ul className="users">{data?.suggestedUsers.map((u) => <li key={u.id}><Link to={`/u/${u.handle}`}>{u.displayName}</Link> <span className="muted">@{u.handle}</span></li>)}</ul>
      </div>
      <div className="card" aria-label="Trending">
        <h2>Trending</h2>
        {data && data.trending.length === 0 && <p className="empty">Nothing trending.</p>}
        {data?.trending.map((t, i) => <TrendingItem key={i} tweet={t} />)}
      </div>
    </aside>
  );
}

function TrendingItem({ tweet }: { tweet: TweetRef }) {
  const t = useFragment(TweetFields, tweet);
  return <p className="trend"><Link to={`/u/${t.author.handle}`}>@{t.author.handle}</Link>: {t.text} <span className="muted">♥ {t.likeCount}</span></p>;
}

export function AuthForm({ mode }: { mode: "signup" | "login" }) {
  const nav = useNavigate();
  const [handle, setHandle] = useState("");
  const [password, setPassword] = useState("");
  const [su, signUp] = useMutation(SignUpMutation);
  const [li, logIn] = useMutation(LogInMutation);
  const res = mode === "signup" ? su : li;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = mode === "signup" ? await signUp({ handle, password }) : await logIn({ handle, password });
    const payload = r.data && ("signUp" in r.data ? r.data.signUp : r.data.logIn);
    if (payload) { setToken(payload.token); window.location.assign("/"); }
  };
  return (
    <form className="card auth" onSubmit={submit} aria-label={mode === "signup" ? "Sign up" : "Log in"}>
      <h1>{mode === "signup" ? "Join Feedline" : "Log in to Feedline"}</h1>
      <label htmlFor="handle">Handle</label>
      <input id="handle" autoComplete="username" value={handle} onChange={(e) => setHandle(e.target.value)} required />
      <label htmlFor="password">Password</label>
      <input id="password" type="password" autoComplete={mode === "signup" ? "new-password" : "current-password"}
        value={password} onChange={(e) => setPassword(e.target.value)} required />
      {res.error && <p role="alert" className="error">{errorMessage(res.error)}</p>}
      <button type="submit" className="primary" disabled={res.fetching}>{mode === "signup" ? "Sign up" : "Log in"}</button>
      <p>{mode === "signup" ? <Link to="/login">Have an account? Log in</Link> : <Link to="/signup">New here? Sign up</Link>} · <a href="#" onClick={(e) => { e.preventDefault(); nav("/"); }}>Home</a></p>
    </form>
  );
}

export default function App() {
  const authed = getToken() !== null;
  const [{ data }] = useQuery({ query: ViewerQuery, pause: !authed });
  const viewerHandle = data?.viewer?.handle;
  return (
    <BrowserRouter>
      <header className="topbar">
        <Link to="/" className="logo">Feedline</Link>
        <nav aria-label="Main">
          <Link to="/search">Search</Link>
          {viewerHandle && <Link to={`/u/${viewerHandle}`}>@{viewerHandle}</Link>}
          {authed ? <button type="button" className="link" onClick={() => { setToken(null); window.location.assign("/login"); }}>Log out</button>
            : <Link to="/login">Log in</Link>}
        </nav>
      </header>
      <main className={authed ? "layout" : "layout solo"}>
        <div className="column">
          <Routes>
            <Route path="/" element={authed ? <Home viewerHandle={viewerHandle ?? ""} /> : <Navigate to="/login" />} />
            <Route path="/login" element={<AuthForm mode="login" />} />
            <Route path="/signup" element={<AuthForm mode="signup" />} />
            <Route path="/u/:handle" element={<Profile viewerHandle={viewerHandle} />} />
            <Route path="/search" element={<Search />} />
          </Routes>
        </div>
        {authed && <Sidebar />}
      </main>
    </BrowserRouter>
  );
}
