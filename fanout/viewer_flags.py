"""Which tweets a viewer likes, from Redis: the viewerHasLiked of a feed page without a Neo4j query.

Every page of every feed asks, for its twenty tweets, which ones the viewer likes. Asked of Neo4j that was a
query per request and the largest single cost of a homeTimeline (issue 13's profile). Here it is one ZMSCORE
on ``lk:{viewer}``: the viewer's liked tweets (8-byte ids) at or above a floor id, the floor being the score
of the empty member that marks the set as built. The set holds the viewer's ``CACHED_LIKES`` newest likes
(by tweet id), so its floor is the oldest of those when there are more, else 0 (it holds them all); an id
below the floor is asked of Neo4j, as before. Feeds show recent tweets, so that is rare.

Kept right under concurrency: a like or unlike commits in Neo4j, then bumps ``lkv:{viewer}`` and updates the
set if it is built (one function call). A fill reads that version before its Neo4j query and writes the set
only if the version is unchanged, so a write that raced the fill makes it give up (the request is answered
from the fill's own query, the next one fills again). Like every Redis key, the set is derived: it expires
after ``LIKES_TTL_S`` without being refreshed by reads, which also bounds how long it can miss a like whose
Redis update failed after its Neo4j commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from fanout.context import EngineContext
from fanout.store import encode_id

CACHED_LIKES = 1000
LIKES_TTL_S = 600
# The version must outlive any fill in flight (a fill that finds it expired and recreated gives up anyway).
VERSION_TTL_S = 2 * LIKES_TTL_S
_BUILT = b""  # the marker member: 8-byte tweet ids never equal it


class ViewerLikes:
    def __init__(self, ctx: EngineContext, cached: int = CACHED_LIKES) -> None:
        self.ctx = ctx
        self.cached = cached

    async def flags(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        """The ids among ``tweet_ids`` that the viewer likes."""
        ids = list(dict.fromkeys(tweet_ids))
        if not ids:
            return set()
        scores = await self.ctx.redis.zmscore(
            self.ctx.keys.likes(viewer_id), [_BUILT, *(encode_id(i) for i in ids)]
        )
        floor, *liked_scores = scores
        if floor is None:
            return await self._fill(viewer_id, ids)
        liked = {i for i, score in zip(ids, liked_scores, strict=True) if score is not None}
        return liked | await self._older(viewer_id, ids, liked, floor)

    async def changed(self, viewer_id: int, tweet_id: int, liked: bool, pipe: object) -> None:
        """Queue on ``pipe`` the update that follows a like (``liked``) or unlike committed in Neo4j."""
        await self.ctx.store.likes_change(viewer_id, tweet_id, liked, VERSION_TTL_S, pipe)

    async def _fill(self, viewer_id: int, ids: list[int]) -> set[int]:
        version = await self.ctx.redis.get(self.ctx.keys.likes_version(viewer_id))
        newest = await self.ctx.tweets.recent_likes(viewer_id, self.cached)
        floor = newest[-1] if len(newest) >= self.cached else 0
        await self.ctx.store.likes_fill(viewer_id, version, LIKES_TTL_S, floor, newest)
        have = set(newest)
        liked = {i for i in ids if i in have}
        return liked | await self._older(viewer_id, ids, liked, floor)

    async def _older(self, viewer_id: int, ids: list[int], liked: set[int], floor: int) -> set[int]:
        """Likes among the ids below the floor that the set does not show: Neo4j knows (a member present is
        a like whatever its id, since every like and unlike of a built set updates it)."""
        older = [i for i in ids if i < floor and i not in liked]
        return await self.ctx.tweets.liked(viewer_id, older) if older else set()
