"""The fan-out worker: consumes the fan-out queue through a consumer group (at-least-once).

The queue is FANOUT_SHARDS streams (fanout/keys.py), a job in its author's shard. Every worker reads every
shard, one consumer loop (an asyncio task) per shard with its own state: group created, own pending messages
read after a restart, stale messages claimed, dead consumers reaped. A shard's group lost (FLUSHALL) is
created again by its own loop.

- post, ordinary author: follower ids are paged from Neo4j in id order; each page is one function call per
  slot group (one call on a single server) that inserts into every existing timeline (cold users skipped),
  trims, and publishes ``live:tl:{follower}``.
- post, celebrity: one publish on ``live:author:{author}``; readers merge the author list instead.
- delete: the same walk removing the id (DELETED events); celebrities publish once.
- celeb: a threshold crossing (fanout/transitions.py).

The last follower id done is checkpointed per message once every group of the page has answered, the message is XACKed after the last page, and
messages left pending by a dead consumer are taken over with XAUTOCLAIM and resume at the checkpoint.
Inserts are idempotent (ZADD of the same member), so a redelivered page writes and publishes nothing twice.
A stop request finishes the current page and leaves the message pending for whoever comes next.

Messages are decoded by fanout/jobs.py and every timeline write goes through the store (fanout/store.py),
which owns the key names, the scripts and the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import Any

from neo4j import AsyncDriver
from redis.exceptions import ResponseError

from fanout.backoff import Backoff, sleep_unless
from fanout.cache import USER_TTL, Caches
from fanout.client import RedisClient
from fanout.config import EngineConfig
from fanout.context import EngineContext
from fanout.derived import Derived
from fanout.jobs import CelebJob, DeleteJob, PostJob, RepairJob, UnknownJob, bookmarks_of, decode, from_outbox
from fanout.keys import FANOUT_SHARDS, fanout_shard
from fanout.live import tweet_event
from fanout.transitions import reconcile, request_reconcile
from graph.driver import await_bookmarks
from graph.sessions import SessionRepo
from graph.telemetry import continued_trace

log = logging.getLogger("feedline.worker")

DEFAULT_PAGE_SIZE = 1000
DEFAULT_CLAIM_MIN_IDLE_MS = 30_000
# A consumer of the group that has not read for this long and holds no pending message is a dead worker's
# name (each process has its own): it is removed, so they do not pile up with every crash.
DEFAULT_DEAD_CONSUMER_GRACE_MS = 10 * 60_000
REAP_EVERY_S = 60.0
PROGRESS_TTL_S = 24 * 3600
READ_COUNT = 16
PREFETCH_PAGES = 4
# The outbox relay (graph/outbox.py): jobs still unrelayed this long after their write are queued by the
# worker (the API queues them right after the commit; this is for when it could not).
RELAY_AFTER_MS = 3000
RELAY_EVERY_S = 1.0
RELAY_BATCH = 500
OUTBOX_RETENTION_S = 3600
PURGE_EVERY_S = 60.0
# How long the answer "not a celebrity" of ``celebmode`` is reused (see FanoutWorker._is_celebrity).
CELEB_MODE_CACHE_S = 2.0
CELEB_MODE_CACHE_MAX = 100_000
# How often an author's follower count is checked against the mode (FanoutWorker._check_follower_count): at
# most once per this long per author, the staleness the count from the user cache (USER_TTL) already allows.
COUNT_CHECK_EVERY_S = float(USER_TTL)


def is_group_lost(exc: ResponseError) -> bool:
    """NOGROUP (the group is gone), or a blocked read woken because its stream key was deleted."""
    text = str(exc)
    return "NOGROUP" in text or "no longer exists" in text


class _Shard:
    """The consumer state of one stream shard."""

    def __init__(self, index: int, stream: str) -> None:
        self.index = index
        self.stream = stream
        self.group_ready = False
        self.own_pending_done = False
        self.last_claim = 0.0
        self.last_reap = 0.0


def _remember_until(cache: dict[int, float], author_id: int, until: float) -> None:
    """An entry of a per-author cache of monotonic deadlines; a full cache (CELEB_MODE_CACHE_MAX) is emptied
    first, which only makes its authors be read again."""
    if len(cache) >= CELEB_MODE_CACHE_MAX:
        cache.clear()
    cache[author_id] = until


async def concurrently(*steps: Awaitable[Any]) -> list[Any]:
    """Run independent steps at once and return their results in order. The first failure cancels the others
    and is raised as it is (a TaskGroup would wrap it in an ExceptionGroup, which the worker's handlers of
    Redis and Neo4j errors would not recognise)."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class FanoutWorker:
    def __init__(
        self,
        driver: AsyncDriver,
        redis: RedisClient,
        config: EngineConfig,
        consumer_name: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        claim_min_idle_ms: int = DEFAULT_CLAIM_MIN_IDLE_MS,
        claim_every_s: float = 1.0,
        dead_consumer_grace_ms: int = DEFAULT_DEAD_CONSUMER_GRACE_MS,
    ) -> None:
        self.ctx = EngineContext(driver, redis, config)
        self.derived = Derived(self.ctx)
        self.caches = Caches(self.ctx)
        self.consumer = consumer_name
        self.page_size = page_size
        self.claim_min_idle_ms = claim_min_idle_ms
        self.claim_every_s = claim_every_s
        self.dead_consumer_grace_ms = dead_consumer_grace_ms
        self._stop = asyncio.Event()
        self._shards = [_Shard(i, self.ctx.keys.fanout_stream(i)) for i in range(FANOUT_SHARDS)]
        # Authors last seen out of celebrity mode: monotonic time until which that answer is reused.
        self._not_celebrity: dict[int, float] = {}
        # Authors whose follower count was checked against the mode: monotonic time of the next check.
        self._count_checked: dict[int, float] = {}

    @property
    def stats(self) -> Any:
        return self.ctx.stats

    def _which(self, shard: int | None) -> list[_Shard]:
        return self._shards if shard is None else [self._shards[shard]]

    async def ensure_group(self, shard: int | None = None) -> None:
        """Create the consumer group on one shard (None: every shard) unless known to exist."""
        for sh in self._which(shard):
            if sh.group_ready:
                continue
            try:
                await self.ctx.redis.xgroup_create(
                    sh.stream, self.ctx.keys.fanout_group, id="0", mkstream=True
                )
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            sh.group_ready = True

    def group_lost(self, shard: int | None = None) -> None:
        """Redis lost the consumer group of a shard (None: of every shard; FLUSHALL, a restart without
        persistence): create it again on the next iteration; it starts at the beginning of whatever the
        stream holds by then."""
        for sh in self._which(shard):
            if sh.group_ready:
                log.warning(
                    "consumer group %s of %s is missing (Redis lost its data?); recreating it",
                    self.ctx.keys.fanout_group,
                    sh.stream,
                )
            sh.group_ready = False
            sh.own_pending_done = False

    # --- the loop ---------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, block_ms: int = 1000) -> None:
        """One consumer loop per shard and the outbox relay, until ``stop`` is set."""
        self._stop = stop
        relay = asyncio.create_task(self.relay_loop(stop), name="outbox-relay")
        loops = [
            asyncio.create_task(self._consume(sh.index, stop, block_ms), name=f"fanout-shard-{sh.index}")
            for sh in self._shards
        ]
        try:
            await asyncio.gather(*loops)
        finally:
            for task in [*loops, relay]:
                task.cancel()
            for task in [*loops, relay]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _consume(self, shard: int, stop: asyncio.Event, block_ms: int) -> None:
        backoff = Backoff(log, f"fan-out worker {self.consumer} (shard {shard})")
        while not stop.is_set():
            try:
                await self.run_shard_once(shard, block_ms)
                backoff.ok()
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if is_group_lost(exc):
                    self.group_lost(shard)
                    continue
                self._redo_own_pending(shard)
                await sleep_unless(stop, backoff.failed(exc))
            except Exception as exc:  # a broken message or a service outage must not kill the worker
                self._redo_own_pending(shard)
                await sleep_unless(stop, backoff.failed(exc))

    def _redo_own_pending(self, shard: int) -> None:
        """After a failure, the message being handled and the rest of its batch are pending on this consumer:
        read them again first (from their checkpoints) once the backoff is over. Left to the stale-message
        claim, they waited its minimum idle time (30 s) behind one transient Neo4j error."""
        self._shards[shard].own_pending_done = False

    # --- the outbox relay -------------------------------------------------------------------------------
    async def relay_loop(self, stop: asyncio.Event) -> None:
        """Relay the outbox every second; now and then delete old relayed jobs and expired sessions."""
        backoff = Backoff(log, "outbox relay")
        last_purge = 0.0
        while not stop.is_set():
            try:
                await self.relay_outbox()
                if time.monotonic() - last_purge >= PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    await self.ctx.outbox.purge_relayed(OUTBOX_RETENTION_S)
                    await SessionRepo(self.ctx.driver).purge_expired()
                backoff.ok()
                delay = RELAY_EVERY_S
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = max(RELAY_EVERY_S, backoff.failed(exc))
            await sleep_unless(stop, delay)

    async def relay_outbox(self, older_than_ms: int = RELAY_AFTER_MS) -> int:
        """Queue the outbox jobs still unrelayed ``older_than_ms`` after their write (each at most once: the
        store skips a job that was queued already) and mark them relayed. Returns the jobs queued now."""
        entries = await self.ctx.outbox.unrelayed(older_than_ms, RELAY_BATCH)
        if not entries:
            return 0
        store = self.ctx.store
        bookmarks = await self.ctx.bookmarks()  # past the read of the entries, hence past their writes
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                try:
                    await store.enqueue_once(entry.id, from_outbox(entry), client=pipe, bookmarks=bookmarks)
                except (UnknownJob, ValueError, KeyError):
                    log.warning("dropping malformed outbox job %s: %r", entry.id, entry.payload)
            queued = sum(int(r) for r in await store.execute(pipe))
        await self.ctx.outbox.mark_relayed([e.id for e in entries])
        if queued:
            log.info("outbox relay queued %d job(s) the API could not", queued)
        self.ctx.stats.jobs_relayed += queued
        return queued

    async def run_once(self, block_ms: int = 0) -> int:
        """One round over every shard, one after the other (``block_ms``: each read's wait); returns the
        messages processed. ``run`` reads the shards concurrently instead."""
        done = 0
        for sh in self._shards:
            done += await self.run_shard_once(sh.index, block_ms)
        return done

    async def run_shard_once(self, shard: int, block_ms: int = 0) -> int:
        """Process what one shard has available (own pending, stale claims, then new); returns messages
        processed."""
        await self.ensure_group(shard)
        sh = self._shards[shard]
        group = self.ctx.keys.fanout_group
        done = 0
        if not sh.own_pending_done:
            # After a restart under the same name: our own unacknowledged messages first.
            reply: Any = await self.ctx.redis.xreadgroup(group, self.consumer, {sh.stream: "0"}, count=1000)
            for _, messages in reply or []:
                for msg_id, fields in messages:
                    if fields:
                        done += await self._handle(shard, msg_id, fields)
            sh.own_pending_done = True
        if time.monotonic() - sh.last_claim >= self.claim_every_s:
            sh.last_claim = time.monotonic()
            done += await self.claim_stale(shard)
        if time.monotonic() - sh.last_reap >= REAP_EVERY_S:
            sh.last_reap = time.monotonic()
            await self.remove_dead_consumers(shard)
        if self._stop.is_set():
            return done
        new: Any = await self.ctx.redis.xreadgroup(
            group,
            self.consumer,
            {sh.stream: ">"},
            count=READ_COUNT,
            block=block_ms if block_ms > 0 else None,
        )
        for _, messages in new or []:
            for msg_id, fields in messages:
                if self._stop.is_set():
                    return done
                done += await self._handle(shard, msg_id, fields)
        return done

    async def claim_stale(self, shard: int | None = None) -> int:
        """Take over messages another consumer left pending longer than the minimum idle time, on one shard
        (None: every shard)."""
        done = 0
        for sh in self._which(shard):
            start = "0-0"
            while not self._stop.is_set():
                reply = await self.ctx.redis.xautoclaim(
                    sh.stream, self.ctx.keys.fanout_group, self.consumer, self.claim_min_idle_ms,
                    start_id=start, count=READ_COUNT,
                )  # fmt: skip
                start, messages = reply[0], reply[1]
                for msg_id, fields in messages:
                    if fields is None:
                        continue
                    self.ctx.stats.messages_claimed += 1
                    done += await self._handle(sh.index, msg_id, fields)
                if start in (b"0-0", "0-0"):
                    break
        return done

    async def remove_dead_consumers(self, shard: int | None = None) -> list[str]:
        """Delete the group's consumers (never this one) idle longer than the grace period with nothing
        pending, on one shard (None: every shard; a name is listed once per shard it was removed from): a
        pending message is first taken over by XAUTOCLAIM, so nothing is ever dropped."""
        group = self.ctx.keys.fanout_group
        removed = []
        for sh in self._which(shard):
            consumers: Any = await self.ctx.redis.xinfo_consumers(sh.stream, group)
            for consumer in consumers:
                raw = consumer["name"]
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                if name == self.consumer or int(consumer["pending"]) > 0:
                    continue
                if int(consumer["idle"]) < self.dead_consumer_grace_ms:
                    continue
                await self.ctx.redis.xgroup_delconsumer(sh.stream, group, name)
                removed.append(name)
        if removed:
            log.info("removed %d dead consumer(s) from the group: %s", len(removed), ", ".join(removed))
        return removed

    async def drain(self, max_rounds: int = 1000) -> int:
        """Process every shard until nothing is left (tests, benchmarks)."""
        total = 0
        for _ in range(max_rounds):
            n = await self.run_once(0)
            total += n
            if n == 0:
                break
        return total

    # --- one message ------------------------------------------------------------------------------------
    async def _handle(self, shard: int, msg_id: bytes | str, fields: dict[bytes, bytes]) -> int:
        mid = msg_id.decode() if isinstance(msg_id, bytes) else msg_id
        kind = fields.get(b"kind", b"").decode(errors="replace")
        attributes = {"messaging.message.id": mid, "messaging.destination.name": self._shards[shard].stream}
        with continued_trace(fields, f"fanout {kind}", attributes):
            return await self._handle_traced(shard, mid, fields)

    async def _handle_traced(self, shard: int, mid: str, fields: dict[bytes, bytes]) -> int:
        finished = True
        try:
            job = decode(fields)
            bookmarks = bookmarks_of(fields)
            if isinstance(job, PostJob):
                finished = await self.fan_post(
                    mid,
                    job.tweet_id,
                    job.author_id,
                    reply_to_author=job.reply_to_author,
                    original=job.original,
                    shard=shard,
                    bookmarks=bookmarks,
                )
            else:
                await self._catch_up(mid, bookmarks)
            if isinstance(job, DeleteJob):
                finished = await self.fan_delete(
                    mid, job.tweet_id, job.author_id, original=job.original, shard=shard
                )
            elif isinstance(job, RepairJob):
                await self._repair(job)
            elif isinstance(job, CelebJob):
                try:
                    await reconcile(self.ctx, self.derived, job.author_id, self.page_size)
                finally:
                    self._not_celebrity.pop(job.author_id, None)
                    self._count_checked.pop(job.author_id, None)
        except UnknownJob:
            log.warning("dropping unknown fan-out message %s: %r", mid, fields)
        except (KeyError, ValueError):
            log.warning("dropping malformed fan-out message %s: %r", mid, fields)
        return await self._done(shard, mid, finished)

    async def _catch_up(self, mid: str, bookmarks: list[str]) -> None:
        """Read the graph as of the write that queued the job, at least (on a cluster, this worker's reader may
        lag the member that took the write)."""
        if not await await_bookmarks(self.ctx.driver, bookmarks):
            log.warning("fan-out message %s: Neo4j does not know its bookmarks; read as of now", mid)

    async def _done(self, shard: int, mid: str, finished: bool) -> int:
        """Acknowledge a message handled to the end (1); one stopped mid-way (0) stays pending."""
        if not finished:
            return 0  # stopped mid-way: stays pending, resumes from the checkpoint
        keys = self.ctx.keys
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            pipe.xack(keys.fanout_stream(shard), keys.fanout_group, mid)
            pipe.delete(keys.fanout_progress(shard, mid))
            await pipe.execute()
        self.ctx.stats.messages_done += 1
        return 1

    async def _is_celebrity(self, author_id: int) -> bool:
        """Whether the author is fanned out on read: the mode (``celebmode``) decides.

        The answer "not in the mode" is reused for CELEB_MODE_CACHE_S (every message read the ``celebmode``
        set, one hot key on a cluster); "in the mode" never is. A stale "not in the mode" only fans a post out
        as before the switch up, which the reconcile flow allows (fanout/transitions.py: followers' celebs:
        sets get the author before the mode does, so timelines and the merge overlap anyway, and reads drop
        deleted tweets). A stale "in the mode" after a switch down would skip the fan-out of a post the
        backfill may already have passed: that answer is always read fresh. A reconcile run here forgets the
        author's entry at once."""
        ctx = self.ctx
        now = time.monotonic()
        if self._not_celebrity.get(author_id, 0.0) > now:
            return False
        in_mode = bool(await ctx.redis.sismember(ctx.keys.celebrity_mode, str(author_id)))
        if in_mode:
            self._not_celebrity.pop(author_id, None)
        else:
            _remember_until(self._not_celebrity, author_id, now + CELEB_MODE_CACHE_S)
        return in_mode

    async def _check_follower_count(self, author_id: int, in_mode: bool) -> None:
        """The mode's safety net: the author's follower count checked against it, and a reconcile queued when
        they disagree (a crossing whose reconcile job was lost is caught up here). The count comes from the
        user cache in Redis, so it may be USER_TTL old; the check runs at most once per COUNT_CHECK_EVERY_S
        (that same staleness) per author: every post drops its author's cached hash (whose tweetCount it
        changes), so the count is a Neo4j read, which a prolific author paid on every post. A reconcile run
        by this worker forgets the author's entry.

        It runs beside the walk, not before it: what a message does depends on the mode alone (issue 13: the
        read was a Neo4j round trip on each message's critical path)."""
        now = time.monotonic()
        if self._count_checked.get(author_id, 0.0) > now:
            return
        author = (await self.caches.users([author_id])).get(author_id)
        if author is not None:
            await request_reconcile(self.ctx, author_id, author.follower_count, in_mode=in_mode)
        _remember_until(self._count_checked, author_id, now + COUNT_CHECK_EVERY_S)

    async def _walk(
        self,
        shard: int,
        msg_id: str,
        author_id: int,
        tweet_id: int,
        remove: bool,
        reply_to_author: int | None = None,
        original: int | None = None,
        after: int | None = None,
    ) -> bool:
        """Apply one insert/removal to every follower page, from the checkpoint on (``after``: read by the
        caller with its other first steps; None: read here); False if stopped before the end."""
        ctx, store = self.ctx, self.ctx.store
        progress_key = ctx.keys.fanout_progress(shard, msg_id)
        if after is None:
            after = await self._checkpoint(shard, msg_id)
        payload = tweet_event("DELETED" if remove else "NEW", tweet_id, author_id, "TIMELINE", original)
        # Neo4j paging overlaps the Redis writes: a producer task reads pages ahead into a small queue while
        # the current page is written. Writes stay strictly in order, one page in flight, so the checkpoint
        # never runs ahead of a page that is not fully written.
        pages: asyncio.Queue[list[int] | BaseException | None] = asyncio.Queue(maxsize=PREFETCH_PAGES)
        producer = asyncio.create_task(self._prefetch(author_id, after, pages))
        written: int | None = None  # the last id of the last page fully written, not yet checkpointed
        try:
            while True:
                page = await pages.get()
                if page is None:
                    return True  # the last page needs no checkpoint: the message is acknowledged next
                if isinstance(page, BaseException):
                    raise page
                if remove:
                    write = store.fan_out_remove(page, tweet_id, live_payload=payload)
                else:
                    write = store.fan_in(
                        page,
                        tweet_id,
                        live_payload=payload,
                        author_id=author_id,
                        reply_to_author=reply_to_author,
                    )
                # A page's checkpoint is written once every slot group of the page has answered (on a cluster
                # the groups go to several nodes at once, and a checkpoint sent with them could land before a
                # group that then fails: its inserts lost on resume), beside the next page's writes rather
                # than in a round trip of its own. Either failing leaves the message to resume from an older
                # checkpoint, which only writes some pages again (the inserts are idempotent).
                if written is None:
                    changed = await write
                else:
                    changed, _ = await concurrently(
                        write, ctx.redis.set(progress_key, written, ex=PROGRESS_TTL_S)
                    )
                written = page[-1]
                if not remove:
                    ctx.stats.fanout_inserts += int(changed)
                ctx.stats.fanout_pages += 1
                if self._stop.is_set():
                    await ctx.redis.set(progress_key, written, ex=PROGRESS_TTL_S)
                    return False
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer

    async def _checkpoint(self, shard: int, msg_id: str) -> int:
        """The last follower id a stopped walk of this message wrote (-1: none)."""
        checkpoint = await self.ctx.redis.get(self.ctx.keys.fanout_progress(shard, msg_id))
        return int(checkpoint) if checkpoint else -1

    async def _prefetch(
        self, author_id: int, after: int, pages: asyncio.Queue[list[int] | BaseException | None]
    ) -> None:
        try:
            async for page in self.ctx.follows.follower_id_pages(author_id, self.page_size, after):
                await pages.put(page)
        except Exception as exc:  # handed to the consumer, which raises it in the worker's context
            await pages.put(exc)
            return
        await pages.put(None)

    async def _repair(self, job: RepairJob) -> None:
        """A write whose Redis follow-up the API did not complete (it came through the outbox relay): drop the
        derived state of the users it touched, rebuilt from Neo4j on their next read."""
        users = list(job.user_ids)
        if job.handle is not None:
            other = await self.ctx.users.by_handle(job.handle)
            if other is not None:
                users.append(other.id)
        await self.ctx.store.forget_users(users)
        log.info("repaired the Redis state of user(s) %s after a write whose follow-up failed", users)

    async def _own_lists(
        self, author_id: int, tweet_id: int, remove: bool, original: int | None = None
    ) -> None:
        """What the API does to the author's own lists right after the write, again: a no-op when it did, the
        repair when Redis failed it (the job then came through the outbox relay)."""
        store = self.ctx.store
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            if remove:
                self.caches.tombstone(pipe, tweet_id)
                store.remove_own_tweet(pipe, author_id, tweet_id)
                store.remove_trending(pipe, tweet_id)
            else:
                # As a live insert of the author's: when the API could not make it, their own event was never
                # published and later events moved their cursor on; the open client gets it, a resume finds it.
                event = tweet_event("NEW", tweet_id, author_id, "TIMELINE", original)
                await store.add_own_tweet(pipe, author_id, tweet_id, live_event=event)
            await store.execute(pipe)

    async def fan_post(
        self,
        msg_id: str,
        tweet_id: int,
        author_id: int,
        *,
        reply_to_author: int | None = None,
        original: int | None = None,
        shard: int | None = None,
        bookmarks: list[str] | None = None,
    ) -> bool:
        """Fan a post out (``shard``: the stream the message came from; None: its author's, where this
        version queues it; ``bookmarks``: the post's, which the follower walk must read as of). False if
        stopped before the end.

        The wait for the bookmarks (a Neo4j round trip), the author's own lists, the mode and the walk's
        checkpoint (Redis) do not depend on one another: they run at once, where they used to take four turns
        of a post's fixed cost (issue 13). Only the walk needs the bookmarks."""
        shard = fanout_shard(author_id) if shard is None else shard
        _, _, celebrity, after = await concurrently(
            self._catch_up(msg_id, bookmarks or []),
            self._own_lists(author_id, tweet_id, remove=False, original=original),
            self._is_celebrity(author_id),
            self._checkpoint(shard, msg_id),
        )
        if celebrity:
            # The rules are applied by each subscriber's reader (resolvers/live.py) and by the read merge.
            event = tweet_event("NEW", tweet_id, author_id, "CELEBRITY", original)
            await concurrently(
                self.ctx.store.publish_many([self.ctx.keys.live_author(author_id)], event),
                self._check_follower_count(author_id, True),
            )
            return True
        _, finished = await concurrently(
            self._check_follower_count(author_id, False),
            self._walk(shard, msg_id, author_id, tweet_id, False, reply_to_author, original, after),
        )
        return bool(finished)

    async def fan_delete(
        self,
        msg_id: str,
        tweet_id: int,
        author_id: int,
        *,
        original: int | None = None,
        shard: int | None = None,
    ) -> bool:
        await self._own_lists(author_id, tweet_id, remove=True)
        await self.ctx.store.publish_many(
            [self.ctx.keys.live_author(author_id)],
            tweet_event("DELETED", tweet_id, author_id, "CELEBRITY", original),
        )
        if await self._is_celebrity(author_id):
            await self._check_follower_count(author_id, True)
            return True
        shard = fanout_shard(author_id) if shard is None else shard
        _, finished = await concurrently(
            self._check_follower_count(author_id, False),
            self._walk(shard, msg_id, author_id, tweet_id, True, None, original),
        )
        return bool(finished)
