import type { ReactNode } from "react";
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { getToken, setToken } from "./client";
import { AuthForm } from "./components/Auth";
import { Home } from "./components/Home";
import { ProfileRoute } from "./components/Profile";
import { Search } from "./components/Search";
import { Sidebar } from "./components/Sidebar";
import { ErrorState, Loading } from "./components/ui";
import { LogOutMutation, ViewerQuery } from "./operations";

export { Compose } from "./components/Compose";
export { Tweet } from "./components/Tweet";
export { AuthForm } from "./components/Auth";

function LogOutButton() {
  const [, logOut] = useMutation(LogOutMutation);
  const onClick = async () => {
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
      <Link to="/" className="logo" aria-label="Feedline home">Feedline</Link>
      <nav aria-label="Main">
        {authed && <NavLink to="/" end>Home</NavLink>}
        <NavLink to="/search">Search</NavLink>
        {viewerHandle && <NavLink to={`/u/${viewerHandle}`} className="me" aria-label="Your profile" title={`@${viewerHandle}`}>@{viewerHandle}</NavLink>}
        {authed ? <LogOutButton /> : <><NavLink to="/login">Log in</NavLink><NavLink to="/signup">Sign up</NavLink></>}
      </nav>
    </header>
  );
}

/** The page grid; on the Search page the sidebar (who to follow, trending) also shows on phones. */
function Layout({ authed, children }: { authed: boolean; children: ReactNode }) {
  const { pathname } = useLocation();
  const cls = ["layout", authed ? "" : "solo", pathname === "/search" ? "explore" : ""].filter(Boolean).join(" ");
  return <main id="main" className={cls}>{children}</main>;
}

export default function App() {
  const authed = getToken() !== null;
  const [{ data, fetching, error }, refetch] = useQuery({ query: ViewerQuery, pause: !authed });
  const viewerHandle = data?.viewer?.handle;
  let home = <Navigate to="/login" replace />;
  if (authed) {
    if (viewerHandle) home = <Home viewerHandle={viewerHandle} />;
    else if (error) home = <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />;
    else home = <Loading />;
  }
  const guestOnly = (el: React.ReactElement) => (authed ? <Navigate to="/" replace /> : el);
  return (
    <BrowserRouter>
      <a href="#main" className="skip-link">Skip to content</a>
      <TopBar viewerHandle={viewerHandle} authed={authed} />
      <Layout authed={authed}>
        <div className="column">
          <Routes>
            <Route path="/" element={home} />
            <Route path="/login" element={guestOnly(<AuthForm mode="login" />)} />
            <Route path="/signup" element={guestOnly(<AuthForm mode="signup" />)} />
            <Route path="/u/:handle" element={<ProfileRoute viewerHandle={viewerHandle} />} />
            <Route path="/search" element={<Search viewerHandle={viewerHandle} />} />
            <Route path="*" element={<p className="state empty">Page not found. <Link to="/">Go home</Link></p>} />
          </Routes>
        </div>
        {authed && !fetching && <Sidebar viewerHandle={viewerHandle} />}
      </Layout>
    </BrowserRouter>
  );
}
