/** Moving focus where a keyboard user expects it (j/k, compose, after a delete). */
const TWEET = 'article[data-testid="tweet"]';
let composeWanted = false;

/** Asks the composer to take focus when it mounts (n or the compose button from another page). */
export function requestComposeFocus(): void {
  composeWanted = true;
}

export function takeComposeRequest(): boolean {
  const wanted = composeWanted;
  composeWanted = false;
  return wanted;
}

/** Focuses the composer on this page; false when there is none. */
export function focusCompose(): boolean {
  const box = document.getElementById("compose-text") as HTMLTextAreaElement | null;
  if (!box) return false;
  box.focus({ preventScroll: true });
  box.scrollIntoView({ block: "center" });
  return true;
}

export function focusElement(el: HTMLElement | null): boolean {
  if (!el) return false;
  el.focus({ preventScroll: true });
  el.scrollIntoView?.({ block: "nearest" });
  return true;
}

export function tweetsOnPage(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>(`#main ${TWEET}`));
}

/** Where focus goes when `article` disappears: the next tweet, else the previous one, else the main region.
 * With `author` (a mute or a block), every tweet of that account disappears too, so none of them is chosen. */
export function focusTargetAfterRemoving(article: HTMLElement | null, author?: string): HTMLElement | null {
  if (!article) return null;
  const all = tweetsOnPage();
  const i = all.indexOf(article);
  const stays = (t: HTMLElement) => t !== article && (author === undefined || t.dataset.author !== author);
  const next = all.slice(i + 1).find(stays) ?? all.slice(0, Math.max(0, i)).reverse().find(stays);
  return next ?? document.getElementById("main");
}

let replyWanted = false;
/** Asks the reply box of the tweet page about to open to take focus (the Reply button of a tweet). */
export function requestReplyFocus(): void {
  replyWanted = true;
}

export function takeReplyRequest(): boolean {
  const wanted = replyWanted;
  replyWanted = false;
  return wanted;
}
