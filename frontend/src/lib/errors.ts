import type { CombinedError } from "urql";

/** "30 seconds", "1 minute", "2 minutes": how long to wait before retrying. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? "" : "s"}`;
}

/** The server's BAD_USER_INPUT messages (graph/*.py) in words a person would use. */
const INPUT_MESSAGES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^handle taken$/i, () => "That handle is taken. Try another one."],
  [/^handle must be/i, () => "A handle is 3–15 letters, digits or underscores."],
  [/^handle missing$/i, () => "Enter a handle."],
  [/^password must be (\d+)\.\.(\d+) characters$/i, (m) => `A password has ${m[1]} to ${m[2]} characters.`],
  [/^display ?name longer than (\d+)/i, (m) => `A display name can be at most ${m[1]} characters.`],
  [/^display ?name/i, () => "A display name has 1 to 50 characters."],
  [/^bio longer than (\d+)/i, (m) => `A bio can be at most ${m[1]} characters.`],
  [/^tweet text is empty$/i, () => "Write something first."],
  [/^tweet text longer than (\d+)/i, (m) => `A tweet can be at most ${m[1]} characters.`],
  [/^cannot follow yourself$/i, () => "You can't follow yourself."],
];

function friendlyInput(message: string | undefined): string {
  const text = (message ?? "").trim();
  for (const [re, say] of INPUT_MESSAGES) {
    const m = re.exec(text);
    if (m) return say(m);
  }
  if (!text) return "That input isn't valid.";
  return `${text[0].toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;
}

export const NOT_FOUND_TEXT = "That doesn't exist (anymore).";

/** Maps a GraphQL/network error to a clear message, keyed on extensions.code (every code of the contract). */
export function errorMessage(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  if (error.networkError) return "Can't reach Feedline. Check your connection and try again.";
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code;
  const retryAfter = Number(first?.extensions?.retryAfter);
  const retry = Number.isFinite(retryAfter) && retryAfter > 0 ? waitText(retryAfter) : null;
  switch (code) {
    case "RATE_LIMITED":
      return retry
        ? `You're doing that too fast. Try again in ${retry}.`
        : "You're doing that too fast. Wait a moment and try again.";
    case "UNAUTHENTICATED":
      return "Your session expired. Please log in again.";
    case "BAD_USER_INPUT":
      return friendlyInput(first?.message);
    case "FORBIDDEN":
      return "You're not allowed to do that.";
    case "NOT_FOUND":
      return NOT_FOUND_TEXT;
    case "SERVICE_UNAVAILABLE":
      return `Feedline is having trouble right now. Try again in ${retry ?? "a moment"}.`;
    case "INTERNAL_SERVER_ERROR":
      return "Something went wrong on our side. Try again.";
    default:
      return "Something went wrong. Try again.";
  }
}
