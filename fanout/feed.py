"""The hybrid home feed (DESIGN.md §3): the viewer's precomputed timeline merged at read time with the
recent tweets of the celebrities they follow, plus trending suggestions for newcomers.

Paging is by id (LATEST): a cursor is the last id returned and the next page reads strictly below it from
every source, so tweets arriving meanwhile (always newer) cause neither duplicates nor gaps. TOP ranks a
window of the newest entries once and freezes that ranking in a short-lived snapshot named by the cursor.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from fanout import cursors
from fanout.batch import TickBatcher
from fanout.cache import Caches
from fanout.context import EngineContext, now_ms
from fanout.derived import Derived, decode_id_set
from fanout.pages import FeedEntry, FeedOrder, FeedPage, FeedSource, Page
from fanout.ranking import velocity
from fanout.store import BUILDING, SET_SENTINEL, decode_ids
from graph.convert import to_ms
from graph.errors import BadInput
from graph.records import TweetRecord

log = logging.getLogger("feedline.feed")

__all__ = ["FeedEntry", "FeedOrder", "FeedPage", "FeedReader", "FeedSource", "Page"]

TOP_WINDOW = 800
ACTIVE_EVERY_S = 3600
TOP_SNAPSHOT_TTL = 600
_SOURCE_CODE: dict[FeedSource, int] = {"TIMELINE": 0, "CELEBRITY": 1, "SUGGESTED": 2}
_CODE_SOURCE: dict[int, FeedSource] = {v: k for k, v in _SOURCE_CODE.items()}
_TOP_ROW = struct.Struct(">QQQB")  # position, original, reposter (0: none), source


@dataclass(frozen=True)
class ViewState:
    """What a read needs besides the ids: whom the viewer reads on read, and whether to suggest."""

    viewer_id: int
    celebs: set[int]
    suggest: list[int]  # trending tweet ids (empty unless the viewer is a newcomer)
    hidden: frozenset[int] = frozenset()  # mu:: muted, blocked or blocking accounts
    no_reposts: frozenset[int] = frozenset()  # nr:: followees whose reposts the viewer does not want


class FeedReader:
    def __init__(self, ctx: EngineContext, caches: Caches, derived: Derived) -> None:
        self.ctx = ctx
        self.caches = caches
        self.derived = derived
        self._touches: set[asyncio.Task[None]] = set()
        # live_entry's mute/block check of every subscriber that got the same event, in one pipeline.
        self._hidden_flags: TickBatcher[tuple[int, int], list[int] | Exception] = TickBatcher(
            self._fetch_hidden_flags
        )

    # --- activity ---------------------------------------------------------------------------------------
    def _touch_in_background(self, viewer_id: int) -> None:
        """Write lastActiveAt without making the read wait for it: it is bookkeeping for people exploring the
        graph, not part of the answer, and a Neo4j write transaction (tens of ms, more on a busy server) on the
        first read of each hour, i.e. on the read right after a log-in, the one the viewer waits for most."""
        task = asyncio.create_task(self.ctx.users.touch(viewer_id, now_ms()), name=f"touch {viewer_id}")
        self._touches.add(task)
        task.add_done_callback(self._touched)

    def _touched(self, task: asyncio.Task[None]) -> None:
        self._touches.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # At most an hour late: the throttle key is set, so the next read after it expires writes again.
            log.warning("could not write lastActiveAt (%r)", task.exception())

    @property
    def touches_under_way(self) -> int:
        return len(self._touches)

    async def drain(self) -> None:
        """Wait for the lastActiveAt writes still under way (a process shutting down, a test)."""
        if self._touches:
            await asyncio.gather(*self._touches, return_exceptions=True)

    # --- state ------------------------------------------------------------------------------------------
    async def view_state(self, viewer_id: int) -> ViewState:
        keys, ttl = self.ctx.keys, self.ctx.config.timeline_ttl_seconds
        tl = keys.timeline(viewer_id)
        for _ in range(3):
            async with self.ctx.redis.pipeline(transaction=False) as pipe:
                pipe.exists(tl)
                pipe.zscore(tl, BUILDING)
                pipe.zcard(tl)
                pipe.smembers(keys.celebs(viewer_id))
                pipe.scard(keys.followees(viewer_id))
                pipe.smembers(keys.hidden(viewer_id))
                pipe.smembers(keys.no_reposts(viewer_id))
                # Reading is activity: push the eviction of this viewer's state back.
                pipe.expire(tl, ttl)
                pipe.expire(keys.celebs(viewer_id), ttl)
                pipe.expire(keys.followees(viewer_id), ttl)
                pipe.expire(keys.hidden(viewer_id), ttl)
                pipe.expire(keys.no_reposts(viewer_id), ttl)
                # ... and of the user: lastActiveAt in Neo4j is written at most once an hour (SET NX EX).
                pipe.set(keys.active(viewer_id), b"1", nx=True, ex=ACTIVE_EVERY_S)
                (
                    exists,
                    building,
                    size,
                    celeb_members,
                    follow_count,
                    hidden_members,
                    no_repost_members,
                    *_,
                    first_this_hour,
                ) = await pipe.execute()
            if first_this_hour:
                self._touch_in_background(viewer_id)
            if exists and building is None and hidden_members and no_repost_members:
                break
            # An evicted user lost all these keys together (same TTL): rebuild them concurrently, not in
            # turn (independent Neo4j queries; the re-read below then finds the sets present).
            rebuilds: list[Awaitable[object]] = [self.derived.ensure_timeline(viewer_id)]
            if not hidden_members:
                rebuilds.append(self.derived.build_hidden(viewer_id))
            if not no_repost_members:
                rebuilds.append(self.derived.build_no_reposts(viewer_id))
            if not celeb_members:
                rebuilds.append(self.derived.build_celebs(viewer_id))
            if not follow_count:
                rebuilds.append(self.derived.build_followees(viewer_id))
            await asyncio.gather(*rebuilds)
        celebs = decode_id_set(celeb_members) if celeb_members else await self.derived.build_celebs(viewer_id)
        if not follow_count:
            await self.derived.build_followees(viewer_id)
            follow_count = await self.ctx.redis.scard(keys.followees(viewer_id))
        hidden = (
            decode_id_set(hidden_members) if hidden_members else await self.derived.build_hidden(viewer_id)
        )
        no_reposts = (
            decode_id_set(no_repost_members)
            if no_repost_members
            else await self.derived.build_no_reposts(viewer_id)
        )
        suggest: list[int] = []
        # Newcomers (few follows, a short timeline) get trending suggestions (EngineConfig; 0 = none).
        cfg = self.ctx.config
        newcomer = follow_count - 1 < cfg.suggest_below_follows and size - 1 < cfg.suggest_below_entries
        if newcomer and cfg.suggestions > 0:
            await self.derived.ensure_trending()
            suggest = await self.ctx.store.trending_ids(cfg.suggestions)
        return ViewState(viewer_id, celebs, suggest, frozenset(hidden), frozenset(no_reposts))

    # --- candidate collection ---------------------------------------------------------------------------
    async def _source_ranges(
        self, state: ViewState, bound: int | None, limit: int, *, ascending: bool
    ) -> list[tuple[list[int], bool]]:
        """(ids, maybe_more) per source: the timeline, then each followed celebrity's author list."""
        keys = self.ctx.keys
        celebs = sorted(state.celebs)
        sources = [keys.timeline(state.viewer_id)] + [keys.author_tweets(c) for c in celebs]
        for _ in range(2):
            # The author lists' existence is checked in the same round trip as the reads (it used to be one
            # round trip of its own per read); a missing list is rebuilt and the reads are done again.
            async with self.ctx.redis.pipeline(transaction=False) as pipe:
                for key in sources[1:]:
                    pipe.exists(key)
                for key in sources:
                    self.ctx.store.queue_range(pipe, key, bound, limit, ascending=ascending)
                replies = await pipe.execute()
            present, results = replies[: len(celebs)], replies[len(celebs) :]
            missing = [c for c, p in zip(celebs, present, strict=True) if not p]
            if not missing:
                break
            await self.derived.ensure_author_lists(missing)
        out = []
        for members in results:
            ids = decode_ids(members)
            out.append((ids, len(members) >= limit))
        return out

    async def _classify(self, state: ViewState, ids: list[int], stored: set[int]) -> list[FeedEntry]:
        """Hydrate ``ids`` (in order) and keep what the viewer may see, labelled by the source it came from.

        ``stored``: the ids read from the timeline or a followed celebrity's author list; any other id came
        from trending only and is SUGGESTED whoever wrote it (a followed author's tweet that fan-out or a
        backfill lost must not pass for a TIMELINE entry).

        The rules of DESIGN.md §3, as graph/pull.py's ``pull_home`` applies them: nothing by a hidden account
        (``mu:``: muted, blocked, blocking); a reply only if the viewer is or follows the account replied to
        (or it replies to its own author, or it is the viewer's own); a repost shows its original once, where
        it first appears (not when the original reaches the viewer by itself, nor below an older repost the
        viewer sees), never from a follow with showReposts false (``nr:``), nor of a deleted original or one
        by a hidden account."""
        tweets = await self.caches.tweets(ids)
        viewer, hidden = state.viewer_id, state.hidden
        wanted = {t.repost_of for i, t in tweets.items() if i in stored and t.repost_of is not None}
        # Originals often share the page with their reposts (the viewer's own reposts, a followed author's
        # tweet): only the others cost a read.
        originals = {o: tweets[o] for o in wanted if o in tweets}
        if len(originals) < len(wanted):
            originals |= await self.caches.tweets(sorted(wanted - set(originals)))
        people = {t.author_id for i, t in tweets.items() if i in stored}
        for t in [*tweets.values(), *originals.values()]:
            people |= {t.author_id} | ({t.reply_to_author} if t.reply_to_author is not None else set())
        followed = state.celebs | await self.derived.follows_which(
            viewer, sorted(people - state.celebs - {viewer})
        )

        def reaches(who: int) -> bool:
            return who == viewer or who in followed

        def replies_rule(t: TweetRecord) -> bool:
            rta = t.reply_to_author
            return rta is None or t.author_id == viewer or rta == t.author_id or reaches(rta)

        # Who else reposted an original matters only where a repost could show it: not when it is in the feed
        # by itself or by a hidden account (so a page whose reposts are all of such originals, e.g. the
        # viewer's own reposts of tweets it follows, asks Neo4j nothing).
        shown_by_reposts = sorted(
            o.id
            for o in originals.values()
            if o.author_id not in hidden and not (reaches(o.author_id) and replies_rule(o))
        )
        reposts = await self.ctx.tweets.reposts_of(shown_by_reposts) if shown_by_reposts else {}
        reposters = {b for rows in reposts.values() for _, b in rows} - people - state.celebs - {viewer}
        followed |= await self.derived.follows_which(viewer, sorted(reposters))

        entries: list[FeedEntry] = []
        for tid in ids:
            tweet = tweets.get(tid)
            if tweet is None:
                continue  # deleted or unknown
            author = tweet.author_id
            if author in hidden:
                continue  # muted, blocked or blocking: also what was stored before
            source: FeedSource
            if tid not in stored:
                if tweet.repost_of is not None:
                    continue
                source = "SUGGESTED"  # only trending had it
            elif author in state.celebs and author != viewer:
                source = "CELEBRITY"
            elif author == viewer or author in followed:
                source = "TIMELINE"
            else:
                continue  # unfollowed since it was fanned out
            if source != "SUGGESTED" and not replies_rule(tweet):
                continue
            if tweet.repost_of is None:
                entries.append(FeedEntry(tweet, source, cursors.latest(tid)))
                continue
            original = originals.get(tweet.repost_of)
            if author != viewer and author in state.no_reposts:
                continue  # followed with showReposts: false
            if original is None or original.author_id in hidden:
                continue  # the original is deleted, or by a hidden account
            if reaches(original.author_id) and replies_rule(original):
                continue  # the original is in the feed by itself
            older = [
                r
                for r, b in reposts.get(original.id, [])
                if r < tid
                and b not in hidden
                and (b == viewer or (b in followed and b not in state.no_reposts))
            ]
            if older:
                continue  # an older repost shows it already
            entries.append(FeedEntry(original, source, cursors.latest(tid), reposted_by=author, at=tid))
        return entries

    async def shown_original(self, viewer_id: int, original_id: int) -> FeedEntry | None:
        """The entry that shows ``original_id`` in the viewer's feed now, as a read would produce it: the
        original by itself, or the repost it first appears with (a repost left the feed: live events of it).
        The candidates are the original and its live reposts that the feed holds (the timeline, or a followed
        celebrity's list)."""
        original = (await self.caches.tweets([original_id])).get(original_id)
        if original is None:
            return None
        state = await self.view_state(viewer_id)
        rows = (await self.ctx.tweets.reposts_of([original_id])).get(original_id, [])
        candidates = [original_id, *(rid for rid, _ in rows)]
        stored = await self.ctx.store.in_timeline(viewer_id, candidates)
        by = {original_id: original.author_id, **dict(rows)}
        stored |= {tid for tid in candidates if by[tid] in state.celebs}
        found = await self._classify(state, sorted(stored), stored)
        return found[0] if found else None

    async def live_entry(
        self, viewer_id: int, tweet: TweetRecord, source: FeedSource, screened: bool = False
    ) -> FeedEntry | None:
        """The entry a live NEW event of ``tweet`` stands for under the feed's rules, or None when the
        viewer must not see it (muted, a reply they do not get, a repost of something they see already...).
        ``screened``: the fan-out that published the event found the author neither muted nor blocked by the
        viewer (LiveEvent.screened)."""
        if tweet.repost_of is None and tweet.reply_to_author is None:
            if screened:
                return FeedEntry(tweet, source, cursors.latest(tweet.id))
            # A plain tweet: only a mute or block can hide it (fan-out checked the follow). One SMISMEMBER, not a
            # whole view state: this runs once per event and subscriber; those of one event share a pipeline.
            flags = await self._hidden_flags.load((viewer_id, tweet.author_id))
            if isinstance(flags, Exception):  # this viewer's node failed; the batch's others stand
                raise flags
            hidden = (
                bool(flags[1]) if flags[0] else tweet.author_id in await self.derived.build_hidden(viewer_id)
            )
            return None if hidden else FeedEntry(tweet, source, cursors.latest(tweet.id))
        state = await self.view_state(viewer_id)
        found = await self._classify(state, [tweet.id], {tweet.id})
        if not found:
            return None
        entry = found[0]
        return FeedEntry(entry.tweet, source, entry.cursor, entry.reposted_by, entry.at)

    async def _fetch_hidden_flags(self, pairs: Sequence[tuple[int, int]]) -> list[list[int] | Exception]:
        """For each (viewer, author): [the viewer's mu: set is built, the author is in it], or the error of the
        node that holds it (on a cluster the pipeline spans nodes)."""
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for viewer_id, author_id in pairs:
                pipe.smismember(self.ctx.keys.hidden(viewer_id), [SET_SENTINEL, str(author_id)])
            return list(await pipe.execute(raise_on_error=False))

    async def collect(self, state: ViewState, before: int | None, want: int) -> list[FeedEntry]:
        """Up to ``want`` visible entries with id < before, newest first."""
        entries: list[FeedEntry] = []
        limit = want + 8
        bound = before
        suggested = set(state.suggest)
        while len(entries) < want:
            ranges = await self._source_ranges(state, bound, limit, ascending=False)
            # A truncated source is exact only down to its last id: below that, another page is needed.
            floor = max((ids[-1] for ids, more in ranges if more and ids), default=None)
            stored = {i for ids, _ in ranges for i in ids}
            merged = stored | {i for i in suggested if bound is None or i < bound}
            ordered = sorted((i for i in merged if floor is None or i >= floor), reverse=True)
            # Hydrate only about as many candidates as are still wanted (newest first), not the whole merged
            # window: with celebrities that window is several times the page.
            pos = 0
            while pos < len(ordered) and len(entries) < want:
                chunk = ordered[pos : pos + want - len(entries) + 4]
                pos += len(chunk)
                entries += await self._classify(state, chunk, stored)
            if floor is None or len(entries) >= want:
                break
            bound = floor
            limit *= 2
        return entries[:want]

    # --- LATEST -----------------------------------------------------------------------------------------
    async def read_latest(self, viewer_id: int, first: int, after: str | None) -> FeedPage:
        before = cursors.parse_latest(after) if after is not None else None
        state = await self.view_state(viewer_id)
        return FeedPage.of_window(await self.collect(state, before, first + 1), first, after)

    async def replay(self, viewer_id: int, after: str, limit: int) -> list[FeedEntry]:
        """Entries newer than the cursor, oldest first (subscription resume)."""
        since = cursors.parse_latest(after)
        if not 1 <= limit <= 1000:
            raise BadInput("limit must be 1..1000")
        state = await self.view_state(viewer_id)
        entries: list[FeedEntry] = []
        bound = since
        suggested = set(state.suggest)
        fetch = limit + 8
        while len(entries) < limit:
            ranges = await self._source_ranges(state, bound, fetch, ascending=True)
            ceiling = min((ids[-1] for ids, more in ranges if more and ids), default=None)
            stored = {i for ids, _ in ranges for i in ids}
            merged = stored | {i for i in suggested if i > bound}
            ordered = sorted(i for i in merged if ceiling is None or i <= ceiling)
            entries += await self._classify(state, ordered, stored)
            if ceiling is None:
                break
            bound = ceiling
            fetch *= 2
        return entries[:limit]

    async def replay_live_inserts(self, viewer_id: int, ids: list[int]) -> list[FeedEntry]:
        """Those of ``ids`` (live-log entries, in the given order) that the timeline still holds and the viewer
        may see (subscription resume: inserts that came late, below the client's newest id)."""
        held = await self.ctx.store.in_timeline(viewer_id, ids)
        ordered = [i for i in ids if i in held]
        if not ordered:
            return []
        state = await self.view_state(viewer_id)
        return await self._classify(state, ordered, set(ordered))

    # --- TOP --------------------------------------------------------------------------------------------
    async def _rank(self, viewer_id: int, snapshot: str) -> list[tuple[int, int, int, FeedSource]]:
        state = await self.view_state(viewer_id)
        window = await self.collect(state, None, TOP_WINDOW)
        now = now_ms()
        ranked = sorted(window, key=lambda e: (_score(e.tweet, now), e.position), reverse=True)
        rows = [(e.position, e.tweet.id, e.reposted_by or 0, e.source) for e in ranked]
        packed = b"".join(_TOP_ROW.pack(at, tid, by, _SOURCE_CODE[src]) for at, tid, by, src in rows)
        await self.ctx.redis.set(self.ctx.keys.top_snapshot(viewer_id, snapshot), packed, ex=TOP_SNAPSHOT_TTL)
        return rows

    async def read_top(self, viewer_id: int, first: int, after: str | None) -> FeedPage:
        if after is None:
            snapshot, offset = uuid.uuid4().hex[:12], 0
            rows = await self._rank(viewer_id, snapshot)
        else:
            snapshot, offset = cursors.parse_top(after)
            packed: bytes | None = await self.ctx.redis.get(self.ctx.keys.top_snapshot(viewer_id, snapshot))  # type: ignore[assignment]
            if packed is None:  # expired: rank again under the same name and carry on from the offset
                rows = await self._rank(viewer_id, snapshot)
            else:
                size = _TOP_ROW.size
                rows = [
                    (at, tid, by, _CODE_SOURCE[code])
                    for at, tid, by, code in (
                        _TOP_ROW.unpack_from(packed, i) for i in range(0, len(packed), size)
                    )
                ]
        entries: list[FeedEntry] = []
        position = offset
        while len(entries) < first and position < len(rows):
            chunk = rows[position : position + first - len(entries) + 4]
            tweets = await self.caches.tweets([tid for _, tid, _, _ in chunk])
            for at, tid, by, source in chunk:
                position += 1
                tweet = tweets.get(tid)
                if tweet is not None:
                    entry = FeedEntry(tweet, source, cursors.top(snapshot, position), by or None, at)
                    entries.append(entry)
                    if len(entries) == first:
                        break
        end = entries[-1].cursor if entries else after
        return FeedPage(entries, position < len(rows), end)


def _score(tweet: TweetRecord, now: int) -> float:
    return velocity(to_ms(tweet.created_at), tweet.like_count + tweet.repost_count, now)
