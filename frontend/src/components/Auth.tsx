import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useClient, useMutation } from "urql";
import { setToken, sessionExpired } from "../client";
import { errorMessage } from "../lib/errors";
import { LogInMutation, SignUpMutation } from "../operations";
import { prefetchHome } from "./Home";

const HANDLE_PATTERN = "[A-Za-z0-9_]{3,15}";

export function AuthForm({ mode, onSignedIn }: { mode: "signup" | "login"; onSignedIn?: () => void }) {
  const navigate = useNavigate();
  const client = useClient();
  const [handle, setHandle] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [expired] = useState(() => mode === "login" && sessionExpired());
  const [su, signUp] = useMutation(SignUpMutation);
  const [li, logIn] = useMutation(LogInMutation);
  const res = mode === "signup" ? su : li;
  const signingUp = mode === "signup";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = signingUp
      ? await signUp({ handle: handle.trim(), password, displayName: displayName.trim() || null })
      : await logIn({ handle: handle.trim(), password });
    const payload = r.data && ("signUp" in r.data ? r.data.signUp : r.data.logIn);
    if (payload) {
      // No page load: the viewer is already in the cache (see cache.ts), so the feed query starts at once.
      setToken(payload.token);
      prefetchHome(client);
      onSignedIn?.();
      navigate("/", { replace: true });
    }
  };
  const error = res.error && (signingUp ? errorMessage(res.error) : loginError(res.error));
  return (
    <form className="card auth" onSubmit={submit} aria-labelledby="auth-title">
      <h1 id="auth-title">{signingUp ? "Join Feedline" : "Log in to Feedline"}</h1>
      {expired && <p className="notice" role="status">Your session expired. Please log in again.</p>}
      <label htmlFor="handle">Handle</label>
      <input id="handle" autoComplete="username" value={handle} onChange={(e) => setHandle(e.target.value)} required
        pattern={signingUp ? HANDLE_PATTERN : undefined} aria-describedby={signingUp ? "handle-hint" : undefined} />
      {signingUp && <small id="handle-hint" className="muted">3–15 letters, digits or _</small>}
      {signingUp && (
        <>
          <label htmlFor="display-name">Display name <span className="muted">(optional)</span></label>
          <input id="display-name" autoComplete="name" value={displayName} maxLength={50}
            onChange={(e) => setDisplayName(e.target.value)} />
        </>
      )}
      <label htmlFor="password">Password</label>
      <input id="password" type="password" autoComplete={signingUp ? "new-password" : "current-password"}
        minLength={signingUp ? 8 : undefined} value={password} onChange={(e) => setPassword(e.target.value)} required
        aria-describedby={signingUp ? "password-hint" : undefined} />
      {signingUp && <small id="password-hint" className="muted">At least 8 characters</small>}
      {error && <p role="alert" className="error" data-testid="auth-error">{error}</p>}
      <button type="submit" className="primary" disabled={res.fetching}>
        {res.fetching ? "Please wait…" : signingUp ? "Create account" : "Log in"}
      </button>
      <p className="muted">
        {signingUp ? <>Have an account? <Link to="/login">Log in</Link></> : <>New here? <Link to="/signup">Create an account</Link></>}
      </p>
    </form>
  );
}

function loginError(error: Parameters<typeof errorMessage>[0]): string | null {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  if (code === "UNAUTHENTICATED" || code === "BAD_USER_INPUT") return "Wrong handle or password.";
  return errorMessage(error);
}
