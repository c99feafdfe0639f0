import { useRef, useState } from "react";
import { flushSync } from "react-dom";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors";
import { emitFollowsChanged } from "../lib/events";
import { hiddenAccounts } from "../lib/social";
import { BlockMutation, MuteMutation, SetShowRepostsMutation, UnblockMutation, UnmuteMutation } from "../operations";
import { BlockDialog } from "./Tweet";
import { FollowButton } from "./Users";

export interface Relation {
  handle: string;
  viewerFollows: boolean;
  viewerMutes: boolean;
  viewerBlocks: boolean;
  viewerShowsReposts: boolean;
}

/** On a followed profile: whether their reposts show in the viewer's home (the follow's showReposts). */
function ShowRepostsSwitch({ handle, on }: { handle: string; on: boolean }) {
  const [res, setShow] = useMutation(SetShowRepostsMutation);
  const [optimistic, setOptimistic] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = optimistic ?? on;
  const toggle = async () => {
    if (res.fetching) return;
    const target = !shown;
    setOptimistic(target);
    setError(null);
    const r = await setShow({ handle, showReposts: target });
    setOptimistic(null);
    if (r.error) setError(errorMessage(r.error));
    else emitFollowsChanged();
  };
  return (
    <span className="follow-wrap">
      <button type="button" role="switch" aria-checked={shown} className="secondary switch" data-testid="show-reposts"
        onClick={toggle} aria-disabled={res.fetching || undefined}>
        <span className="switch-track" aria-hidden="true"><span className="switch-knob" /></span>
        Show reposts
      </button>
      {error && <span role="alert" className="error small">{error}</span>}
    </span>
  );
}

/**
 * Follow, the repost setting, mute and block for someone else's profile. Each control stays the same element
 * when its state flips (Mute / Unmute, Block / Unblock), so keyboard focus stays where it was.
 */
export function ProfileActions({ user }: { user: Relation }) {
  const { handle } = user;
  const [muteRes, mute] = useMutation(MuteMutation);
  const [, unmute] = useMutation(UnmuteMutation);
  const [blockRes, block] = useMutation(BlockMutation);
  const [, unblock] = useMutation(UnblockMutation);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const blockButton = useRef<HTMLButtonElement>(null);
  const toggleMute = async () => {
    if (muteRes.fetching) return;
    setError(null);
    const r = user.viewerMutes ? await unmute({ handle }) : await mute({ handle });
    if (r.error) setError(errorMessage(r.error));
    else hiddenAccounts.set(handle, !user.viewerMutes);
  };
  const doBlock = async (on: boolean) => {
    setError(null);
    const r = on ? await block({ handle }) : await unblock({ handle });
    if (r.error) setError(errorMessage(r.error));
    else {
      hiddenAccounts.set(handle, on);
      emitFollowsChanged();
    }
    blockButton.current?.focus();
  };
  const onBlockClick = () => (user.viewerBlocks ? void doBlock(false) : setConfirming(true));
  const cancel = () => {
    flushSync(() => setConfirming(false));
    blockButton.current?.focus();
  };
  const confirm = () => {
    flushSync(() => setConfirming(false));
    void doBlock(true);
  };
  const blocked = user.viewerBlocks;
  return (
    <div className="profile-actions" data-testid="profile-actions">
      {!blocked && <FollowButton handle={handle} following={user.viewerFollows} />}
      {!blocked && user.viewerFollows && <ShowRepostsSwitch handle={handle} on={user.viewerShowsReposts} />}
      {!blocked && (
        <button type="button" className="secondary" data-testid="mute-button" onClick={toggleMute}
          aria-disabled={muteRes.fetching || undefined}>
          {user.viewerMutes ? "Unmute" : "Mute"} <span className="sr-only">@{handle}</span>
        </button>
      )}
      <button ref={blockButton} type="button" className={blocked ? "secondary danger" : "secondary"}
        data-testid="block-button" onClick={onBlockClick} aria-disabled={blockRes.fetching || undefined}>
        {blocked ? "Unblock" : "Block"} <span className="sr-only">@{handle}</span>
      </button>
      {error && <p role="alert" className="error small">{error}</p>}
      <BlockDialog handle={handle} open={confirming} onCancel={cancel} onConfirm={confirm} idSuffix={`profile-${handle}`} />
    </div>
  );
}
