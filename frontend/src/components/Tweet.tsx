import { useRef, useState } from "react";
import { flushSync } from "react-dom";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { useFragment, type FragmentType } from "../gql";
import { errorMessage } from "../lib/errors";
import { useNow } from "../lib/clock";
import { focusElement, focusTargetAfterRemoving } from "../lib/focus";
import { fullTime, relativeTime } from "../lib/time";
import { DeleteTweetMutation, LikeMutation, TweetFields, UnlikeMutation } from "../operations";
import { Avatar, CelebrityBadge, Dialog } from "./ui";

export interface LikeState { liked: boolean; count: number }

/** The like state right after a click, before the server answers. */
export function toggledLike(s: LikeState): LikeState {
  return s.liked ? { liked: false, count: Math.max(0, s.count - 1) } : { liked: true, count: s.count + 1 };
}

export type TweetRef = FragmentType<typeof TweetFields>;

export function Tweet({ tweet, source, viewerHandle }: { tweet: TweetRef; source?: string; viewerHandle?: string }) {
  const t = useFragment(TweetFields, tweet);
  const [, like] = useMutation(LikeMutation);
  const [, unlike] = useMutation(UnlikeMutation);
  const [del, remove] = useMutation(DeleteTweetMutation);
  const [gone, setGone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Feed entries can be snapshots (live events, earlier pages), so the like state is kept here as well as in
  // the cache: flipped at once (optimistic), then set to what the server answered, or rolled back on error.
  const [likeState, setLikeState] = useState<LikeState | null>(null);
  // One like request at a time per tweet: concurrent like/unlike could reach the server in either order.
  const [likeBusy, setLikeBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const article = useRef<HTMLElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const now = useNow(); // relative times keep updating
  if (gone) return null;
  const { liked, count } = likeState ?? { liked: t.viewerHasLiked, count: t.likeCount };
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
  const own = viewerHandle !== undefined && viewerHandle === t.author.handle;
  return (
    <article ref={article} className="tweet" data-testid="tweet" data-tweet-id={t.id} data-source={source}
      aria-label={`Tweet by @${t.author.handle}`} tabIndex={-1}>
      <Link to={`/u/${t.author.handle}`} tabIndex={-1} aria-hidden="true" className="avatar-link">
        <Avatar name={t.author.displayName || t.author.handle} />
      </Link>
      <div className="tweet-body">
        <header>
          <Link to={`/u/${t.author.handle}`} className="name">{t.author.displayName}</Link>
          {t.author.isCelebrity && <CelebrityBadge />}
          <span className="muted handle">@{t.author.handle}</span>
          <span className="muted" aria-hidden="true">·</span>
          <time className="muted" dateTime={t.createdAt} title={fullTime(t.createdAt)}>
            {relativeTime(t.createdAt, new Date(now))}
          </time>
        </header>
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
          {/* The name is the visible count with words around it ("Like, 3 likes"), no aria-label to disagree. */}
          <button type="button" className={liked ? "like liked" : "like"} aria-pressed={liked}
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
    </article>
  );
}
