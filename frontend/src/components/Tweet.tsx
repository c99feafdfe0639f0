import { useEffect, useRef, useState, type FocusEvent, type KeyboardEvent } from "react";
import { flushSync } from "react-dom";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { useFragment, type FragmentType } from "../gql";
import { errorMessage } from "../lib/errors";
import { emitUnreposting } from "../lib/events";
import { useNow } from "../lib/clock";
import { focusElement, focusTargetAfterRemoving, requestReplyFocus } from "../lib/focus";
import { hiddenAccounts, repostedByLabel, toggled, type ToggleState } from "../lib/social";
import { fullTime, relativeTime } from "../lib/time";
import {
  BlockMutation, DeleteTweetMutation, LikeMutation, MuteMutation, RepostMutation, TweetFields, UnlikeMutation,
  UnrepostMutation,
} from "../operations";
import { Avatar, CelebrityBadge, Dialog } from "./ui";

export interface LikeState { liked: boolean; count: number }

/** The like state right after a click, before the server answers. */
export function toggledLike(s: LikeState): LikeState {
  return s.liked ? { liked: false, count: Math.max(0, s.count - 1) } : { liked: true, count: s.count + 1 };
}

export type TweetRef = FragmentType<typeof TweetFields>;
export interface Reposter { handle: string; displayName: string }

/** "More" on someone else's tweet: mute or block its author. A disclosure (a button and the actions it shows),
 * closed by Escape (focus back on the button) or by leaving it. */
function MoreMenu({ id, handle, onMute, onBlock, busy }: {
  id: string; handle: string; onMute: () => void; onBlock: () => void; busy: boolean;
}) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (open) list.current?.querySelector("button")?.focus();
  }, [open]);
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && open) {
      e.stopPropagation();
      close(true);
    }
  };
  const onBlur = (e: FocusEvent) => {
    if (open && !e.currentTarget.contains(e.relatedTarget as Node | null)) setOpen(false);
  };
  const menuId = `more-${id}`;
  return (
    <div className="more" onKeyDown={onKeyDown} onBlur={onBlur}>
      <button ref={button} type="button" className="icon-button" data-testid="more-button" aria-expanded={open}
        aria-controls={menuId} onClick={() => setOpen((o) => !o)}>
        <span aria-hidden="true">⋯</span><span className="sr-only">More options for this tweet by @{handle}</span>
      </button>
      {open && (
        <ul ref={list} id={menuId} className="more-menu" data-testid="more-menu">
          <li>
            <button type="button" aria-disabled={busy || undefined} onClick={() => { setOpen(false); onMute(); }}>
              Mute @{handle}
            </button>
          </li>
          <li>
            <button type="button" className="danger" aria-disabled={busy || undefined}
              onClick={() => { setOpen(false); onBlock(); }}>
              Block @{handle}
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

export function Tweet({ tweet, source, viewerHandle, repostedBy, replyingTo, focused }: {
  tweet: TweetRef;
  source?: string;
  viewerHandle?: string;
  /** The handle of the account this tweet replies to, when the list shows it. */
  replyingTo?: string | null;
  /** Who reposted it into this feed. */
  repostedBy?: Reposter | null;
  /** The tweet a tweet page is about: larger, its time not a link. */
  focused?: boolean;
}) {
  const t = useFragment(TweetFields, tweet);
  const [, like] = useMutation(LikeMutation);
  const [, unlike] = useMutation(UnlikeMutation);
  const [, repost] = useMutation(RepostMutation);
  const [, unrepost] = useMutation(UnrepostMutation);
  const [del, remove] = useMutation(DeleteTweetMutation);
  const [muteRes, mute] = useMutation(MuteMutation);
  const [blockRes, block] = useMutation(BlockMutation);
  const [gone, setGone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Feed entries can be snapshots (live events, earlier pages), so the like and repost states are kept here as
  // well as in the cache: flipped at once (optimistic), then set to what the server answered, or rolled back.
  const [likeState, setLikeState] = useState<LikeState | null>(null);
  const [repostState, setRepostState] = useState<ToggleState | null>(null);
  // One request at a time per toggle: concurrent like/unlike could reach the server in either order.
  const [likeBusy, setLikeBusy] = useState(false);
  const [repostBusy, setRepostBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [confirmingBlock, setConfirmingBlock] = useState(false);
  const article = useRef<HTMLElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const now = useNow(); // relative times keep updating
  if (gone) return null;
  const { liked, count } = likeState ?? { liked: t.viewerHasLiked, count: t.likeCount };
  const reposts = repostState ?? { on: t.viewerHasReposted, count: t.repostCount };
  const handle = t.author.handle;
  const toggleLike = async () => {
    // Busy is aria-disabled, not disabled: a disabled button drops keyboard focus to the top of the page.
    if (likeBusy) return;
    setError(null);
    const before = likeState;
    setLikeState(toggledLike({ liked, count }));
    setLikeBusy(true);
    const r = liked ? await unlike({ id: t.id }) : await like({ id: t.id });
    setLikeBusy(false);
    const answer = r.data && ("likeTweet" in r.data ? r.data.likeTweet : r.data.unlikeTweet);
    if (answer) setLikeState({ liked: answer.viewerHasLiked, count: answer.likeCount });
    else {
      setLikeState(before);
      setError(errorMessage(r.error) ?? "Couldn't update the like.");
    }
  };
  const toggleRepost = async () => {
    if (repostBusy) return;
    setError(null);
    const before = repostState;
    setRepostState(toggled(reposts));
    setRepostBusy(true);
    if (reposts.on) emitUnreposting(t.id); // before the request: its live event may come before its answer
    const r = reposts.on ? await unrepost({ id: t.id }) : await repost({ id: t.id });
    setRepostBusy(false);
    const answer = r.data && ("repost" in r.data ? r.data.repost : r.data.unrepost);
    if (answer) setRepostState({ on: answer.viewerHasReposted, count: answer.repostCount });
    else {
      setRepostState(before);
      setError(errorMessage(r.error) ?? "Couldn't update the repost.");
    }
  };
  const cancelDelete = () => {
    flushSync(() => setConfirming(false));
    deleteButton.current?.focus();
  };
  const onDelete = async () => {
    flushSync(() => setConfirming(false));
    setError(null);
    // Focus moves to the next tweet (else the previous one), never to the top of the page.
    focusElement(focusTargetAfterRemoving(article.current));
    setGone(true); // optimistic; the cache also drops it from every list
    const r = await remove({ id: t.id });
    if (r.error) {
      setGone(false);
      setError(errorMessage(r.error));
    }
  };
  const moreButton = () => article.current?.querySelector<HTMLElement>('[data-testid="more-button"]') ?? null;
  // Mute and block hide every entry of the account in the lists on screen: focus goes to the next tweet that
  // stays (not one of theirs), as after a delete.
  const hideAuthor = async (act: "mute" | "block") => {
    setError(null);
    // Chosen now: the server's live events may take this tweet away before its answer arrives.
    const next = focusTargetAfterRemoving(article.current, handle);
    moreButton()?.focus(); // meanwhile (the menu item that was used is gone)
    const r = act === "mute" ? await mute({ handle }) : await block({ handle });
    if (r.error) {
      setError(errorMessage(r.error));
      focusElement(moreButton());
      return;
    }
    focusElement(next?.isConnected ? next : document.getElementById("main"));
    hiddenAccounts.set(handle, true);
  };
  const cancelBlock = () => {
    flushSync(() => setConfirmingBlock(false));
    moreButton()?.focus();
  };
  const onBlock = () => {
    flushSync(() => setConfirmingBlock(false));
    void hideAuthor("block");
  };
  const own = viewerHandle !== undefined && viewerHandle === handle;
  const other = viewerHandle !== undefined && !own;
  const permalink = `/t/${t.id}`;
  const time = (
    <time className="muted" dateTime={t.createdAt} title={fullTime(t.createdAt)}>
      {relativeTime(t.createdAt, new Date(now))}
    </time>
  );
  return (
    <article ref={article} className={focused ? "tweet focused" : "tweet"} data-testid="tweet" data-tweet-id={t.id}
      data-source={source} data-author={handle} aria-label={`Tweet by @${handle}`} tabIndex={-1}>
      <Link to={`/u/${handle}`} tabIndex={-1} aria-hidden="true" className="avatar-link">
        <Avatar name={t.author.displayName || handle} />
      </Link>
      <div className="tweet-body">
        {repostedBy && (
          <p className="reposted-by muted" data-testid="reposted-by">
            <span aria-hidden="true">⟲ </span>
            <Link to={`/u/${repostedBy.handle}`}>{repostedByLabel(repostedBy, viewerHandle)}</Link>
          </p>
        )}
        <header>
          <Link to={`/u/${handle}`} className="name">{t.author.displayName}</Link>
          {t.author.isCelebrity && <CelebrityBadge />}
          <span className="muted handle">@{handle}</span>
          <span className="muted" aria-hidden="true">·</span>
          {focused ? time : (
            <Link to={permalink} className="permalink" data-testid="tweet-link">
              {time}<span className="sr-only"> (open the tweet and its replies)</span>
            </Link>
          )}
        </header>
        {replyingTo && <p className="replying-to muted small" data-testid="replying-to">Replying to @{replyingTo}</p>}
        {source === "CELEBRITY" && (
          <p className="marker" data-testid="marker-celebrity" title="Merged in at read time from a celebrity you follow">
            ★ From a popular account you follow
          </p>
        )}
        {source === "SUGGESTED" && (
          <p className="marker" data-testid="marker-suggested" title="Trending: suggested while you follow few accounts">
            ↗ Suggested for you
          </p>
        )}
        <p className="text">{t.text}</p>
        <footer>
          {/* The names are the visible counts with words around them ("Like, 3 likes"), no aria-label to disagree. */}
          <Link to={permalink} className="action reply" data-testid="reply-button"
            onClick={() => requestReplyFocus()}>
            <span aria-hidden="true">↩</span>
            <span className="sr-only">Reply,</span>{" "}
            <span data-testid="reply-count">{t.replyCount}</span>{" "}
            <span className="sr-only">{t.replyCount === 1 ? "reply" : "replies"}</span>
          </Link>
          <button type="button" className={reposts.on ? "action repost reposted" : "action repost"}
            aria-pressed={reposts.on} data-testid="repost-button" onClick={toggleRepost}
            aria-disabled={repostBusy || undefined} title={reposts.on ? "Undo repost" : "Repost"}>
            <span aria-hidden="true">⟲</span>
            <span className="sr-only">Repost,</span>{" "}
            <span data-testid="repost-count">{reposts.count}</span>{" "}
            <span className="sr-only">{reposts.count === 1 ? "repost" : "reposts"}</span>
          </button>
          <button type="button" className={liked ? "action like liked" : "action like"} aria-pressed={liked}
            data-testid="like-button" onClick={toggleLike} aria-disabled={likeBusy || undefined}>
            <span aria-hidden="true">{liked ? "♥" : "♡"}</span>
            <span className="sr-only">{liked ? "Unlike" : "Like"},</span>{" "}
            <span data-testid="like-count">{count}</span>{" "}
            <span className="sr-only">{count === 1 ? "like" : "likes"}</span>
          </button>
          {own && (
            <button ref={deleteButton} type="button" className="link danger"
              aria-disabled={del.fetching || undefined} onClick={() => setConfirming(true)}>
              Delete <span className="sr-only">tweet</span>
            </button>
          )}
          {other && (
            <MoreMenu id={t.id} handle={handle} busy={muteRes.fetching || blockRes.fetching}
              onMute={() => void hideAuthor("mute")} onBlock={() => setConfirmingBlock(true)} />
          )}
        </footer>
        {error && <p role="alert" className="error small">{error}</p>}
      </div>
      {own && (
        <Dialog open={confirming} onClose={cancelDelete} labelledBy={`del-title-${t.id}`} describedBy={`del-text-${t.id}`}
          testId="delete-dialog">
          <h2 id={`del-title-${t.id}`}>Delete tweet?</h2>
          <p id={`del-text-${t.id}`}>This can't be undone. It disappears from your profile and from your followers' feeds.</p>
          <div className="actions">
            <button type="button" className="secondary" data-autofocus onClick={cancelDelete}>Cancel</button>
            <button type="button" className="danger-fill" onClick={onDelete}>Delete</button>
          </div>
        </Dialog>
      )}
      {other && (
        <BlockDialog handle={handle} open={confirmingBlock} onCancel={cancelBlock} onConfirm={onBlock} idSuffix={t.id} />
      )}
    </article>
  );
}

/** The confirmation before a block (from a tweet's menu or a profile). */
export function BlockDialog({ handle, open, onCancel, onConfirm, idSuffix }: {
  handle: string; open: boolean; onCancel: () => void; onConfirm: () => void; idSuffix: string;
}) {
  return (
    <Dialog open={open} onClose={onCancel} labelledBy={`block-title-${idSuffix}`} describedBy={`block-text-${idSuffix}`}
      testId="block-dialog">
      <h2 id={`block-title-${idSuffix}`}>Block @{handle}?</h2>
      <p id={`block-text-${idSuffix}`}>
        You'll stop following each other. They can't follow you, reply to or repost your tweets, and neither of you
        sees the other's tweets.
      </p>
      <div className="actions">
        <button type="button" className="secondary" data-autofocus onClick={onCancel}>Cancel</button>
        <button type="button" className="danger-fill" onClick={onConfirm}>Block</button>
      </div>
    </Dialog>
  );
}
