import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useMutation } from "urql";
import { MAX_TWEET_LENGTH, remainingChars, validateTweet } from "../lib/compose";
import { errorMessage } from "../lib/errors";
import { focusCompose, takeComposeRequest } from "../lib/focus";
import { PostTweetMutation } from "../operations";
import type { PostTweetMutation as PostTweetResult } from "../gql/graphql";

export type PostedTweet = PostTweetResult["postTweet"];

export function Compose({ onPosted }: { onPosted?: (tweet: PostedTweet) => void }) {
  const [text, setText] = useState("");
  const [res, post] = useMutation(PostTweetMutation);
  const [touched, setTouched] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  // Opened with n or the compose button from another page: take focus once mounted.
  useEffect(() => {
    if (box.current && takeComposeRequest()) focusCompose();
  }, []);
  const left = remainingChars(text);
  const invalid = validateTweet(text);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setTouched(true);
    setServerError(null);
    if (invalid) return;
    const r = await post({ text: text.trim() });
    if (r.error) setServerError(errorMessage(r.error));
    else if (r.data) {
      setText("");
      setTouched(false);
      onPosted?.(r.data.postTweet);
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit();
  };
  // Too long shows at once (the button is disabled); empty only once they tried to post.
  const err = ((touched || left < 0) && invalid) || serverError;
  const counterClass = left < 0 ? "counter over" : left <= 20 ? "counter warn" : "counter";
  return (
    <form className="card compose" onSubmit={submit} aria-label="Compose tweet" noValidate>
      <label htmlFor="compose-text" className="sr-only">What's happening?</label>
      <textarea ref={box} id="compose-text" data-testid="compose-text" placeholder="What's happening?" value={text}
        aria-describedby="compose-counter" aria-invalid={Boolean(err)}
        onChange={(e) => { setText(e.target.value); setServerError(null); }} onKeyDown={onKeyDown} rows={3} />
      <div className="row">
        <span className="hint muted">Ctrl+Enter to post</span>
        <span id="compose-counter" data-testid="char-counter" className={counterClass}
          aria-label={`${left} of ${MAX_TWEET_LENGTH} characters left`}>{left}</span>
        <button type="submit" className="primary" disabled={res.fetching || left < 0}>
          {res.fetching ? "Posting…" : "Tweet"}
        </button>
      </div>
      {err && <p role="alert" className="error" data-testid="compose-error">{err}</p>}
    </form>
  );
}
