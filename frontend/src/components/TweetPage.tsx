import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent, type KeyboardEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { useFragment } from "../gql";
import type { PostReplyMutation as PostReplyResult } from "../gql/graphql";
import { MAX_TWEET_LENGTH, remainingChars, validateTweet } from "../lib/compose";
import { errorMessage, NOT_FOUND_TEXT } from "../lib/errors";
import { mergeEdges } from "../lib/feed";
import { takeReplyRequest } from "../lib/focus";
import { hiddenAccounts, threadAncestors, withoutHidden } from "../lib/social";
import { PostReplyMutation, TweetFields, TweetPageQuery, TweetRepliesPage } from "../operations";
import { Tweet, type TweetRef } from "./Tweet";
import { Empty, ErrorState, LoadMore, Loading } from "./ui";

type Posted = PostReplyResult["postTweet"];
interface ReplyEdge { cursor: string; node: TweetRef & { id: string; author?: { handle: string } } }

/** The reply box of a tweet page: focused when the tweet's Reply button opened the page; keeps focus after
 * posting (emptied, ready for the next reply). */
function ReplyBox({ parentId, handle, onPosted }: { parentId: string; handle: string; onPosted: (t: Posted) => void }) {
  const [text, setText] = useState("");
  const [touched, setTouched] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [res, post] = useMutation(PostReplyMutation);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (box.current && takeReplyRequest()) box.current.focus();
  }, []);
  const left = remainingChars(text);
  const invalid = validateTweet(text);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setTouched(true);
    setServerError(null);
    if (invalid || res.fetching) return;
    const r = await post({ text: text.trim(), inReplyTo: parentId });
    if (r.error || !r.data) setServerError(errorMessage(r.error) ?? "Couldn't post the reply.");
    else {
      setText("");
      setTouched(false);
      onPosted(r.data.postTweet);
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit();
  };
  const err = ((touched || left < 0) && invalid) || serverError;
  const counterClass = left < 0 ? "counter over" : left <= 20 ? "counter warn" : "counter";
  return (
    <form className="card compose reply-box" onSubmit={submit} aria-label={`Reply to @${handle}`} noValidate>
      <label htmlFor="reply-text" className="sr-only">Your reply to @{handle}</label>
      <textarea ref={box} id="reply-text" data-testid="reply-text" placeholder={`Reply to @${handle}`} value={text}
        aria-describedby="reply-counter" aria-invalid={Boolean(err)} rows={2}
        onChange={(e) => { setText(e.target.value); setServerError(null); }} onKeyDown={onKeyDown} />
      <div className="row">
        <span id="reply-counter" className={counterClass}
          aria-label={`${left} of ${MAX_TWEET_LENGTH} characters left`}>{left}</span>
        {/* aria-disabled while posting: a disabled button would drop keyboard focus to the top of the page. */}
        <button type="submit" className="primary" disabled={left < 0} aria-disabled={res.fetching || undefined}>
          {res.fetching ? "Replying…" : "Reply"}
        </button>
      </div>
      {err && <p role="alert" className="error" data-testid="reply-error">{err}</p>}
    </form>
  );
}

/** Direct replies, oldest first, ten at a time; the viewer's own new replies join at once. */
function Replies({ id, posted, viewerHandle }: { id: string; posted: ReplyEdge[]; viewerHandle?: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TweetRepliesPage,
    variables: { id, after },
    requestPolicy: after === null ? "cache-and-network" : "cache-first",
  });
  const hidden = useSyncExternalStore(hiddenAccounts.subscribe, hiddenAccounts.get);
  const conn = data?.tweet?.replies;
  const edges = useMemo(
    () => withoutHidden(mergeEdges((conn?.edges ?? []) as ReplyEdge[], posted), hidden),
    [conn, posted, hidden],
  );
  if (error && !conn) return <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />;
  if (!conn && posted.length === 0) return <Loading label="Loading replies…" />;
  return (
    <div role="region" aria-label="Replies" data-testid="replies">
      {edges.length === 0 && <Empty>No replies yet.</Empty>}
      {edges.map((e) => <Tweet key={e.node.id} tweet={e.node} viewerHandle={viewerHandle} />)}
      {conn && <LoadMore fetching={fetching && after !== null} pageInfo={conn.pageInfo} onMore={setAfter} />}
    </div>
  );
}

function Focused({ tweet, replyingTo, viewerHandle }: {
  tweet: TweetRef & { id: string }; replyingTo?: string; viewerHandle?: string;
}) {
  const t = useFragment(TweetFields, tweet);
  const [posted, setPosted] = useState<ReplyEdge[]>([]);
  const onPosted = useCallback((p: Posted) => {
    setPosted((prev) => mergeEdges(prev, [{ cursor: "", node: p as ReplyEdge["node"] }]));
  }, []);
  return (
    <>
      <Tweet tweet={tweet} focused replyingTo={replyingTo} viewerHandle={viewerHandle} />
      {viewerHandle && <ReplyBox parentId={t.id} handle={t.author.handle} onPosted={onPosted} />}
      <h2 className="section-title" id="replies-title">Replies</h2>
      <Replies id={t.id} posted={posted} viewerHandle={viewerHandle} />
    </>
  );
}

/** `/t/:id`: one tweet, what it replies to (the thread above it) and its replies, with a reply box. */
export function TweetPage({ id, viewerHandle }: { id: string; viewerHandle?: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TweetPageQuery,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const head = (
    <div className="column-head">
      <h1 id="tweet-page-title">Tweet</h1>
    </div>
  );
  if (fetching && !data) return <section aria-labelledby="tweet-page-title">{head}<Loading label="Loading tweet…" /></section>;
  if (error && !data) {
    return (
      <section aria-labelledby="tweet-page-title">
        {head}
        <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />
      </section>
    );
  }
  const t = data?.tweet;
  if (!t) {
    // Deleted (or never there): the same words as the NOT_FOUND error code.
    return (
      <section aria-labelledby="tweet-page-title">
        {head}
        <div className="state error-state" role="alert" data-testid="tweet-not-found">
          <p>{NOT_FOUND_TEXT}</p>
          <Link to="/">Go to the home page</Link>
        </div>
      </section>
    );
  }
  const { ancestors, earlier } = threadAncestors(t.inReplyTo as Parameters<typeof threadAncestors>[0]);
  return (
    <section aria-labelledby="tweet-page-title" data-testid="tweet-page">
      {head}
      {earlier && (
        <p className="earlier"><Link to={`/t/${earlier}`}>Show earlier tweets in this thread</Link></p>
      )}
      {ancestors.length > 0 && (
        <div role="region" aria-label="Earlier in the thread" className="thread" data-testid="thread-above">
          {ancestors.map((a) => <Tweet key={a.id} tweet={a as unknown as TweetRef} viewerHandle={viewerHandle} />)}
        </div>
      )}
      <Focused key={t.id} tweet={t} replyingTo={t.inReplyTo?.author.handle} viewerHandle={viewerHandle} />
    </section>
  );
}

/** One TweetPage per id, so the reply box and the pages start fresh when following a link to another tweet. */
export function TweetRoute({ viewerHandle }: { viewerHandle?: string }) {
  const { id = "" } = useParams();
  return <TweetPage key={id} id={id} viewerHandle={viewerHandle} />;
}
