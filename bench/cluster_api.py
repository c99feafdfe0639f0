"""`feedline bench --cluster`: the same API work on the single server and on Redis Cluster, in one run.

One world in Neo4j (bench/api_scenarios.py), and on each topology its own Redis state (tokens, active
timelines) and its own `feedline serve` + `feedline worker`, both sets running side by side. Measured on
each, alternating rounds so that the machine's noise hits both alike:
- homeTimeline over HTTP (20 entries, 5 followed celebrities merged on read): requests/s at saturation (closed
  loop) with the API's CPU per request, then latency at a fixed offered rate (open loop) of half what the
  slower topology sustained in that round;
- live delivery: a post through postTweet, fanned out by the real worker, to N websocket subscribers
  (post-to-subscriber latency, API CPU per delivered event);
- the Redis side alone (bench/cluster_ratio.py): a fan-out page into 1,000 timelines and a page read.
Every figure is reported with its ratio single ÷ cluster (for latencies and CPU: below 1, the cluster is
slower; for requests/s: cluster ÷ single, below 1 the cluster serves fewer). Written to bench/CLUSTER.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver

from bench import cluster_ratio, world
from bench.api_scenarios import (
    ApiProcesses,
    ApiWorld,
    HttpPool,
    _body,
    build_graph,
    home_request,
    live_latency,
    prepare_redis,
    process_cpu_s,
)
from bench.stats import closed_loop, open_loop
from fanout.client import open_redis
from feedline.settings import Settings

TOPOLOGIES = ("single", "cluster")
CELEBRITIES = 5  # the viewer whose homeTimeline is timed follows this many (merged on read)


class _Home:
    """homeTimeline requests of one viewer on one topology's API process."""

    def __init__(self, base_url: str, token: str, pid: int) -> None:
        self.pool = HttpPool([base_url])
        self.token = token
        self.pid = pid
        self.body = _body()

    async def op(self) -> object:
        return await home_request(self.pool, self.body, self.token)

    async def saturation(self, clients: int, duration_s: float) -> dict[str, Any]:
        for _ in range(20):
            await self.op()  # warm caches and connections
        cpu0 = process_cpu_s([self.pid])
        sat = await closed_loop(self.op, clients, duration_s)
        cpu_ms = (process_cpu_s([self.pid]) - cpu0) * 1000 / max(1, sat.latency.count)
        return {**sat.as_dict(), "server_cpu_ms_per_request": cpu_ms}

    async def fixed_rate(self, rate: float, duration_s: float) -> dict[str, Any]:
        return {"rate_per_s": rate, **(await open_loop(self.op, rate, duration_s)).as_dict()}


def _median_of(rounds: list[dict[str, Any]], *path: str) -> float:
    values = []
    for r in rounds:
        v: Any = r
        for p in path:
            v = v[p]
        values.append(float(v))
    values.sort()
    return values[len(values) // 2]


async def compare(
    settings: Settings,
    cluster_url: str,
    driver: AsyncDriver,
    *,
    quick: bool,
    say: Any,
) -> dict[str, Any]:
    rounds, duration_s, clients = (1, 1.0, 8) if quick else (3, 5.0, 16)
    subscribers, posts = (20, 3) if quick else (200, 10)
    urls = {"single": settings.redis_url, "cluster": cluster_url}
    threshold = subscribers + 1
    await world.cleanup(driver)
    graph = await build_graph(
        driver, threshold=threshold, celebrity_counts=[CELEBRITIES], subscribers=subscribers, wide_follows=1,
        say=say,
    )  # fmt: skip
    clients_redis = {name: open_redis(url) for name, url in urls.items()}
    prefix = f"{settings.key_prefix}cl{int(time.time()) % 100_000}:"
    worlds: dict[str, ApiWorld] = {}
    processes: dict[str, ApiProcesses] = {}
    results: dict[str, Any] = {name: {"home": [], "live": None} for name in TOPOLOGIES}
    try:
        for name in TOPOLOGIES:
            worlds[name] = await prepare_redis(graph, clients_redis[name], f"{prefix}{name[0]}:", subscribers)
            topo = settings.model_copy(update={"redis_url": urls[name], "redis_cluster": name == "cluster"})
            processes[name] = ApiProcesses(
                topo, f"{prefix}{name[0]}:", threshold, 1, worker_id_base=900 + 50 * TOPOLOGIES.index(name)
            )
            say(f"cluster comparison: starting the API and worker on the {name} Redis")
            await processes[name].start()
        homes = {
            name: _Home(
                processes[name].base_urls[0],
                worlds[name].tokens[worlds[name].viewers[CELEBRITIES]],
                processes[name].api_pids[0],
            )
            for name in TOPOLOGIES
        }
        for n in range(rounds):
            say(f"cluster comparison: homeTimeline at saturation (round {n + 1}/{rounds})")
            sat = {name: await homes[name].saturation(clients, duration_s) for name in TOPOLOGIES}
            # The open loop offers half of what the slower topology sustained in this round: an offered rate
            # above capacity measures only the queue it builds.
            rate = round(0.5 * min(r["requests_per_s"] for r in sat.values()), 1)
            say(f"cluster comparison: homeTimeline at {rate}/s offered (round {n + 1}/{rounds})")
            for name in TOPOLOGIES:
                fixed = await homes[name].fixed_rate(rate, duration_s)
                results[name]["home"].append({"saturation": sat[name], "fixed_rate": fixed})
        for home in homes.values():
            home.pool.close()
        for name in TOPOLOGIES:
            say(f"cluster comparison: live delivery on the {name} Redis")
            results[name]["live"] = await live_latency(
                processes[name].base_urls, worlds[name], subscribers=subscribers, posts=posts, timeout_s=60,
                say=say, api_pids=processes[name].api_pids,
            )  # fmt: skip
    finally:
        for procs in processes.values():
            procs.stop()
        for redis in clients_redis.values():
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
            async with redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.delete(key)  # one DEL per key: a cluster refuses a DEL across slots
                await pipe.execute()
            await redis.aclose()
        await world.cleanup(driver)
    say("cluster comparison: the Redis side alone")
    results["redis_only"] = await cluster_ratio.measure(
        settings.redis_url, cluster_url, rounds=10 if quick else 40
    )
    results["summary"] = _summary(results)
    results["sizes"] = {
        "rounds": rounds, "duration_s": duration_s, "clients": clients,
        "subscribers": subscribers, "posts": posts, "celebrities": CELEBRITIES,
    }  # fmt: skip
    return results


def _summary(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each figure on both topologies (medians over the rounds) and its ratio single ÷ cluster."""
    rows: dict[str, dict[str, float]] = {}

    def add(label: str, single: float, cluster: float, higher_is_better: bool = False) -> None:
        ratio = (cluster / single if higher_is_better else single / cluster) if single and cluster else 0.0
        rows[label] = {"single": round(single, 3), "cluster": round(cluster, 3), "ratio": round(ratio, 2)}

    s, c = results["single"], results["cluster"]
    for label, path in (
        ("homeTimeline p50 ms at a fixed rate", ("fixed_rate", "p50_ms")),
        ("homeTimeline p99 ms at a fixed rate", ("fixed_rate", "p99_ms")),
        ("homeTimeline API CPU ms per request", ("saturation", "server_cpu_ms_per_request")),
    ):
        add(label, _median_of(s["home"], *path), _median_of(c["home"], *path))
    add(
        "homeTimeline requests/s at saturation",
        _median_of(s["home"], "saturation", "requests_per_s"),
        _median_of(c["home"], "saturation", "requests_per_s"),
        higher_is_better=True,
    )
    for label, key in (
        ("live post → subscriber p50 ms", "p50_ms"),
        ("live post → subscriber p99 ms", "p99_ms"),
    ):
        add(label, s["live"]["post_to_subscriber"][key], c["live"]["post_to_subscriber"][key])
    add(
        "live API CPU ms per delivered event",
        s["live"]["server_cpu_ms_per_event"],
        c["live"]["server_cpu_ms_per_event"],
    )
    for label, key in (
        ("Redis only: fan-out page of 1,000 ms", "fan_out_page_1000_ms"),
        ("Redis only: read of 20 of 800 ms", "read_20_of_800_ms"),
    ):
        row = results["redis_only"][key]
        add(label, row["single"], row["cluster"])
    return rows


def write_report(results: dict[str, Any], out_dir: Path) -> Path:
    sizes = results["sizes"]
    lines = [
        "# Single server and Redis Cluster, side by side",
        "",
        "`feedline bench --cluster`: the same API work on one Redis server and on the local Redis Cluster (3 "
        "primaries + 3 replicas on this machine), in one run, rounds alternating. Produced by "
        "bench/cluster_api.py; raw data in cluster.json. One `feedline serve` and one `feedline worker` per "
        f"topology; homeTimeline: a viewer following {sizes['celebrities']} celebrities (merged on read) and "
        f"ordinary authors, {sizes['clients']} closed-loop clients for {sizes['duration_s']:.0f} s (saturation), "
        "then an open loop offering half of what the slower topology sustained in that round "
        f"(rates: {', '.join(str(r['fixed_rate']['rate_per_s']) for r in results['single']['home'])} "
        f"requests/s); live: {sizes['posts']} posts to "
        f"{sizes['subscribers']} websocket subscribers. Medians over {sizes['rounds']} round(s).",
        "",
        "Ratio: single ÷ cluster for times and CPU (below 1: the cluster is slower), cluster ÷ single for "
        "requests/s (below 1: the cluster serves fewer). All of it shares 2 cores: the cluster's six "
        "redis-server processes compete with the API, the worker and Neo4j for them, which a real deployment "
        "(one node per machine) does not.",
        "",
        "| figure | single server | cluster | ratio |",
        "|---|---|---|---|",
    ]
    for label, row in results["summary"].items():
        lines.append(f"| {label} | {row['single']} | {row['cluster']} | {row['ratio']} |")
    for name in TOPOLOGIES:
        live = results[name]["live"]
        lines.append("")
        lines.append(
            f"Live on the {name} Redis: {live['subscribers_live']} of {live['subscribers_connected']} subscribers "
            f"live, {live['missing_deliveries']} deliveries missing."
        )
    out = Path(out_dir)
    (out / "cluster.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    path = out / "CLUSTER.md"
    path.write_text("\n".join(lines) + "\n")
    return path
