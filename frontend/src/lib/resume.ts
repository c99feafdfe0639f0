/**
 * Exponential backoff with a cap and jitter for websocket reconnects (retried forever by the ws client).
 * Resuming without gaps is done in client.ts: the subscription payload's `after` advances with every event.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + (random() * base) / 2);
}
