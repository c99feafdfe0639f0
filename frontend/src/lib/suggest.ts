export interface SuggestUser {
  id: string;
  handle: string;
  viewerFollows?: boolean;
}

/**
 * Who to follow: the server's friends-of-friends suggestions; when there are none yet (a new account follows
 * nobody), fall back to the authors of trending tweets, so a newcomer always has someone to follow.
 * Never the viewer, never someone already followed, no duplicates, at most `limit`.
 */
export function whoToFollow<U extends SuggestUser>(
  suggested: U[],
  trendingAuthors: U[],
  viewerId: string | undefined,
  limit = 5,
): U[] {
  const out: U[] = [];
  const seen = new Set<string>();
  const pool = suggested.length > 0 ? suggested : trendingAuthors;
  for (const u of pool) {
    if (u.id === viewerId || u.viewerFollows || seen.has(u.id)) continue;
    seen.add(u.id);
    out.push(u);
    if (out.length >= limit) break;
  }
  return out;
}
