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

const UNREPOSTING = "unreposting";

/** The viewer is undoing their repost of tweet `id` (the home feed then reads its DELETED event with care). */
export function emitUnreposting(id: string): void {
  target.dispatchEvent(new CustomEvent(UNREPOSTING, { detail: id }));
}

export function onUnreposting(listener: (id: string) => void): () => void {
  const handler = (e: Event) => listener((e as CustomEvent<string>).detail);
  target.addEventListener(UNREPOSTING, handler);
  return () => target.removeEventListener(UNREPOSTING, handler);
}
