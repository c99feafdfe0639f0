"""Reliability at the engine level (issue 11): outbox relay, dead consumers, resume replay, tweet text."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Literal

import pytest
import redis.asyncio as aioredis
from neo4j import AsyncDriver

from api.hub import LiveHub
from auth.tokens import TokenStore
from fanout import cursors
from fanout.jobs import PostJob, RepairJob, outbox
from fanout.keys import fanout_shard
from fanout.live import tweet_event
from fanout.service import FeedService
from fanout.worker import FanoutWorker
from feedline.settings import Settings
from graph.driver import DATABASE
from graph.errors import BadInput, ServiceUnavailable
from graph.outbox import OutboxJob
from graph.records import UserRecord
from graph.sessions import SessionRepo
from graph.tweets import validate_text
from resolvers.live import LOST_CLOSE_REASON, timeline_events
from tests.engine.conftest import Factory


async def test_relay_queues_a_committed_job_that_never_reached_the_stream_once(
    engine_factory: Factory, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory()
    author = await svc.create_user("author", None, "h")
    fan = await svc.create_user("fan", None, "h")
    await svc.follow(fan.id, "author")
    await svc.read_home(fan.id, 10, None)  # the fan's timeline exists (an active user)
    await worker.ensure_group()
    await worker.drain()
    # The write commits with its job; the process dies before the XADD.
    tweet_id, job_id = svc.ctx.ids.next_id(), svc.ctx.ids.next_id()
    job = PostJob(tweet_id, author.id)
    await svc.ctx.tweets.post(author.id, "lost in transit", tweet_id=tweet_id, job=outbox(job_id, job))
    assert await worker.relay_outbox(older_than_ms=0) == 1
    assert await worker.relay_outbox(older_than_ms=0) == 0  # marked relayed
    await worker.drain()
    assert [e.tweet.id for e in (await svc.read_home(fan.id, 10, None)).entries] == [tweet_id]
    assert [e.tweet.id for e in (await svc.read_home(author.id, 10, None)).entries] == [tweet_id]
    records, _, _ = await neo4j.execute_query(
        "MATCH (j:Job {id: $id}) RETURN j.relayedAt IS NOT NULL AS relayed, j:Unrelayed AS pending",
        id=job_id,
        database_=DATABASE,
    )
    assert records[0]["relayed"] and not records[0]["pending"]
    # A job the API did queue is not queued a second time by the relay.
    posted = await svc.post_tweet(author.id, "queued at once")
    assert await worker.relay_outbox(older_than_ms=0) == 0
    assert await worker.drain() == 1
    assert (await svc.read_home(fan.id, 10, None)).entries[0].tweet.id == posted.id


async def test_a_post_whose_redis_writes_failed_reaches_its_authors_live_feed_through_the_relay(
    engine_factory: Factory,
) -> None:
    # Redis failed the API after the commit: no own timeline insert, no own event. Later events move the
    # author's cursor on; when the relay's job repairs the own timeline, the author gets the post as a late
    # insert (logged, published): a resume from that cursor replays it, once.
    svc, worker, friend, author = await _reader_of_friend(engine_factory)
    tweet_id, job_id = svc.ctx.ids.next_id(), svc.ctx.ids.next_id()
    await svc.ctx.tweets.post(
        author.id,
        "committed, then Redis failed",
        tweet_id=tweet_id,
        job=outbox(job_id, PostJob(tweet_id, author.id)),
    )
    newer = await svc.post_tweet(friend.id, "delivered live")
    await worker.drain()
    log = await svc.live_log(author.id)
    cursor = cursors.resume(newer.id, log.positions[newer.id], log.generation)  # the live event's cursor
    assert await worker.relay_outbox(older_than_ms=0) == 1
    await worker.drain()
    replay = await _replayed(svc, author.id, cursor)
    assert [tid for tid, _ in replay] == [tweet_id]
    assert await _replayed(svc, author.id, replay[-1][1]) == []


async def test_a_follow_and_a_like_whose_redis_follow_up_failed_are_repaired_through_the_relay(
    engine_factory: Factory,
) -> None:
    # Each write commits with a repair job; the process dies before its Redis writes (the follower's sets and
    # backfill, the liker's viewer flags). Until the relay runs the feed and the flags are stale; its job makes
    # the worker drop the users' derived state, and the next reads rebuild it from Neo4j. A write whose Redis
    # follow-up completed marks its job, and the relay leaves it alone.
    svc, worker = engine_factory()
    star = await svc.create_user("star", None, "h")
    fan = await svc.create_user("fan", None, "h")
    tweet = await svc.post_tweet(star.id, "before the follow")
    await worker.drain()
    await svc.read_home(fan.id, 10, None)  # the fan's state is built: fan-out and reads use it
    assert await svc.liked_flags(fan.id, [tweet.id]) == set()

    def repair_job(handle: str | None = None) -> OutboxJob:
        return outbox(svc.ctx.ids.next_id(), RepairJob((fan.id,), handle))

    await svc.ctx.follows.follow(fan.id, "star", 1, job=repair_job("star"))
    await svc.ctx.tweets.like(fan.id, tweet.id, 2, job=repair_job())
    assert (await svc.read_home(fan.id, 10, None)).entries == []  # Redis never heard of the follow
    assert await svc.liked_flags(fan.id, [tweet.id]) == set()
    assert await worker.relay_outbox(older_than_ms=0) == 2
    await worker.drain()
    assert [e.tweet.id for e in (await svc.read_home(fan.id, 10, None)).entries] == [tweet.id]
    assert await svc.liked_flags(fan.id, [tweet.id]) == {tweet.id}

    await svc.unlike(fan.id, tweet.id)
    await svc.unfollow(fan.id, "star")
    await svc.mute(fan.id, "star")
    assert await worker.relay_outbox(older_than_ms=0) == 0  # done by the API: nothing to repair
    assert await svc.liked_flags(fan.id, [tweet.id]) == set()


async def test_idempotency_key_returns_the_first_tweet(engine_factory: Factory, neo4j: AsyncDriver) -> None:
    svc, _ = engine_factory()
    author = await svc.create_user("author", None, "h")
    first = await svc.post_tweet(author.id, "once", idempotency_key="k1")
    again = await svc.post_tweet(author.id, "once", idempotency_key="k1")
    assert again.id == first.id
    records, _, _ = await neo4j.execute_query(
        "MATCH (t:Tweet) WITH count(t) AS tweets MATCH (j:Job) RETURN tweets, count(j) AS jobs",
        database_=DATABASE,
    )
    assert (records[0]["tweets"], records[0]["jobs"]) == (1, 1)
    with pytest.raises(BadInput):
        await svc.post_tweet(author.id, "too long a key", idempotency_key="x" * 200)


async def test_dead_consumers_without_pending_messages_are_removed(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory(dead_consumer_grace_ms=0)
    keys = svc.keys
    await worker.ensure_group()
    author = await svc.create_user("author", None, "h")
    stream = keys.fanout_stream(fanout_shard(author.id))
    await redis.xgroup_createconsumer(stream, keys.fanout_group, "dead-idle")
    await svc.post_tweet(author.id, "left pending by a crash")
    await redis.xreadgroup(keys.fanout_group, "dead-busy", {stream: ">"}, count=1)
    await asyncio.sleep(0.01)
    assert await worker.remove_dead_consumers() == ["dead-idle"]
    names = {c["name"] for c in await redis.xinfo_consumers(stream, keys.fanout_group)}
    assert b"dead-busy" in names and b"dead-idle" not in names  # pending work is claimed, never dropped


class _Quiet:
    """A subscription no event ever reaches: only its nudges (the liveness checks' alarm) wake it."""

    def __init__(self) -> None:
        self._nudges: asyncio.Queue[None] = asyncio.Queue()

    async def get(self) -> tuple[str, bytes]:
        await self._nudges.get()
        return "", b""

    async def add(self, channels: Iterable[str]) -> None: ...

    async def remove(self, channels: Iterable[str]) -> None: ...

    def nudge(self) -> None:
        self._nudges.put_nowait(None)


class _QuietHub:
    @contextlib.asynccontextmanager
    async def subscriber(self, channels: Iterable[str] = ()) -> AsyncIterator[_Quiet]:
        yield _Quiet()


async def test_resume_replay_sends_no_suggested_entries(engine_factory: Factory) -> None:
    svc, worker = engine_factory(suggestions=50)  # the newcomer's feed suggests: the replay must not
    stranger = await svc.create_user("stranger", None, "h")
    friend = await svc.create_user("friend", None, "h")
    newcomer = await svc.create_user("newcomer", None, "h")
    await svc.follow(newcomer.id, "friend")
    trending = await svc.post_tweet(stranger.id, "everyone likes this")
    await svc.like(newcomer.id, trending.id)
    followed = await svc.post_tweet(friend.id, "from a friend")
    await worker.drain()
    page = await svc.read_home(newcomer.id, 10, None)
    assert {e.source for e in page.entries} == {"SUGGESTED", "TIMELINE"}  # the newcomer's feed suggests
    events = []
    stream = timeline_events(svc, _QuietHub(), newcomer.id, cursors.latest(1))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(3):
            async for event in stream:
                events.append(event)
    assert [(int(e.tweet_id), e.source.value) for e in events] == [(followed.id, "TIMELINE")]


async def _replayed(svc: object, viewer_id: int, after: str, wait_s: float = 2) -> list[tuple[int, str]]:
    events = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(wait_s):
            async for event in timeline_events(svc, _QuietHub(), viewer_id, after):  # type: ignore[arg-type]
                events.append((int(event.tweet_id), event.cursor))
    return events


async def _reader_of_friend(
    engine_factory: Factory,
) -> tuple[FeedService, FanoutWorker, UserRecord, UserRecord]:
    """An engine, its worker, and a reader following a friend, with a built timeline (fan-out writes to it) and
    a live subscription started (its inserts are logged and published: FeedService.watch_live)."""
    svc, worker = engine_factory()
    friend = await svc.create_user("friend", None, "h")
    reader = await svc.create_user("reader", None, "h")
    await svc.follow(reader.id, "friend")
    await svc.read_home(reader.id, 10, None)
    await svc.watch_live(reader.id)
    return svc, worker, friend, reader


async def test_a_late_fan_out_below_the_newest_id_reaches_a_resuming_client_once(
    engine_factory: Factory,
) -> None:
    # A worker killed mid-job leaves the older tweet's message pending; the next worker fans out the newer one
    # first and claims the older one later. A client that got the newer one live and then lost its connection
    # must get the older one when it resumes from its cursor, and only once.
    svc, worker, friend, reader = await _reader_of_friend(engine_factory)
    older = await svc.post_tweet(friend.id, "fanned out late")
    newer = await svc.post_tweet(friend.id, "fanned out first")
    await svc.ctx.store.fan_in(
        [reader.id], newer.id, live_payload=tweet_event("NEW", newer.id, friend.id, "TIMELINE")
    )
    log = await svc.live_log(reader.id)
    cursor = cursors.resume(newer.id, log.positions[newer.id], log.generation)  # the live event's cursor
    await worker.drain()  # the claimed older message: an insert below the client's newest id
    replay = await _replayed(svc, reader.id, cursor)
    assert [tid for tid, _ in replay] == [older.id]
    assert await _replayed(svc, reader.id, replay[-1][1]) == []  # and nothing twice
    # A cursor without a live position (from homeTimeline) replays what is above its id, as before.
    assert [tid for tid, _ in await _replayed(svc, reader.id, cursors.latest(older.id))] == [newer.id]


async def test_a_client_cut_off_anywhere_in_a_resume_replay_gets_each_entry_once(
    engine_factory: Factory,
) -> None:
    # Live inserts published out of id order (a claimed message fanned out late, shards racing) and an entry
    # with no live event (one a rebuild wrote): wherever the connection drops during the replay, resuming
    # from the last cursor received delivers the rest, each entry once. (A cut after an entry whose live
    # position was above an unsent one's made the resume send it again as a late insert.)
    svc, _, friend, reader = await _reader_of_friend(engine_factory)

    async def fan_in(tweet_id: int, *, live: bool = True) -> None:
        payload = tweet_event("NEW", tweet_id, friend.id, "TIMELINE") if live else b""
        await svc.ctx.store.fan_in([reader.id], tweet_id, live_payload=payload)

    delivered = await svc.post_tweet(friend.id, "the client's last event")
    await fan_in(delivered.id)
    log = await svc.live_log(reader.id)
    cursor = cursors.resume(delivered.id, log.positions[delivered.id], log.generation)
    t1, t2, t3, quiet = [(await svc.post_tweet(friend.id, f"tweet {i}")).id for i in range(4)]
    for tid in (t3, t1, t2):  # published in this order: positions rise while ids do not
        await fan_in(tid)
    await fan_in(quiet, live=False)

    full = await _replayed(svc, reader.id, cursor, wait_s=1)
    assert sorted(tid for tid, _ in full) == [t1, t2, t3, quiet]
    for cut in range(1, len(full) + 1):
        rest = await _replayed(svc, reader.id, full[cut - 1][1], wait_s=1)
        got = [tid for tid, _ in full[:cut]] + [tid for tid, _ in rest]
        assert sorted(got) == [t1, t2, t3, quiet], f"cut after {cut} of {[tid for tid, _ in full]}: {got}"


class _Scripted(_Quiet):
    def __init__(self, events: list[bytes]) -> None:
        super().__init__()
        self.events = list(events)

    async def get(self) -> tuple[str, bytes]:
        if self.events:
            return "live", self.events.pop(0)
        return await super().get()


async def test_an_entry_published_again_is_not_sent_twice_unless_it_left_in_between(
    engine_factory: Factory,
) -> None:
    # After a FLUSHALL the fan-out running beside the viewer's rebuild re-adds an entry the open client got
    # a moment before, and publishes it again (a new position): the subscription must not send it twice. An
    # entry that left the feed (DELETED: a mute) and came back (its unmute) is sent again.
    svc, _, friend, reader = await _reader_of_friend(engine_factory)
    tweet = await svc.post_tweet(friend.id, "published twice")

    def at(seq: int, kind: Literal["NEW", "DELETED"] = "NEW") -> bytes:
        return tweet_event(kind, tweet.id, friend.id, "TIMELINE")[:-1] + b',"seq":%d}' % seq

    script = [at(10), at(20), at(25, "DELETED"), at(30)]

    class Hub:
        @contextlib.asynccontextmanager
        async def subscriber(self, channels: Iterable[str] = ()) -> AsyncIterator[_Scripted]:
            yield _Scripted(script)

    await svc.ctx.store.fan_in([reader.id], tweet.id)  # in the timeline, as the live read expects
    events = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):
            async for event in timeline_events(svc, Hub(), reader.id, None):  # type: ignore[arg-type]
                events.append((event.kind.value, int(event.tweet_id)))
    assert events == [("NEW", tweet.id), ("DELETED", tweet.id), ("NEW", tweet.id)]


async def _lose_redis_data(
    redis: aioredis.Redis, settings: Settings, worker: FanoutWorker | None = None
) -> None:
    """FLUSHALL, for this test's keys only; the worker learns that its consumer groups went (as its loop does
    from NOGROUP)."""
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{settings.key_prefix}*")])
    if worker is not None:
        worker.group_lost()


async def test_an_insert_published_after_redis_lost_the_live_state_is_not_sent_and_the_resume_misses_nothing(
    engine_factory: Factory, redis: aioredis.Redis, settings: Settings
) -> None:
    # Between a FLUSHALL and the subscription's next check, the viewer's own post is published at once (it is
    # no fan-out: the missing timeline does not stop it) while the friend's tweet posted meanwhile only comes
    # back with the rebuild, with no event. Sending the own post would move the client's cursor past the
    # friend's tweet, and the resume would never send it. The own post carries the new live log generation:
    # the subscription closes before sending it, and the resume from the last cursor gets both.
    svc, worker, friend, reader = await _reader_of_friend(engine_factory)
    hub = LiveHub(redis)
    closed: list[tuple[int, str]] = []

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    stream = timeline_events(svc, hub, reader.id, None, close)
    try:
        waiting = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.5)  # subscribed (the stream is waiting for its first event)
        before = await svc.post_tweet(friend.id, "before the loss")
        await worker.drain()
        last = await asyncio.wait_for(waiting, 10)
        assert int(last.tweet_id) == before.id
        await _lose_redis_data(redis, settings, worker)
        during = await svc.post_tweet(friend.id, "fanned out to no one: the timeline is gone")
        await worker.drain()
        own = await svc.post_tweet(reader.id, "my own, published at once")
        waiting = asyncio.ensure_future(stream.__anext__())
        for _ in range(100):
            if closed:
                break
            await asyncio.sleep(0.05)
        assert closed == [(1013, LOST_CLOSE_REASON)]
        assert not waiting.done()  # nothing sent
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    finally:
        await stream.aclose()
        await hub.aclose()
    assert [tid for tid, _ in await _replayed(svc, reader.id, last.cursor)] == [during.id, own.id]


async def test_an_own_post_does_not_carry_the_cursor_past_fan_outs_that_redis_lost(
    engine_factory: Factory, redis: aioredis.Redis, settings: Settings
) -> None:
    # The viewer's own post is published by the API at once; the fan-out of the friend's older tweet is still
    # queued (a worker restarting) when a FLUSHALL takes the queue, the timeline and the live log: the tweet
    # comes back only with the rebuild, with no event. The own post's event must not have moved the cursor's
    # id past it: the resume replays it by id, and not the own post the client has.
    svc, worker, friend, reader = await _reader_of_friend(engine_factory)
    hub = LiveHub(redis)
    stream = timeline_events(svc, hub, reader.id, None)
    try:
        waiting = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.5)  # subscribed (the stream is waiting for its first event)
        first = await svc.post_tweet(friend.id, "delivered")
        await worker.drain()
        assert int((await asyncio.wait_for(waiting, 10)).tweet_id) == first.id
        pending = await svc.post_tweet(friend.id, "queued when Redis lost it")  # not fanned out yet
        own = await svc.post_tweet(reader.id, "my own, published at once")
        event = await asyncio.wait_for(stream.__anext__(), 10)
        assert int(event.tweet_id) == own.id
    finally:
        await stream.aclose()
        await hub.aclose()
    await _lose_redis_data(redis, settings, worker)
    assert [tid for tid, _ in await _replayed(svc, reader.id, event.cursor)] == [pending.id]


async def test_a_fan_out_done_again_after_redis_lost_the_live_state_is_not_replayed_twice(
    engine_factory: Factory, redis: aioredis.Redis, settings: Settings
) -> None:
    # The relay queues a job again when its queued marker went with a FLUSHALL; its fan-out may land in the
    # viewer's timeline while a read rebuilds it (the BUILDING marker lets it in), as a live insert of the new
    # log. The client got that tweet before the loss: a resume from its cursor must not send it again as a late
    # insert (below the cursor's id, at a later position), while what is new since is sent.
    svc, worker, friend, reader = await _reader_of_friend(engine_factory)
    older = await svc.post_tweet(friend.id, "delivered before the loss")
    newer = await svc.post_tweet(friend.id, "the client's last event")
    await worker.drain()
    log = await svc.live_log(reader.id)
    cursor = cursors.resume(newer.id, log.positions[newer.id], log.generation)
    await _lose_redis_data(redis, settings, worker)
    await svc.watch_live(reader.id)  # the client, cut off by the loss, subscribes again: a new log generation
    store = svc.ctx.store
    assert await store.begin_timeline_rebuild(reader.id, "rebuilder", 5_000) == 1
    after_loss = await svc.post_tweet(friend.id, "posted after the loss")
    await worker.drain()  # fanned out into the timeline being rebuilt: the new log's first insert
    payload = tweet_event("NEW", older.id, friend.id, "TIMELINE")
    assert await store.fan_in([reader.id], older.id, live_payload=payload) == 1  # then the one done again
    await store.end_timeline_rebuild(reader.id, "rebuilder")
    await svc.read_home(reader.id, 10, None)  # the rebuild completes
    assert (await svc.live_log(reader.id)).generation != log.generation
    assert [tid for tid, _ in await _replayed(svc, reader.id, cursor)] == [after_loss.id]


async def test_a_subscriber_whose_redis_state_was_lost_is_told_even_after_a_read_rebuilt_it(
    engine_factory: Factory, redis: aioredis.Redis, settings: Settings
) -> None:
    # Between a FLUSHALL and the subscription's next check, fan-out skipped the subscriber (no timeline), and a
    # read may rebuild the timeline meanwhile: the subscription must still learn that it missed events.
    svc, _ = engine_factory()
    reader = await svc.create_user("reader", None, "h")
    stream = timeline_events(svc, _QuietHub(), reader.id, None)
    first = asyncio.ensure_future(stream.__anext__())
    for _ in range(100):  # the subscription has started once its watch mark exists
        if [k async for k in redis.scan_iter(match=f"{settings.key_prefix}lw:*")]:
            break
        await asyncio.sleep(0.05)
    await _lose_redis_data(redis, settings)
    await svc.read_home(reader.id, 10, None)  # the timeline is rebuilt before the subscription checks
    assert await svc.ctx.store.timeline_exists(reader.id)
    with pytest.raises(ServiceUnavailable):  # without a connection to close: the stream's error
        await asyncio.wait_for(first, 15)
    await stream.aclose()


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[31m", "c1\x85x"])
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(BadInput):
        validate_text(text)


def test_line_breaks_and_tabs_are_kept() -> None:
    assert validate_text("one\ntwo\tthree") == "one\ntwo\tthree"


def test_an_empty_cursor_is_malformed() -> None:
    from resolvers.limits import cursor_arg

    with pytest.raises(BadInput):
        cursors.parse_latest(cursor_arg("") or "unreachable")
    assert cursor_arg(None) is None


async def test_sessions_outlive_redis_and_revocation_sticks(
    neo4j: AsyncDriver, redis: aioredis.Redis, settings: Settings
) -> None:
    store = TokenStore(redis, settings.key_prefix, 60, sessions=SessionRepo(neo4j))
    token = await store.issue(42)
    keys = [k async for k in redis.scan_iter(match=f"{settings.key_prefix}auth:*")]
    await redis.delete(*keys)  # Redis lost everything
    assert await store.resolve(token) == 42  # read back from Neo4j, and cached again
    assert 0 < await redis.ttl(keys[0]) <= 60
    assert await store.resolve("forged") is None
    assert await store.revoke(token)
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{settings.key_prefix}auth:*")])
    assert await store.resolve(token) is None  # the session itself is gone


async def test_a_session_written_beside_a_failed_check_is_deleted(
    neo4j: AsyncDriver, redis: aioredis.Redis, settings: Settings
) -> None:
    """issue_if writes the session while the check (a log-in's password verification) runs: a check that
    fails or raises leaves no session behind, whether it ends before or after the write; one that passes
    gives a token whose session outlives Redis."""
    store = TokenStore(redis, settings.key_prefix, 60, sessions=SessionRepo(neo4j))
    user = 4242

    async def sessions() -> int:
        records, _, _ = await neo4j.execute_query(
            "MATCH (s:Session {userId: $u}) RETURN count(s) AS n", u=user, database_=DATABASE
        )
        return int(records[0]["n"])

    async def verdict(passed: bool, delay: float) -> bool:
        await asyncio.sleep(delay)
        return passed

    async def broken() -> bool:
        await asyncio.sleep(0.05)
        raise RuntimeError("the check failed")

    for delay in (0.0, 0.2):  # before the session's write ends, and after it
        assert await store.issue_if(user, verdict(False, delay)) is None
        assert await sessions() == 0
    with pytest.raises(RuntimeError):
        await store.issue_if(user, broken())
    assert await sessions() == 0
    assert [k async for k in redis.scan_iter(match=f"{settings.key_prefix}auth:tok:*")] != []  # tombstones
    for key in [k async for k in redis.scan_iter(match=f"{settings.key_prefix}auth:tok:*")]:
        assert await redis.get(key) == b"-"  # no discarded token resolves, even from the cache
    token = await store.issue_if(user, verdict(True, 0.0))
    assert token is not None and await sessions() == 1
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{settings.key_prefix}auth:*")])
    assert await store.resolve(token) == user  # read back from Neo4j: the session was written


async def test_liveness_checks_made_together_answer_as_each_alone(
    engine: tuple[FeedService, FanoutWorker],
) -> None:
    """Every subscription of a process checks its live state at the same moments, in one pipeline: each
    answer is still its own (a timeline gone, a generation changed, a watch mark expired, all well)."""
    svc, _ = engine
    users = [await svc.create_user(f"live{i}", None, "h") for i in range(4)]
    for u in users:
        await svc.read_home(u.id, 5, None)  # builds the timeline
    watches = [await svc.watch_live(u.id) for u in users]
    await svc.redis.delete(svc.keys.timeline(users[1].id))  # the timeline is gone
    await svc.redis.set(
        svc.keys.live_generation(users[2].id), watches[2].generation + 1
    )  # another generation
    await svc.redis.delete(svc.keys.live_watch(users[3].id, watches[3].token))  # the watch mark expired
    together = await asyncio.gather(
        *(svc.live_state_lost(u.id, w) for u, w in zip(users, watches, strict=True))
    )
    alone = [await svc.live_state_lost(u.id, w) for u, w in zip(users, watches, strict=True)]
    assert together == alone == [False, True, True, True]
    assert await asyncio.gather(svc.live_state_lost(users[0].id), svc.live_state_lost(users[1].id)) == [
        False,
        True,
    ]


async def test_a_message_that_failed_is_done_again_after_the_backoff_not_the_claim_idle_time(
    engine: tuple[FeedService, FanoutWorker],
) -> None:
    """A transient Neo4j error while paging followers (CI met "transaction read outdated data") leaves the
    message, and the rest of its batch, pending on this worker: it reads its own pending ones again once the
    backoff is over instead of waiting for the stale-message claim (30 s idle)."""
    svc, worker = engine
    author = await svc.create_user("flaky", None, "h")
    reader = await svc.create_user("patient", None, "h")
    await svc.follow(reader.id, "flaky")
    await svc.read_home(reader.id, 5, None)  # an existing timeline: fan-out writes to it
    real_pages = worker.ctx.follows.follower_id_pages
    failures: list[bool] = []

    async def fails_once(*args: object, **kwargs: object) -> AsyncIterator[list[int]]:
        if not failures:
            failures.append(True)
            raise ServiceUnavailable("transaction read outdated data (injected)")
        async for page in real_pages(*args, **kwargs):  # type: ignore[arg-type]
            yield page

    worker.ctx.follows.follower_id_pages = fails_once  # type: ignore[method-assign]
    worker.claim_every_s = 3600.0  # the claim must not be what redoes it
    tweets = [await svc.post_tweet(author.id, f"post {i}") for i in range(3)]
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop, block_ms=100))
    try:
        for _ in range(100):
            page = await svc.read_home(reader.id, 10, None)
            if {e.tweet.id for e in page.entries if e.source == "TIMELINE"} >= {t.id for t in tweets}:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the failed message was not done again within 5 s")
    finally:
        stop.set()
        await run
    assert failures == [True]
