"""homeTimeline against its floor (bench/floor.py), and where the API's time goes (py-spy).

The same viewer, page and closed-loop load go to the bare handler and to the API; each server's CPU per
request (from /proc, so the load generator's own CPU is not counted) is the figure, and the API's is
reported as a multiple of the floor's. The floor's answer is first checked to be the API's answer, field
for field, so the two do the same work. While the API is under that load, py-spy samples one of its
processes; the report lists the functions where the samples were (by own time and by inclusive time).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.api_scenarios import HttpPool, _body, _free_port, process_cpu_s
from bench.stats import closed_loop, summarize
from bench.ws_subscribers import Subscribers
from fanout.client import open_redis

# Frames of threads that only wait (uvloop's resolver pool, py-spy's view of an idle loop).
_IDLE = ("concurrent/futures/thread.py", "threading.py", "selectors.py")
_OURS = {"api", "resolvers", "fanout", "graph", "auth"}
_LOOP = "Runner.run (asyncio/runners.py)"
_LINE = re.compile(r":\d+\)$")  # "f (file.py:12)" -> "f (file.py)": one entry per function, not per line


def _spawn(module: str, port: int, args: tuple[str, ...]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def _serve(module: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m <module> --port P <args>`` and return it with its URL once it listens."""
    port = _free_port()
    proc = _spawn(module, port, args)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{module} exited: {proc.stderr.read() if proc.stderr else b''!r}")
            with contextlib.suppress(httpx.HTTPError):
                await client.get(url, timeout=1)  # any answer (a 404) means it listens
                return proc, url
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{module} did not start")
            await asyncio.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _same_page(api: dict[str, Any], floor: dict[str, Any]) -> None:
    """The floor did the same work: its page is the API's (the API answers no more than the floor's fields)."""
    got, want = floor["data"]["homeTimeline"]["edges"], api["data"]["homeTimeline"]["edges"]
    if got != want:
        raise RuntimeError(f"the floor's page differs from the API's: {got[:2]} vs {want[:2]}")


class Profile:
    """``py-spy record`` of one process for a while, summarized (None when py-spy is missing or refused)."""

    def __init__(self, pid: int, seconds: float) -> None:
        self.out = Path(tempfile.mkstemp(prefix="feedline-pyspy-", suffix=".txt")[1])
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.proc: subprocess.Popen[bytes] | None = None
        if Path(spy).exists():
            self.proc = subprocess.Popen(
                [spy, "record", "-p", str(pid), "-d", str(max(1, int(seconds))), "-r", "250", "-f", "raw",
                 "-o", str(self.out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip

    def summary(self, top: int = 15) -> dict[str, Any] | None:
        if self.proc is None:
            return None
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        text = self.out.read_text(errors="replace") if self.out.exists() else ""
        self.out.unlink(missing_ok=True)
        if not text.strip():
            return {"error": err.decode(errors="replace")[-300:]}
        own: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        total = 0
        for line in text.splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [_LINE.sub(")", f) for f in stack.split(";")]
            # Only what runs under the event loop; a sample that ends in the loop itself is the loop waiting.
            if _LOOP in frames:
                frames = frames[frames.index(_LOOP) + 1 :]
            if not count.isdigit() or not frames or any(idle in frames[-1] for idle in _IDLE):
                continue
            n = int(count)
            total += n
            own[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
        if not total:
            return {"error": "no samples"}
        return {
            "samples": total,
            "own": [(f, round(n / total, 3)) for f, n in own.most_common(top)],
            # Inclusive shares of Feedline's own functions: which of its steps the time is under.
            "inclusive": [
                (f, round(n / total, 3))
                for f, n in inclusive.most_common()
                if f.endswith(".py)") and f.rsplit("(", 1)[1].split("/")[0] in _OURS
            ][:top],
        }


async def home_vs_floor(
    api_urls: list[str],
    api_pids: list[int],
    redis_url: str,
    prefix: str,
    viewer: int,
    token: str,
    *,
    clients: int,
    duration_s: float,
    say: Any,
) -> dict[str, Any]:
    body = _body()
    api = HttpPool(api_urls)
    floor_proc, floor_url = await _serve("bench.floor", "--redis-url", redis_url, "--prefix", prefix)
    floor = HttpPool([floor_url], path=f"/home/{viewer}")
    try:
        say("homeTimeline vs its floor (bare handler)")
        _, api_page = await api.post(body, token)
        _, floor_page = await floor.post(b"", token)
        _same_page(json.loads(api_page), json.loads(floor_page))

        async def run(pool: HttpPool, pids: list[int], profile: bool = False) -> dict[str, Any]:
            async def op() -> object:
                status, payload = await pool.post(body, token)
                if status != 200 or b'"errors"' in payload:
                    raise RuntimeError(f"HTTP {status}: {payload[:200]!r}")
                return payload

            for _ in range(50):
                await op()  # warm connections and caches
            spy = Profile(pids[0], duration_s) if profile else None
            cpu0 = process_cpu_s(pids)
            sat = await closed_loop(op, clients, duration_s)
            cpu_ms = (process_cpu_s(pids) - cpu0) * 1000 / max(1, sat.latency.count)
            return {"requests_per_s": sat.requests_per_s, "server_cpu_ms_per_request": cpu_ms,
                    "profile": spy.summary() if spy else None}  # fmt: skip

        floor_run = await run(floor, [floor_proc.pid])
        api_run = await run(api, api_pids, profile=True)
        cold = await _cold_reads(api, api_pids, redis_url, prefix, body, token, COLD_REQUESTS)
        floor_cpu = max(1e-9, floor_run["server_cpu_ms_per_request"])
        return {
            "clients": clients,
            "api_processes": len(api_pids),
            "floor": floor_run,
            "api": api_run,
            "cpu_ratio": api_run["server_cpu_ms_per_request"] / floor_cpu,
            "api_cold": cold,
            "cold_cpu_ratio": cold["server_cpu_ms_per_request"] / floor_cpu,
        }
    finally:
        api.close()
        floor.close()
        _stop(floor_proc)


COLD_REQUESTS = 40


async def _cold_reads(
    api: HttpPool, pids: list[int], redis_url: str, prefix: str, body: bytes, token: str, requests: int
) -> dict[str, Any]:
    """The same page with a cold cache: before each request (one at a time) the load generator drops every
    tweet and user hash of the world, so the page's records come from Neo4j and are cached again. The
    viewer's timeline and sets stay built: only the record caches are cold. Server CPU per request as for
    the warm runs, over the whole loop (the API is idle while the load generator drops the keys)."""
    redis = open_redis(redis_url)
    latencies = []
    cpu0 = process_cpu_s(pids)  # over the whole loop: /proc counts in 10 ms ticks, too coarse for one request
    try:
        for _ in range(requests):
            for pattern in (f"{prefix}tw:*", f"{prefix}u:*"):
                keys = [k async for k in redis.scan_iter(match=pattern, count=1000)]
                for start in range(0, len(keys), 1000):
                    await redis.delete(*keys[start : start + 1000])
            t0 = time.perf_counter()
            status, payload = await api.post(body, token)
            latencies.append(time.perf_counter() - t0)
            if status != 200 or b'"errors"' in payload:
                raise RuntimeError(f"cold homeTimeline: HTTP {status}: {payload[:200]!r}")
        cpu_s = process_cpu_s(pids) - cpu0
    finally:
        await redis.aclose()
    return {
        "requests": requests,
        "server_cpu_ms_per_request": cpu_s * 1000 / requests,
        "latency": summarize(latencies).as_dict(),
    }


async def live_floor(subscribers: int, events: int, *, say: Any) -> dict[str, Any]:
    """Floor (b): the bare broadcast server (bench/live_floor.py) sends ``events`` frames to ``subscribers``
    websockets (the same client as the API's live scenario, bench/ws_subscribers.py), paced as the API's
    posts are; its CPU per delivered event is the figure the API's is a multiple of."""
    proc, url = await _serve("bench.live_floor")
    subs = Subscribers([url], [None] * subscribers)
    try:
        say(f"live floor: {subscribers} websockets, bare broadcast")
        ready = await subs.start(timeout_s=60)
        latencies: list[float] = []
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:

            async def broadcast(tweet: str) -> list[float]:
                t0 = time.perf_counter()
                await client.post(f"/broadcast/{tweet}")
                return [a - t0 for a in await subs.wait_for(tweet, ready, 5)]

            for k in range(3):
                await broadcast(f"warm-up-{k}")  # untimed: connections and code paths warm
            cpu0 = process_cpu_s([proc.pid])
            for k in range(events):
                latencies += await broadcast(f"event-{k}")
                await asyncio.sleep(0.2)
            cpu_s = process_cpu_s([proc.pid]) - cpu0
        return {
            "subscribers": ready,
            "events": events,
            "delivered": len(latencies),
            "missing": events * ready - len(latencies),
            "server_cpu_ms_per_event": cpu_s * 1000 / max(1, len(latencies)),
            "broadcast_to_subscriber": summarize(latencies).as_dict(),
        }
    finally:
        await subs.close()
        _stop(proc)
