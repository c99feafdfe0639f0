import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { errorMessage, waitText } from "./errors";
import { isTyping, moveIndex, shortcutFor } from "./keys";
import { validateProfile } from "./profile";
import { unreadTitle } from "./title";

const err = (code: string, message = "boom", extra: object = {}) =>
  new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions: { code, ...extra } })] });

describe("errorMessage for every error code", () => {
  it("says what happened in plain words", () => {
    expect(errorMessage(err("BAD_USER_INPUT", "handle taken"))).toBe("That handle is taken. Try another one.");
    expect(errorMessage(err("BAD_USER_INPUT", "password must be 8..128 characters"))).toBe("A password has 8 to 128 characters.");
    expect(errorMessage(err("BAD_USER_INPUT", "tweet text longer than 280 characters"))).toBe("A tweet can be at most 280 characters.");
    expect(errorMessage(err("BAD_USER_INPUT", "cannot follow yourself"))).toBe("You can't follow yourself.");
    expect(errorMessage(err("BAD_USER_INPUT", "something new went wrong"))).toBe("Something new went wrong.");
    expect(errorMessage(err("BAD_USER_INPUT", ""))).toBe("That input isn't valid.");
    expect(errorMessage(err("UNAUTHENTICATED"))).toBe("Your session expired. Please log in again.");
    expect(errorMessage(err("FORBIDDEN"))).toBe("You're not allowed to do that.");
    expect(errorMessage(err("NOT_FOUND"))).toBe("That doesn't exist (anymore).");
    expect(errorMessage(err("SERVICE_UNAVAILABLE"))).toBe("Feedline is having trouble right now. Try again in a moment.");
    expect(errorMessage(err("INTERNAL_SERVER_ERROR"))).toBe("Something went wrong on our side. Try again.");
    expect(errorMessage(err("SOMETHING_ELSE"))).toBe("Something went wrong. Try again.");
  });
  it("tells when to retry from extensions.retryAfter", () => {
    expect(errorMessage(err("RATE_LIMITED"))).toBe("You're doing that too fast. Wait a moment and try again.");
    expect(errorMessage(err("RATE_LIMITED", "x", { retryAfter: 30 }))).toBe("You're doing that too fast. Try again in 30 seconds.");
    expect(errorMessage(err("RATE_LIMITED", "x", { retryAfter: 1 }))).toBe("You're doing that too fast. Try again in 1 second.");
    expect(errorMessage(err("RATE_LIMITED", "x", { retryAfter: 90 }))).toBe("You're doing that too fast. Try again in 2 minutes.");
    expect(errorMessage(err("RATE_LIMITED", "x", { retryAfter: "junk" }))).toMatch(/Wait a moment/);
    expect(errorMessage(err("SERVICE_UNAVAILABLE", "x", { retryAfter: 5 }))).toBe("Feedline is having trouble right now. Try again in 5 seconds.");
  });
  it("formats waits", () => {
    expect(waitText(0.2)).toBe("1 second");
    expect(waitText(59)).toBe("59 seconds");
    expect(waitText(60)).toBe("1 minute");
    expect(waitText(61)).toBe("2 minutes");
  });
});

describe("keyboard shortcuts", () => {
  const el = (tagName: string, type?: string) => ({ tagName, type }) as unknown as EventTarget;
  it("j, k, n outside text fields only, without modifiers", () => {
    expect(shortcutFor({ key: "j", target: el("BODY") })).toBe("next");
    expect(shortcutFor({ key: "k", target: el("ARTICLE") })).toBe("previous");
    expect(shortcutFor({ key: "n", target: el("BUTTON") })).toBe("compose");
    expect(shortcutFor({ key: "n", target: el("TEXTAREA") })).toBeNull();
    expect(shortcutFor({ key: "n", target: el("INPUT", "search") })).toBeNull();
    expect(shortcutFor({ key: "j", target: el("INPUT", "checkbox") })).toBe("next");
    expect(shortcutFor({ key: "j", ctrlKey: true, target: el("BODY") })).toBeNull();
    expect(shortcutFor({ key: "x", target: el("BODY") })).toBeNull();
    expect(isTyping(null)).toBe(false);
  });
  it("moves one tweet at a time, clamped, from the first one on screen", () => {
    expect(moveIndex(-1, 5, 1, 2)).toBe(2);
    expect(moveIndex(-1, 5, -1, 2)).toBe(1);
    expect(moveIndex(-1, 5, -1, 0)).toBe(0);
    expect(moveIndex(0, 5, 1)).toBe(1);
    expect(moveIndex(4, 5, 1)).toBe(4);
    expect(moveIndex(0, 5, -1)).toBe(0);
    expect(moveIndex(-1, 0, 1)).toBeNull();
  });
});

describe("unread count in the tab title", () => {
  it("prefixes the count", () => {
    expect(unreadTitle(0)).toBe("Feedline");
    expect(unreadTitle(3)).toBe("(3) Feedline");
    expect(unreadTitle(250)).toBe("(99+) Feedline");
  });
});

describe("validateProfile", () => {
  it("follows the contract's limits", () => {
    expect(validateProfile("Ann", "")).toBeNull();
    expect(validateProfile("  ", "")).toBe("Enter a display name.");
    expect(validateProfile("x".repeat(51), "")).toMatch(/at most 50/);
    expect(validateProfile("Ann", "b".repeat(161))).toMatch(/at most 160/);
  });
});
