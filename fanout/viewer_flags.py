"""Which tweets a viewer likes or has reposted, from Redis: viewerHasLiked and viewerHasReposted of a feed
page without a Neo4j query.

Every page of every feed asks, for its twenty tweets, which ones the viewer likes (and has reposted). Asked
of Neo4j that was a query per request and the largest single cost of a homeTimeline (issue 13's profile).
Here it is one ZMSCORE on a per-viewer set (``lk:{viewer}`` for likes, ``rp:{viewer}`` for reposts, keyed by
the original's id): the viewer's tweets (8-byte ids) at or above a floor id, the floor being the score of the
empty member that marks the set as built. The set holds the viewer's ``CACHED_FLAGS`` newest (by tweet id),
so its floor is the oldest of those when there are more, else 0 (it holds them all); an id below the floor
is asked of Neo4j, as before. Feeds show recent tweets, so that is rare.

Kept right under concurrency: a like or unlike (a repost or unrepost) commits in Neo4j, then bumps the
set's version counter (``lkv:`` / ``rpv:``) and updates the set if it is built (one function call). A fill
reads that version before its Neo4j query and writes the set only if the version is unchanged, so a write
that raced the fill makes it give up (the request is answered from the fill's own query, the next one fills
again). Like every Redis key, the set is derived: it expires after ``FLAGS_TTL_S`` without being refreshed
by reads, which also bounds how long it can miss a write whose Redis update failed after its Neo4j commit.

``ViewerTweetSet`` is the mechanism; ``ViewerLikes`` and ``ViewerReposts`` name its keys and Neo4j queries.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from fanout.batch import TickBatcher
from fanout.context import EngineContext
from fanout.store import encode_id

CACHED_FLAGS = 1000
FLAGS_TTL_S = 600
# The version must outlive any fill in flight (a fill that finds it expired and recreated gives up anyway).
VERSION_TTL_S = 2 * FLAGS_TTL_S
_BUILT = b""  # the marker member: 8-byte tweet ids never equal it


class ScoreReads:
    """The first read of every flags ask (one ZMSCORE on a viewer's set) made while Redis is busy, in one call
    (TimelineStore.read_scores): the subscribers of one live event asking whether they like its tweet,
    concurrent pages, and a page's likes and reposts together (both sets share one of these)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._batch: TickBatcher[tuple[str, tuple[bytes, ...]], list[float | None] | Exception] = TickBatcher(
            self._read
        )

    async def scores(self, key: str, members: Sequence[bytes]) -> list[float | None]:
        got = await self._batch.load((key, tuple(members)))
        if isinstance(got, Exception):  # this key's node failed; the batch's other reads stand
            raise got
        return got

    async def _read(
        self, asks: Sequence[tuple[str, tuple[bytes, ...]]]
    ) -> list[list[float | None] | Exception]:
        return await self.ctx.store.read_scores(asks)


class ViewerTweetSet(ABC):
    """A viewer's set of tweet ids in Redis, filled from Neo4j, with Neo4j answering below its floor.

    Subclasses name the two keys (``key``, ``version_key``) and the two Neo4j reads: ``newest`` (the
    viewer's newest ``limit`` ids, newest first) and ``among`` (which of some ids are in the set)."""

    def __init__(
        self, ctx: EngineContext, cached: int = CACHED_FLAGS, reads: ScoreReads | None = None
    ) -> None:
        self.ctx = ctx
        self.cached = cached
        self._reads = reads if reads is not None else ScoreReads(ctx)

    @abstractmethod
    def key(self, viewer_id: int) -> str: ...

    @abstractmethod
    def version_key(self, viewer_id: int) -> str: ...

    @abstractmethod
    async def newest(self, viewer_id: int, limit: int) -> list[int]: ...

    @abstractmethod
    async def among(self, viewer_id: int, tweet_ids: list[int]) -> set[int]: ...

    async def flags(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        """The ids among ``tweet_ids`` that are in the viewer's set."""
        ids = list(dict.fromkeys(tweet_ids))
        if not ids:
            return set()
        scores = await self._reads.scores(self.key(viewer_id), [_BUILT, *(encode_id(i) for i in ids)])
        floor, *member_scores = scores
        if floor is None:
            return await self._fill(viewer_id, ids)
        found = {i for i, score in zip(ids, member_scores, strict=True) if score is not None}
        return found | await self._older(viewer_id, ids, found, int(floor))  # ids below 2**53: exact

    async def changed(self, viewer_id: int, tweet_id: int, added: bool, pipe: object) -> None:
        """Queue on ``pipe`` (None: run at once) the update that follows an addition (``added``) or removal
        committed in Neo4j."""
        keys = (self.key(viewer_id), self.version_key(viewer_id))
        await self.ctx.store.id_set_change(keys, tweet_id, added, VERSION_TTL_S, pipe)

    async def _fill(self, viewer_id: int, ids: list[int]) -> set[int]:
        version = await self.ctx.redis.get(self.version_key(viewer_id))
        newest = await self.newest(viewer_id, self.cached)
        floor = newest[-1] if len(newest) >= self.cached else 0
        keys = (self.key(viewer_id), self.version_key(viewer_id))
        await self.ctx.store.id_set_fill(keys, version, FLAGS_TTL_S, floor, newest)
        have = set(newest)
        found = {i for i in ids if i in have}
        return found | await self._older(viewer_id, ids, found, floor)

    async def _older(self, viewer_id: int, ids: list[int], found: set[int], floor: int) -> set[int]:
        """Members among the ids below the floor that the set does not show: Neo4j knows (a member present
        is in whatever its id, since every write of a built set updates it)."""
        older = [i for i in ids if i < floor and i not in found]
        return await self.among(viewer_id, older) if older else set()


class ViewerLikes(ViewerTweetSet):
    """``lk:{viewer}``: the tweets the viewer likes (viewerHasLiked)."""

    def key(self, viewer_id: int) -> str:
        return self.ctx.keys.likes(viewer_id)

    def version_key(self, viewer_id: int) -> str:
        return self.ctx.keys.likes_version(viewer_id)

    async def newest(self, viewer_id: int, limit: int) -> list[int]:
        return await self.ctx.tweets.recent_likes(viewer_id, limit)

    async def among(self, viewer_id: int, tweet_ids: list[int]) -> set[int]:
        return await self.ctx.tweets.liked(viewer_id, tweet_ids)


class ViewerReposts(ViewerTweetSet):
    """``rp:{viewer}``: the originals the viewer has a live repost of (viewerHasReposted)."""

    def key(self, viewer_id: int) -> str:
        return self.ctx.keys.reposts(viewer_id)

    def version_key(self, viewer_id: int) -> str:
        return self.ctx.keys.reposts_version(viewer_id)

    async def newest(self, viewer_id: int, limit: int) -> list[int]:
        return await self.ctx.tweets.recent_reposts(viewer_id, limit)

    async def among(self, viewer_id: int, tweet_ids: list[int]) -> set[int]:
        return await self.ctx.tweets.reposted(viewer_id, tweet_ids)
