export interface Edge {
  cursor: string;
  node: { id: string };
}

/** Appends a page to existing edges, dropping tweets already present (cursor pages can overlap). */
export function mergeEdges<E extends Edge>(existing: E[], incoming: E[]): E[] {
  const seen = new Set(existing.map((e) => e.node.id));
  const out = existing.slice();
  for (const e of incoming) {
    if (!seen.has(e.node.id)) {
      seen.add(e.node.id);
      out.push(e);
    }
  }
  return out;
}

/** Pending live entries waiting behind the "N new tweets" bar, newest first, deduped. */
export interface NewTweetsState<E extends Edge> {
  pending: E[];
}

export function queueNew<E extends Edge>(
  state: NewTweetsState<E>,
  entry: E,
  shownIds: Set<string>,
): NewTweetsState<E> {
  if (shownIds.has(entry.node.id) || state.pending.some((e) => e.node.id === entry.node.id)) {
    return state;
  }
  return { pending: [entry, ...state.pending] };
}

export function dropPending<E extends Edge>(state: NewTweetsState<E>, tweetId: string): NewTweetsState<E> {
  return { pending: state.pending.filter((e) => e.node.id !== tweetId) };
}

/** Shows the pending entries in place: prepended to the feed, deduped. */
export function flushPending<E extends Edge>(feed: E[], state: NewTweetsState<E>): E[] {
  return mergeEdges(state.pending, feed);
}

export function newTweetsLabel(n: number): string | null {
  if (n <= 0) return null;
  return n === 1 ? "Show 1 new tweet" : `Show ${n} new tweets`;
}
