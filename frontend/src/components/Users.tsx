import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { useFragment, type FragmentType } from "../gql";
import { errorMessage } from "../lib/errors";
import { emitFollowsChanged } from "../lib/events";
import { FollowMutation, UnfollowMutation, UserRowFields } from "../operations";
import { Avatar, CelebrityBadge } from "./ui";

/** Follow / Unfollow with an optimistic label; reverts and explains on error. */
export function FollowButton({ handle, following, compact }: { handle: string; following: boolean; compact?: boolean }) {
  const [, follow] = useMutation(FollowMutation);
  const [, unfollow] = useMutation(UnfollowMutation);
  const [optimistic, setOptimistic] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = optimistic ?? following;
  const toggle = async () => {
    const target = !shown;
    setOptimistic(target);
    setError(null);
    const r = target ? await follow({ handle }) : await unfollow({ handle });
    setOptimistic(null);
    if (r.error) setError(errorMessage(r.error));
    else emitFollowsChanged();
  };
  return (
    <span className="follow-wrap">
      {/* The name is the visible text plus the handle ("Following @ann"), so voice control finds what is seen. */}
      <button type="button" className={`${shown ? "secondary" : "primary"}${compact ? " compact" : ""}`}
        data-testid="follow-button" title={shown ? `Unfollow @${handle}` : undefined} onClick={toggle}>
        {shown ? "Following" : "Follow"} <span className="sr-only">@{handle}</span>
      </button>
      {error && <span role="alert" className="error small">{error}</span>}
    </span>
  );
}

export type UserRowRef = FragmentType<typeof UserRowFields>;

export function UserRow({ user, viewerHandle, showCount = true }: { user: UserRowRef; viewerHandle?: string; showCount?: boolean }) {
  const u = useFragment(UserRowFields, user);
  return (
    <li className="user-row" data-testid="user-row">
      <Avatar name={u.displayName || u.handle} size={36} />
      <div className="who">
        <Link to={`/u/${u.handle}`} className="name">{u.displayName}</Link>
        {u.isCelebrity && <CelebrityBadge />}
        <div className="muted small">
          @{u.handle}
          {showCount && (
            <>
              {" · "}
              <span className="nowrap">{u.followerCount} {u.followerCount === 1 ? "follower" : "followers"}</span>
            </>
          )}
          {u.followsViewer && <span className="pill">Follows you</span>}
        </div>
      </div>
      {viewerHandle && viewerHandle !== u.handle && <FollowButton handle={u.handle} following={u.viewerFollows} compact />}
    </li>
  );
}
