"""End-to-end scenarios against real `feedline serve` process(es) and a real `feedline worker`.

The world (users, follows, tweets) is written straight into Neo4j (bench/world.py) and bearer tokens
are issued with the API's own TokenStore, so building it costs seconds and trips no rate limit; everything
measured afterwards goes through the public surface: GraphQL over HTTP (`homeTimeline`, `postTweet`) and
graphql-transport-ws subscriptions (`homeTimelineEvents`) on /graphql.

The load generator is a minimal keep-alive HTTP/1.1 client on asyncio streams (one connection per
concurrent client): far lighter than a full HTTP library, which matters because it shares the 2 cores with
the servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from neo4j import AsyncDriver
from redis.asyncio import Redis

from auth.tokens import TokenStore
from bench.goals import GOAL_RATE
from bench.stats import Latency, Op, closed_loop, open_loop, summarize
from bench.world import World
from bench.ws_subscribers import Subscribers
from fanout.keys import Keys
from fanout.store import BUILT, TOP_BOUND
from feedline.settings import Settings

HOME_QUERY = (
    "query H($n: Int) { homeTimeline(first: $n) { edges { cursor source "
    "node { id text likeCount viewerHasLiked author { handle displayName } } } } }"
)
TWEETS_PER_AUTHOR = 5
ORDINARY_AUTHORS = 20


def process_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the given processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiProcesses:
    """``api_processes`` times `feedline serve` (each on its own port) and one `feedline worker` (unless
    ``worker`` is false: a second set of API processes sharing the first set's worker)."""

    settings: Settings
    key_prefix: str
    celebrity_threshold: int
    api_processes: int = 1
    worker_id_base: int = 900  # distinct per set of processes sharing one Neo4j: ids embed the worker id
    # "pull": the bench-only baseline feed (Settings.feed_mode), for bench/pull_vs_hybrid.py.
    feed_mode: Literal["hybrid", "pull"] = "hybrid"
    worker: bool = True
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def api_pids(self) -> list[int]:
        return [p.pid for p in self.procs[: self.api_processes]]

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def env(self, port: int) -> dict[str, str]:
        unlimited = 1_000_000
        return self.settings.model_copy(
            update={
                "key_prefix": self.key_prefix,
                "celebrity_threshold": self.celebrity_threshold,
                "rate_limit_posts_per_user": unlimited,
                "rate_limit_posts_per_ip": unlimited,
                "rate_limit_auth_per_ip": unlimited,
                "rate_limit_auth_per_handle": unlimited,
                "rate_limit_login_backoff_after": unlimited,
                "rate_limit_mutations_per_user": unlimited,
                "rate_limit_mutations_per_ip": unlimited,
                "rate_limit_reads_per_user": unlimited,
                "rate_limit_reads_per_ip": unlimited,
                "rate_limit_subscriptions_per_user": unlimited,
                "rate_limit_subscriptions_per_ip": unlimited,
                "max_subscriptions_per_user": 100_000,
                "max_connections": 8192,
                "host": "127.0.0.1",
                "port": port,
                "worker_id": self.worker_id_base + len(self.procs),
                "feed_mode": self.feed_mode,
            }
        ).child_env()

    def _spawn(self, args: list[str], port: int) -> None:
        log = tempfile.NamedTemporaryFile(prefix="feedline-bench-", suffix=".log", delete=False)  # noqa: SIM115
        self.logs.append(Path(log.name))
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "feedline", *args],
                env=self.env(port),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    async def start(self, timeout_s: float = 60.0) -> None:
        for _ in range(self.api_processes):
            port = _free_port()
            self.ports.append(port)
            self._spawn(["serve", "--port", str(port)], port)
        if self.worker:
            self._spawn(["worker"], 0)
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            for url in self.base_urls:
                while True:
                    if any(p.poll() is not None for p in self.procs):
                        self._fail("a process exited during start-up")
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{url}/readyz", timeout=1)).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        self._fail("not ready in time")
                    await asyncio.sleep(0.2)
        while self.worker and "started" not in self.logs[-1].read_text(errors="replace"):
            if self.procs[-1].poll() is not None or time.monotonic() > deadline:
                self._fail("worker did not start")
            await asyncio.sleep(0.2)

    def _fail(self, why: str) -> None:
        output = " | ".join(p.read_text(errors="replace")[-400:] for p in self.logs)
        self.stop()
        raise RuntimeError(f"API/worker {why}: {output}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self.procs.clear()
        for log in self.logs:
            log.unlink(missing_ok=True)
        self.logs.clear()


class HttpConn:
    """One keep-alive HTTP/1.1 connection: POST a body, read one Content-Length response."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        reused = self.writer is not None
        try:
            return await self._post(path, body, token)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            if not reused:
                raise
            return await self._post(path, body, token)  # the server closed an idle keep-alive connection

    async def _post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None and self.writer is not None
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.host.encode(), token.encode(), len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = -1
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length < 0:
            raise RuntimeError("response without Content-Length")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class HttpPool:
    """Connections spread round-robin over the API processes; a request borrows an idle one."""

    def __init__(self, base_urls: list[str], path: str = "/graphql") -> None:
        self.urls = base_urls
        self.path = path
        self.idle: list[HttpConn] = []
        self.made = 0

    async def post(self, body: bytes, token: str) -> tuple[int, bytes]:
        if self.idle:
            conn = self.idle.pop()
        else:
            conn = HttpConn(self.urls[self.made % len(self.urls)])
            self.made += 1
        try:
            result = await conn.post(self.path, body, token)
        except BaseException:
            conn.close()
            raise
        self.idle.append(conn)
        return result

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


@dataclass
class ApiWorld:
    """Who is who in the API scenarios (ids and bearer tokens)."""

    celebs: list[int]
    authors: list[int]
    fans: list[int]
    live_author: int
    viewers: dict[int, int]  # followed celebrities -> viewer id
    wide_viewer: int  # follows ``wide_follows`` ordinary accounts: a full timeline for the raw ZRANGE ceiling
    wide_follows: int
    tokens: dict[int, str]


async def build_world(
    driver: AsyncDriver,
    redis: Redis,
    key_prefix: str,
    *,
    threshold: int,
    celebrity_counts: list[int],
    subscribers: int,
    wide_follows: int,
    say: Any,
) -> ApiWorld:
    world = await build_graph(
        driver, threshold=threshold, celebrity_counts=celebrity_counts, subscribers=subscribers,
        wide_follows=wide_follows, say=say,
    )  # fmt: skip
    return await prepare_redis(world, redis, key_prefix, subscribers)


async def build_graph(
    driver: AsyncDriver,
    *,
    threshold: int,
    celebrity_counts: list[int],
    subscribers: int,
    wide_follows: int,
    say: Any,
) -> ApiWorld:
    """The world's users, follows and tweets in Neo4j (no tokens yet: see ``prepare_redis``)."""
    world = World(driver)
    say("API world: users")
    celebs = await world.users(max(celebrity_counts), "c")
    authors = await world.users(max(ORDINARY_AUTHORS, wide_follows), "a")
    fans = await world.users(threshold, "f")  # exactly the threshold: every celebrity is one
    live_author = (await world.users(1, "l"))[0]
    viewers = dict(zip(celebrity_counts, await world.users(len(celebrity_counts), "v"), strict=True))
    wide_viewer = (await world.users(1, "w"))[0]
    say("API world: follows and tweets")
    pairs = [(f, c) for f in fans for c in celebs]
    pairs += [(f, live_author) for f in fans[:subscribers]]
    for n, v in viewers.items():
        pairs += [(v, a) for a in authors[:ORDINARY_AUTHORS]] + [(v, c) for c in celebs[:n]]
    pairs += [(wide_viewer, a) for a in authors[:wide_follows]]
    await world.follow(pairs)
    await world.tweets([*authors, *celebs], TWEETS_PER_AUTHOR)
    await world.fix_counters()
    return ApiWorld(celebs, authors, fans, live_author, viewers, wide_viewer, wide_follows, {})


async def prepare_redis(world: ApiWorld, redis: Redis, key_prefix: str, subscribers: int) -> ApiWorld:
    """``world`` with bearer tokens issued in this Redis (under ``key_prefix``), and its subscribers'
    timelines present, as for active users (fan-out writes and publishes only to those)."""
    store = TokenStore(redis, key_prefix, 24 * 3600)
    fans = world.fans[:subscribers]
    everyone = [*fans, world.live_author, *world.viewers.values(), world.wide_viewer]
    tokens = {u: await store.issue(u) for u in everyone}
    # Built and empty: their live author has not posted yet, their celebrities are read on read.
    keys = Keys(key_prefix)
    async with redis.pipeline(transaction=False) as pipe:
        for f in fans:
            pipe.zadd(keys.timeline(f), {BUILT: 0.0})
            pipe.expire(keys.timeline(f), 24 * 3600)
        await pipe.execute()
    return dataclasses.replace(world, tokens=tokens)


def _body(first: int = 20) -> bytes:
    return json.dumps({"query": HOME_QUERY, "variables": {"n": first}}).encode()


async def home_request(pool: HttpPool, body: bytes, token: str) -> bytes:
    """One homeTimeline request; an HTTP error or a GraphQL error fails the measurement."""
    status, payload = await pool.post(body, token)
    if status != 200 or b'"errors"' in payload:
        raise RuntimeError(f"homeTimeline HTTP {status}: {payload[:200]!r}")
    return payload


def home_op(pool: HttpPool, body: bytes, token: str) -> Op:
    """One viewer's homeTimeline request as an operation for the load shapes of bench/stats.py."""

    async def op() -> bytes:
        return await home_request(pool, body, token)

    return op


async def home_timeline(
    base_urls: list[str],
    world: ApiWorld,
    redis: Redis,
    key_prefix: str,
    *,
    concurrencies: list[int],
    rate: float,
    duration_s: float,
    say: Any,
    api_pids: list[int] | None = None,
) -> dict[str, Any]:
    """p50/p99 at a fixed offered rate, requests/s at saturation, per followed celebrities; raw ZRANGE of the
    wide viewer's timeline on the same Redis as the ceiling. (Against pull: bench/pull_vs_hybrid.py.)"""
    pool = HttpPool(base_urls)
    body = _body()
    rows: list[dict[str, Any]] = []

    try:
        for n_celebs, viewer in world.viewers.items():
            say(f"homeTimeline over HTTP: {n_celebs} celebrities")
            op = home_op(pool, body, world.tokens[viewer])
            _, payload = await pool.post(body, world.tokens[viewer])  # builds the timeline
            edges = json.loads(payload)["data"]["homeTimeline"]["edges"]
            sources = sorted({e["source"] for e in edges})
            for _ in range(20):
                await op()  # warm caches and connections
            fixed = await open_loop(op, rate, duration_s)
            rows.append(
                {"celebrities": n_celebs, "concurrency": 0, "fixed_rate": rate, "sources": sources,
                 **fixed.as_dict()}
            )  # fmt: skip
            for clients in concurrencies:
                server0, client0 = process_cpu_s(api_pids or []), time.process_time()
                sat = await closed_loop(op, clients, duration_s)
                n = max(1, sat.latency.count)
                cpu = {
                    "server_cpu_ms_per_request": (process_cpu_s(api_pids or []) - server0) * 1000 / n,
                    "client_cpu_ms_per_request": (time.process_time() - client0) * 1000 / n,
                }
                rows.append({"celebrities": n_celebs, **sat.as_dict(), **cpu})

        wrk_rows, wrk_error = await _wrk_saturation(
            pool, base_urls, world, body, duration_s, say, api_pids or []
        )
        say("raw ZRANGE ceiling")
        wide = world.wide_viewer
        op = home_op(pool, body, world.tokens[wide])
        for _ in range(20):
            await op()  # builds the wide viewer's full timeline, the one ZRANGE reads
        key = Keys(key_prefix).timeline(wide)

        async def raw() -> object:
            return await redis.zrange(key, TOP_BOUND, b"-", desc=True, bylex=True, offset=0, num=20)

        raw_fixed = await open_loop(raw, rate, duration_s)
        raw_sat = [(await closed_loop(raw, c, duration_s)).as_dict() for c in concurrencies]
    finally:
        pool.close()
    return {
        "api_processes": len(base_urls),
        "fixed_rate": [r for r in rows if r["concurrency"] == 0],
        "saturation": [r for r in rows if r["concurrency"] != 0],
        "wrk": wrk_rows,
        "wrk_error": wrk_error,
        "raw_zrange": {"fixed_rate": {"rate_per_s": rate, **raw_fixed.as_dict()}, "saturation": raw_sat},
    }


# The live floor costs ~0.05 ms per delivered event and /proc counts CPU in 10 ms ticks: at least this many
# broadcasts, so that a quick run's few subscribers still make a measurable figure (3 x 50 was under one tick).
FLOOR_MIN_EVENTS = 20
WRK_CONNECTIONS = 32  # per API process: enough to keep it busy, few enough not to queue for long
WRK_CELEBRITIES = (0, 5)


async def _wrk_saturation(
    pool: HttpPool,
    base_urls: list[str],
    world: ApiWorld,
    body: bytes,
    duration_s: float,
    say: Any,
    api_pids: list[int],
) -> tuple[list[dict[str, Any]], str | None]:
    """Saturation measured with wrk (bench/wrk.py), server CPU per served request, and the open loop at
    GOAL_RATE when wrk showed the processes sustain it (above their capacity it would measure only its own
    queue: the latency grows with the run's length); (rows, why there are none)."""
    from bench import wrk

    rows = []
    try:
        for n_celebs in WRK_CELEBRITIES:
            viewer = world.viewers.get(n_celebs)
            if viewer is None:
                continue
            token = world.tokens[viewer]
            say(f"homeTimeline saturation with wrk: {n_celebs} celebrities")
            cpu0 = process_cpu_s(api_pids)
            sat = await wrk.saturate(
                base_urls, "/graphql", body, token, connections=WRK_CONNECTIONS, duration_s=duration_s
            )
            sat["server_cpu_ms_per_request"] = (process_cpu_s(api_pids) - cpu0) * 1000 / max(1, sat["served"])
            row: dict[str, Any] = {"celebrities": n_celebs, **sat}
            if sat["served_per_s"] >= GOAL_RATE * 1.1:
                row["goal_rate"] = (
                    await open_loop(home_op(pool, body, token), GOAL_RATE, duration_s)
                ).as_dict()
            rows.append(row)
    except Exception as error:  # wrk missing or failing: the other figures stand, the report says why
        return rows, f"{error!r}"[:300]
    return rows, None


async def live_latency(
    base_urls: list[str],
    world: ApiWorld,
    *,
    subscribers: int,
    posts: int,
    timeout_s: float,
    say: Any,
    api_pids: list[int] | None = None,
    profile: Callable[[float], Any] | None = None,
) -> dict[str, Any]:
    """Post-to-subscriber (websocket NEW event) and post-to-timeline (visible in homeTimeline) latency.

    ``subscribers`` distinct followers of one ordinary author each hold a graphql-transport-ws connection
    (spread over the API processes); the author posts through the postTweet mutation and the real worker
    fans out and publishes. ``profile(seconds)``, if given, starts a profiler of an API process for the timed
    posts and returns it (its ``summary()`` goes in the result)."""
    fans = world.fans[:subscribers]
    subs = Subscribers(base_urls, [world.tokens[f] for f in fans])
    say(f"live: connecting {subscribers} websocket subscribers")
    ready = await subs.start(timeout_s)
    post_query = json.dumps({"query": "mutation P($t: String!) { postTweet(text: $t) { id } }"})
    author_conn = HttpConn(base_urls[0])

    async def post(text: str) -> str:
        body = json.dumps({**json.loads(post_query), "variables": {"t": text}}).encode()
        status, payload = await author_conn.post("/graphql", body, world.tokens[world.live_author])
        data = json.loads(payload)
        if status != 200 or data.get("errors"):
            raise RuntimeError(f"postTweet failed: {payload[:300]!r}")
        return str(data["data"]["postTweet"]["id"])

    # A subscription has no acknowledgement and starting 1,000 of them takes seconds (each one resolves its
    # token and celebrity set): warm-up posts, not timed, until one reaches every subscriber.
    live_ready = 0
    warm_until = time.perf_counter() + timeout_s
    while live_ready < ready and time.perf_counter() < warm_until:
        live_ready = len(await subs.wait_for(await post("live bench warm-up"), ready, 3))
    await asyncio.sleep(0.5)
    to_subscriber: list[float] = []
    to_timeline: list[float] = []
    missing = 0
    poll_body = _body(1)
    poll_conn = HttpConn(base_urls[-1])
    watcher = world.tokens[fans[0]]
    say(f"live: {posts} posts to {live_ready} live subscribers")
    spy = profile(posts * 0.5) if profile else None
    server0, client0 = process_cpu_s(api_pids or []), time.process_time()
    try:
        for k in range(posts):
            t0 = time.perf_counter()
            tweet_id = await post(f"live bench {k}")
            # Post-to-timeline: poll one follower's feed until the tweet shows up.
            while time.perf_counter() - t0 < 5:
                _, feed = await poll_conn.post("/graphql", poll_body, watcher)
                answer = json.loads(feed)
                if "data" not in answer or answer.get("errors"):
                    raise RuntimeError(f"homeTimeline poll failed: {feed[:300]!r}")
                edges = answer["data"]["homeTimeline"]["edges"]
                if edges and edges[0]["node"]["id"] == tweet_id:
                    to_timeline.append(time.perf_counter() - t0)
                    break
            arrivals = await subs.wait_for(tweet_id, ready, 5)
            missing += ready - len(arrivals)
            to_subscriber += [a - t0 for a in arrivals]
            await asyncio.sleep(0.2)
        server_s, client_s = process_cpu_s(api_pids or []) - server0, time.process_time() - client0
    finally:
        author_conn.close()
        poll_conn.close()
        await subs.close()
    return {
        "subscribers_connected": ready,
        "subscribers_live": live_ready,
        "posts": posts,
        "missing_deliveries": missing,
        "server_cpu_ms_per_event": server_s * 1000 / max(1, len(to_subscriber)),
        "client_cpu_ms_per_event": client_s * 1000 / max(1, len(to_subscriber)),
        "post_to_subscriber": summarize(to_subscriber).as_dict(),
        "post_to_timeline": summarize(to_timeline).as_dict(),
        "profile": spy.summary() if spy else None,
    }


async def run(
    settings: Any,
    driver: AsyncDriver,
    redis: Redis,
    key_prefix: str,
    *,
    concurrencies: list[int],
    celebrity_counts: list[int],
    rate: float,
    duration_s: float,
    repetitions: int,
    subscribers: int,
    posts: int,
    wide_follows: int,
    pull_follow_counts: list[int],
    api_processes: int,
    results: dict[str, Any],
    say: Any,
) -> None:
    """Build the world, start the processes, run the scenarios; failures land in results['skipped']."""
    prefix = f"{key_prefix}api{uuid.uuid4().hex[:4]}:"
    threshold = subscribers + 1
    world = await build_world(
        driver, redis, prefix, threshold=threshold, celebrity_counts=celebrity_counts,
        subscribers=subscribers, wide_follows=wide_follows, say=say,
    )  # fmt: skip
    processes = ApiProcesses(settings, prefix, threshold, api_processes)
    try:
        say("starting API + worker")
        await processes.start()
        await asyncio.sleep(1.0)  # the worker's start-up reconcile puts the celebrities in celebrity mode
        try:
            results["home_timeline"] = await home_timeline(
                processes.base_urls, world, redis, prefix, concurrencies=concurrencies, rate=rate,
                duration_s=duration_s, say=say, api_pids=processes.api_pids,
            )  # fmt: skip
        except Exception as error:  # the report says what failed instead of losing every other figure
            results["skipped"]["homeTimeline over HTTP"] = f"failed: {error!r}"[:500]
        from bench import pull_vs_hybrid  # below: it builds on this module's processes and HTTP client

        try:
            results["pull_vs_hybrid"] = await pull_vs_hybrid.measure(
                processes, driver, redis, follow_counts=pull_follow_counts, repetitions=repetitions,
                budget_s=max(2.0, duration_s * 4), say=say,
            )  # fmt: skip
        except Exception as error:
            results["skipped"]["homeTimeline: hybrid vs pull mode"] = f"failed: {error!r}"[:500]
        from bench.floors import Profile, home_vs_floor, live_floor  # below: they build on this module

        if 0 in world.viewers:
            try:
                viewer = world.viewers[0]
                results["home_floor"] = await home_vs_floor(
                    processes.base_urls, processes.api_pids, settings.redis_url, prefix, viewer,
                    world.tokens[viewer], clients=max(concurrencies), duration_s=duration_s, say=say,
                )  # fmt: skip
            except Exception as error:
                results["skipped"]["homeTimeline vs its floor"] = f"failed: {error!r}"[:500]
        try:
            results["live"] = await live_latency(
                processes.base_urls, world, subscribers=subscribers, posts=posts, timeout_s=60, say=say,
                api_pids=processes.api_pids,
                profile=lambda seconds: Profile(processes.api_pids[0], seconds),
            )  # fmt: skip
        except Exception as error:
            results["skipped"]["post to timeline / websocket subscribers"] = f"failed: {error!r}"[:500]
        try:
            results["live_floor"] = await live_floor(subscribers, max(posts, FLOOR_MIN_EVENTS), say=say)
        except Exception as error:
            results["skipped"]["live delivery's floor (bare broadcast)"] = f"failed: {error!r}"[:500]
    except Exception as error:
        results["skipped"]["API scenarios"] = f"API/worker failed to start: {error!r}"[:500]
    finally:
        processes.stop()


__all__ = ["ApiProcesses", "Latency", "home_op", "home_request", "home_timeline", "live_latency", "run"]
