/** Remembers the last subscription cursor so a resubscribe passes `after` and misses nothing. */
export class ResumeCursor {
  private last: string | null = null;
  constructor(private readonly storage?: Pick<Storage, "getItem" | "setItem">, private readonly key = "feedline.cursor") {
    this.last = storage?.getItem(key) ?? null;
  }
  seen(cursor: string): void {
    this.last = cursor;
    this.storage?.setItem(this.key, cursor);
  }
  variables(): { after: string | null } {
    return { after: this.last };
  }
}

/** Exponential backoff with a cap and jitter; retried forever by the ws client. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + (random() * base) / 2);
}
