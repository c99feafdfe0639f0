export const MAX_TWEET_LENGTH = 280;

/** Characters left, counted on the trimmed text the server will store. */
export function remainingChars(text: string): number {
  return MAX_TWEET_LENGTH - [...text.trim()].length;
}

/** Returns a user-facing validation message, or null when the text can be posted. */
export function validateTweet(text: string): string | null {
  if (text.trim().length === 0) return "Write something first.";
  const left = remainingChars(text);
  if (left < 0) return `Too long by ${-left} character${left === -1 ? "" : "s"}.`;
  return null;
}
