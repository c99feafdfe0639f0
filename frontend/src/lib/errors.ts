import type { CombinedError } from "urql";

/** Maps a GraphQL/network error to a clear message, keyed on extensions.code. */
export function errorMessage(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  if (error.networkError) return "Can't reach Feedline. Check your connection and try again.";
  const code = error.graphQLErrors[0]?.extensions?.code;
  switch (code) {
    case "RATE_LIMITED":
      return "You're doing that too fast. Wait a moment and try again.";
    case "UNAUTHENTICATED":
      return "Your session expired. Please log in again.";
    case "BAD_USER_INPUT":
      return error.graphQLErrors[0]?.message || "That input isn't valid.";
    case "FORBIDDEN":
      return "You're not allowed to do that.";
    case "NOT_FOUND":
      return "That doesn't exist (anymore).";
    default:
      return error.graphQLErrors[0]?.message || "Something went wrong.";
  }
}
