/** Keyboard shortcuts (as Twitter and Mastodon have them): j/k next/previous tweet, n compose. */
export type Shortcut = "next" | "previous" | "compose";

const KEYS: Record<string, Shortcut> = { j: "next", k: "previous", n: "compose" };

interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  defaultPrevented?: boolean;
  target: EventTarget | null;
}

/** True when the key goes into a text field (typing "n" in the composer must not jump anywhere). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as (HTMLElement & { isContentEditable?: boolean }) | null;
  if (!el || typeof el.tagName !== "string") return false;
  const tag = el.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || el.isContentEditable) return true;
  if (tag !== "input") return false;
  const type = ((el as HTMLInputElement).type || "text").toLowerCase();
  return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file", "image"].includes(type);
}

/** The shortcut a key press means, or null (modifiers, typing, or an unrelated key). */
export function shortcutFor(e: KeyLike): Shortcut | null {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return null;
  return KEYS[e.key] ?? null;
}

/**
 * The index of the tweet to focus: one after / before `current`, clamped to the list; from nothing focused,
 * `firstVisible` (the first tweet on screen) for "next" and the one before it for "previous".
 */
export function moveIndex(current: number, count: number, dir: 1 | -1, firstVisible = 0): number | null {
  if (count === 0) return null;
  if (current < 0) return dir === 1 ? Math.min(firstVisible, count - 1) : Math.max(0, Math.min(firstVisible, count) - 1);
  return Math.min(count - 1, Math.max(0, current + dir));
}
