export const APP_TITLE = "Feedline";

/** The tab title with the count of new tweets waiting behind the bar: "(3) Feedline". */
export function unreadTitle(unread: number, base: string = APP_TITLE): string {
  if (unread <= 0) return base;
  return `(${unread > 99 ? "99+" : unread}) ${base}`;
}
