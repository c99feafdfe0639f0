/** Pure logic of replies, reposts, mutes and blocks in the web client (unit-tested in social.test.ts). */

export interface ToggleState { on: boolean; count: number }

/** A toggle with a count (repost, like) right after a click, before the server answers. */
export function toggled(s: ToggleState): ToggleState {
  return s.on ? { on: false, count: Math.max(0, s.count - 1) } : { on: true, count: s.count + 1 };
}

/** "Reposted by Ann" on a feed entry, or "You reposted" when the viewer did. */
export function repostedByLabel(by: { handle: string; displayName: string }, viewerHandle?: string): string {
  if (viewerHandle !== undefined && by.handle === viewerHandle) return "You reposted";
  return `Reposted by ${by.displayName || `@${by.handle}`}`;
}

/** "3 replies", "1 repost": a count with its noun, for screen readers and titles. */
export function countLabel(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export interface ThreadNode { id: string; inReplyTo?: ThreadNode | null }

/** What a tweet replies to, oldest first (as a thread reads), and the id of an earlier tweet the chain
 * stops short of (shown as a link), if any. `chain` is the tweet's own inReplyTo. */
export function threadAncestors<T extends ThreadNode>(chain: T | null | undefined): { ancestors: T[]; earlier: string | null } {
  const ancestors: T[] = [];
  let earlier: string | null = null;
  const seen = new Set<string>();
  for (let t: ThreadNode | null | undefined = chain; t; t = t.inReplyTo) {
    if (seen.has(t.id)) break;
    seen.add(t.id);
    // The deepest level of the query carries only an id: not shown, a link to it instead.
    if (!("text" in t)) {
      earlier = t.id;
      break;
    }
    ancestors.push(t as T);
  }
  return { ancestors: ancestors.reverse(), earlier };
}

/** Feed entries with an author (and maybe who reposted them), as Home and the replies list hold them. */
export interface AuthoredEdge {
  node: { id: string; author?: { handle: string } | null };
  repostedBy?: { handle: string } | null;
}

/** Drops the entries of muted or blocked accounts: their posts and what they reposted. */
export function withoutHidden<E extends AuthoredEdge>(edges: E[], hidden: ReadonlySet<string>): E[] {
  if (hidden.size === 0) return edges;
  return edges.filter(
    (e) => !(e.node.author && hidden.has(e.node.author.handle)) && !(e.repostedBy && hidden.has(e.repostedBy.handle)),
  );
}

/**
 * Whether a DELETED live event that follows the viewer's own undone repost of a tweet removes the feed entry
 * showing it. The server names the original in that event even when the original stays in this feed by itself
 * (the viewer follows its author) or through someone else's repost: only an entry there because of the
 * viewer's repost leaves.
 */
export function leavesAfterOwnUnrepost(entry: AuthoredEdge | undefined, viewerHandle?: string): boolean {
  return entry === undefined || (viewerHandle !== undefined && entry.repostedBy?.handle === viewerHandle);
}

/**
 * The accounts muted or blocked in this tab, so that every open list drops their entries at once (the server
 * does the same for what it sends from now on). Observable with useSyncExternalStore.
 */
export class HiddenAccounts {
  private handles: ReadonlySet<string> = new Set();
  private listeners = new Set<() => void>();

  get = (): ReadonlySet<string> => this.handles;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(handle: string, hidden: boolean): void {
    if (this.handles.has(handle) === hidden) return;
    const next = new Set(this.handles);
    if (hidden) next.add(handle);
    else next.delete(handle);
    this.handles = next;
    for (const l of this.listeners) l();
  }
}

export const hiddenAccounts = new HiddenAccounts();
