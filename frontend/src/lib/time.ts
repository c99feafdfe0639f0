/** Short relative time like the big social apps: "now", "42s", "5m", "3h", then a date ("Nov 3", "Nov 3, 2024"). */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const s = Math.floor((now.getTime() - then.getTime()) / 1000);
  if (Number.isNaN(s)) return "";
  if (s < 5) return "now";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  const sameYear = then.getUTCFullYear() === now.getUTCFullYear();
  return then.toLocaleDateString("en-US", {
    month: "short",
    day: "numeric",
    ...(sameYear ? {} : { year: "numeric" }),
    timeZone: "UTC",
  });
}
