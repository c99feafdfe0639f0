import { lazy, Suspense, useCallback, useEffect, useState, type MouseEvent, type ReactNode } from "react";
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { beginLogOut, getToken, setToken } from "./client";
import { AuthForm } from "./components/Auth";
import { Home } from "./components/Home";
import { Sidebar } from "./components/Sidebar";
import { Loading } from "./components/ui";
import { focusCompose, focusElement, requestComposeFocus, tweetsOnPage } from "./lib/focus";
import { moveIndex, shortcutFor } from "./lib/keys";
import { LogOutMutation, ViewerQuery } from "./operations";

// Only the screens of the first visit (log in, home) are in the main bundle; the others load on demand.
const ProfileRoute = lazy(() => import("./components/Profile").then((m) => ({ default: m.ProfileRoute })));
const TweetRoute = lazy(() => import("./components/TweetPage").then((m) => ({ default: m.TweetRoute })));
const Search = lazy(() => import("./components/Search").then((m) => ({ default: m.Search })));

export { Compose } from "./components/Compose";
export { Tweet } from "./components/Tweet";
export { AuthForm } from "./components/Auth";

function LogOutButton() {
  const [, logOut] = useMutation(LogOutMutation);
  const onClick = async () => {
    beginLogOut();
    await logOut({}); // revoke the token server-side; leave even if that fails (e.g. network down)
    setToken(null);
    sessionStorage.clear();
    window.location.assign("/login");
  };
  return <button type="button" className="link" onClick={onClick}>Log out</button>;
}

function TopBar({ viewerHandle, authed }: { viewerHandle?: string; authed: boolean }) {
  return (
    <header className="topbar">
      <Link to="/" className="logo">Feedline</Link>
      <nav aria-label="Main">
        {authed && <NavLink to="/" end>Home</NavLink>}
        <NavLink to="/search">Search</NavLink>
        {viewerHandle && <NavLink to={`/u/${viewerHandle}`} className="me" aria-label={`Your profile @${viewerHandle}`}
          title={`@${viewerHandle}`}>@{viewerHandle}</NavLink>}
        {!authed && <><NavLink to="/login">Log in</NavLink><NavLink to="/signup">Sign up</NavLink></>}
      </nav>
      {authed && <div className="account"><LogOutButton /></div>}
    </header>
  );
}

/** Phones: the main navigation at the bottom, in thumb reach, and a button to write a tweet from anywhere. */
function BottomNav({ viewerHandle }: { viewerHandle?: string }) {
  const navigate = useNavigate();
  const compose = () => {
    if (!focusCompose()) {
      requestComposeFocus();
      navigate("/");
    }
  };
  return (
    <>
      <nav className="bottomnav" aria-label="Main">
        <NavLink to="/" end><span className="icon" aria-hidden="true">⌂</span>Home</NavLink>
        <NavLink to="/search"><span className="icon" aria-hidden="true">⌕</span>Search</NavLink>
        {viewerHandle && (
          <NavLink to={`/u/${viewerHandle}`}><span className="icon" aria-hidden="true">◉</span>Profile</NavLink>
        )}
      </nav>
      <button type="button" className="compose-fab" data-testid="compose-fab" onClick={compose}>
        <span aria-hidden="true">+</span><span className="sr-only">New tweet</span>
      </button>
    </>
  );
}

/** Skip links: the first Tab stops, to the content and to the sidebar (Who to follow). */
function SkipLinks({ sidebar }: { sidebar: boolean }) {
  const skip = (id: string) => (e: MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault();
    focusElement(document.getElementById(id));
  };
  return (
    <div className="skip-links">
      <a href="#main" onClick={skip("main")}>Skip to main content</a>
      {sidebar && <a href="#who-to-follow" className="to-sidebar" onClick={skip("who-to-follow")}>Skip to Who to follow</a>}
    </div>
  );
}

function NotFound() {
  return (
    <section className="card not-found" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>There's nothing at this address. <Link to="/">Go to the home page</Link></p>
    </section>
  );
}

/** j / k move between tweets (focusing the tweet), n focuses the composer; never while typing in a field. */
function useShortcuts() {
  const navigate = useNavigate();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector("dialog[open]")) return;
      const action = shortcutFor(e);
      if (!action) return;
      e.preventDefault();
      if (action === "compose") {
        if (!focusCompose()) {
          requestComposeFocus();
          navigate("/");
        }
        return;
      }
      const tweets = tweetsOnPage();
      const current = tweets.findIndex((t) => t.contains(document.activeElement));
      const top = document.querySelector(".topbar")?.getBoundingClientRect().bottom ?? 0;
      const firstVisible = Math.max(0, tweets.findIndex((t) => t.getBoundingClientRect().bottom > top + 8));
      const i = moveIndex(current, tweets.length, action === "next" ? 1 : -1, firstVisible);
      if (i !== null) focusElement(tweets[i]);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [navigate]);
}

// Where the home feed is (or is about to be, right after signing in) the first thing on screen.
const FEED_FIRST = new Set(["/", "/login", "/signup"]);

function Shell({ authed, onSignedIn }: { authed: boolean; onSignedIn: () => void }) {
  const { pathname } = useLocation();
  useShortcuts();
  const [{ data }] = useQuery({ query: ViewerQuery, pause: !authed });
  const viewerHandle = data?.viewer?.handle;
  // On the home page the sidebar's query waits for the first page of the feed, which comes first on screen.
  const [feedShown, setFeedShown] = useState(false);
  const onFeedShown = useCallback(() => setFeedShown(true), []);
  const guestOnly = (el: React.ReactElement) => (authed ? <Navigate to="/" replace /> : el);
  const explore = pathname === "/search";
  const cls = ["app", authed ? "authed" : "", explore ? "explore-page" : ""].filter(Boolean).join(" ");
  const layout = ["layout", authed ? "" : "solo", explore ? "explore" : ""].filter(Boolean).join(" ");
  return (
    <div className={cls}>
      <SkipLinks sidebar={authed} />
      <TopBar viewerHandle={viewerHandle} authed={authed} />
      <div className="app-body">
        <main id="main" className={layout} tabIndex={-1}>
          <div className="column">
            <Suspense fallback={<Loading />}>
              <Routes>
                <Route path="/" element={authed ? <Home viewerHandle={viewerHandle} onFirstPage={onFeedShown} />
                  : <Navigate to="/login" replace />} />
                <Route path="/login" element={guestOnly(<AuthForm mode="login" onSignedIn={onSignedIn} />)} />
                <Route path="/signup" element={guestOnly(<AuthForm mode="signup" onSignedIn={onSignedIn} />)} />
                <Route path="/u/:handle" element={<ProfileRoute viewerHandle={viewerHandle} />} />
                <Route path="/t/:id" element={<TweetRoute viewerHandle={viewerHandle} />} />
                <Route path="/search" element={<Search viewerHandle={viewerHandle} />} />
                <Route path="*" element={<NotFound />} />
              </Routes>
            </Suspense>
          </div>
          {authed && <Sidebar viewerHandle={viewerHandle} pause={!feedShown && FEED_FIRST.has(pathname)} />}
        </main>
      </div>
      {authed && <BottomNav viewerHandle={viewerHandle} />}
    </div>
  );
}

export default function App(): ReactNode {
  // Signing in switches to the feed in place (no page load): the token is kept and the viewer is in the cache.
  const [authed, setAuthed] = useState(() => getToken() !== null);
  const onSignedIn = useCallback(() => setAuthed(getToken() !== null), []);
  return (
    <BrowserRouter>
      <Shell authed={authed} onSignedIn={onSignedIn} />
    </BrowserRouter>
  );
}
