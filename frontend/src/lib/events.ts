/** A tiny in-page signal: someone was followed or unfollowed, so the home feed should be fetched again. */
const target = new EventTarget();
const FOLLOWS_CHANGED = "follows-changed";

export function emitFollowsChanged(): void {
  target.dispatchEvent(new Event(FOLLOWS_CHANGED));
}

export function onFollowsChanged(listener: () => void): () => void {
  target.addEventListener(FOLLOWS_CHANGED, listener);
  return () => target.removeEventListener(FOLLOWS_CHANGED, listener);
}
