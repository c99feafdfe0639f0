"""Writes bench/results.json, the PNG plots (matplotlib, Agg) and bench/REPORT.md that embeds them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# What the profiles (py-spy on `feedline serve`, cProfile on the worker) and these scenarios led to. The
# before/after figures were measured on this machine while developing, under the same noise as above.
NOTES: list[str] = [
    "## Bottlenecks found and changed",
    "",
    "| where | change | before → after (this machine, same-run comparisons) |",
    "|---|---|---|",
    "| graph/follows.py `follower_id_pages` | one query per author instead of one per 1,000-follower page "
    "(keyset paging re-expanded every follower each page: quadratic), ids sorted once and streamed as one list "
    "per page | Neo4j paging for 50K followers 2.3 s → 0.10 s; fan-out to 10K followers 20K → 140K inserts/s, "
    "50K followers 20K → 154K inserts/s |",
    "| graph/ (`follower_id_pages`, `pull_ordinary_ids`, `followee_ids`) | one record holding a list instead "
    "of one record per id: the Python driver costs ~60 µs per record | 1,000 ids: 73 ms → 6 ms; 10,000: "
    "635 ms → 28 ms |",
    "| resolvers/limits.py | `ParserCache` + `ValidationCache`; depth/alias rules built once so the "
    "validation cache key repeats | parse + validate were ~30% of a homeTimeline request's server CPU → ~0 |",
    "| api/graphql_view.py | orjson for HTTP responses and websocket messages | with the caches: one process "
    "~80-110 → ~200 req/s at saturation |",
    "| fanout/feed.py `collect` | hydrate only as many candidates as the page still needs (the merged window "
    "with celebrities is several pages) | fewer HMGETs per read with celebrities |",
    "| fanout/feed.py `view_state` | an evicted user's timeline, `celebs:` and `fw:` rebuilt concurrently | "
    "three Neo4j queries in parallel instead of in turn |",
    "| api/app.py | a `BlockingConnectionPool` of 256: redis-py 8's default pool raised MaxConnectionsError "
    "past 100 connections | at 64 clients / 1,000 subscribers: SERVICE_UNAVAILABLE errors → none |",
    "| resolvers/live.py | one tweet read per event in flight, shared by the process's subscribers | server CPU "
    "per delivered event 0.50 → 0.28 ms |",
    "| deployment | two `feedline serve` processes (stateless API) behind the client's round robin | uses both "
    "cores for the API |",
    "",
    "What remains is mostly per-request Python work: GraphQL execution (~20% of a homeTimeline request), the "
    "redis-py client (~30%: six round trips per request, connection pool bookkeeping, socket writes) and, for "
    "live events, the websocket send and the pub/sub read per subscriber.",
    "",
]


def _fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def plot_fanout(results: dict[str, Any], out: Path) -> str | None:
    rows = results.get("fanout", {}).get("rows") or []
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    xs = [r["followers"] for r in rows]
    ax.loglog(xs, [r["median_s"] * 1000 for r in rows], "o-", label="FanoutWorker (post → all pages done)")
    ax.loglog(xs, [r["lua_inserts_s"] * 1000 for r in rows], "^-", label="of which: Lua inserts alone")
    ax.loglog(xs, [r["neo4j_paging_s"] * 1000 for r in rows], "v-", label="of which: Neo4j follower paging")
    ceiling = results.get("zadd_ceiling", {}).get("zadd_per_s")
    if ceiling:
        ax.loglog(xs, [x / ceiling * 1000 for x in xs], "--", label="redis-benchmark ZADD ceiling")
    ax.set_xlabel("followers")
    ax.set_ylabel("fan-out time (ms)")
    ax.set_title("Fan-out time vs followers")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    name = "fanout_vs_followers.png"
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def plot_reads(results: dict[str, Any], out: Path) -> str | None:
    rows = results.get("reads", {}).get("rows") or []
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    f = [r["follows"] for r in rows]
    ax.loglog(f, [r["pull"]["p50_ms"] for r in rows], "o-", label="pure pull (pull_home, Neo4j)")
    ax.loglog(f, [r["engine"]["p50_ms"] for r in rows], "s-", label="hybrid read (FeedService.read_home)")
    ax.loglog(f, [r["redis"]["p50_ms"] for r in rows], "^-", label="raw ZRANGE (Redis floor)")
    ax.set_xlabel("accounts followed")
    ax.set_ylabel("read p50 (ms)")
    ax.set_title("Read time vs follows")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    name = "read_vs_follows.png"
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def plot_saturation(results: dict[str, Any], out: Path) -> str | None:
    home_all = results.get("home_timeline", {})
    sat = home_all.get("raw_zrange", {}).get("saturation") or []
    home = home_all.get("saturation") or []
    if not sat:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([s["concurrency"] for s in sat], [s["requests_per_s"] for s in sat], "o-", label="raw ZRANGE")
    for celebs, series in _group(home, "celebrities").items():
        ax.plot(
            [s["concurrency"] for s in series],
            [s["requests_per_s"] for s in series],
            "s-",
            label=f"homeTimeline, {celebs} celebs",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("requests/s")
    ax.set_title("Throughput at saturation")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    name = "saturation.png"
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def _group(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return groups


def render_markdown(results: dict[str, Any], plots: list[str]) -> str:
    m = results["machine"]
    lines = [
        "# Feedline benchmark report",
        "",
        f"Generated by `feedline bench{' --quick' if results['quick'] else ''}` at {results['started_at']} "
        f"in {results['elapsed_s']:.1f} s.",
        ""
        if not results["quick"]
        else "**Quick run**: seconds-long, small sizes; numbers are indicative only.",
        "",
        "## Machine and load generator",
        "",
        f"- CPU: {m['cpu_model']}, {m['cores']} cores; memory {m['memory_gib']} GiB; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average'])}",
        f"- {m['os']}; Python {m['python']}; Redis {m['redis']}; {m['neo4j']}",
        f"- {m['load_generator']}",
        "",
        "## Results (every timing against a ceiling or baseline from this run)",
        "",
    ]
    lines += (
        _fanout_section(results) + _reads_section(results) + _home_section(results) + _floor_section(results)
    )
    lines += _live_section(results) + NOTES
    lines += _goals(results)
    if results.get("skipped"):
        lines += (
            ["## Not measured in this run", ""]
            + [f"- {k}: {v}" for k, v in results["skipped"].items()]
            + [""]
        )
    if plots:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    lines += ["Raw numbers: [results.json](results.json).", ""]
    return "\n".join(lines)


def _fanout_section(results: dict[str, Any]) -> list[str]:
    zc = results.get("zadd_ceiling", {})
    fan = results.get("fanout", {})
    if not fan.get("rows"):
        return []
    ceiling = zc.get("zadd_per_s") or float("nan")
    lines = [
        "### Fan-out: one tweet to N existing follower timelines (real FanoutWorker)",
        "",
        f"Each repetition posts with `FeedService.post_tweet` and times `FanoutWorker.drain()`: XREADGROUP, "
        f"follower ids paged from Neo4j ({fan.get('page_size')} per page), one Lua call per page (ZADD + trim + "
        "live PUBLISH per follower), checkpoint, XACK. The two halves are also timed apart.",
        "",
        "| followers | fan-out (median / best) | inserts/s (median) | fraction of ZADD ceiling | Neo4j paging "
        "alone | Lua inserts alone | Lua inserts/s (fraction) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in fan["rows"]:
        lines.append(
            f"| {r['followers']:,} | {_fmt(r['median_s'] * 1000)} / {_fmt(r['best_s'] * 1000)} ms | "
            f"{_fmt(r['inserts_per_s'], 0)} | "
            f"**{_fmt(r['inserts_per_s'] / ceiling)}** | {_fmt(r['neo4j_paging_s'] * 1000)} ms | "
            f"{_fmt(r['lua_inserts_s'] * 1000)} ms | {_fmt(r['lua_inserts_per_s'], 0)} "
            f"({_fmt(r['lua_inserts_per_s'] / ceiling)}) |"
        )
    lines += [
        "",
        f"Ceiling: `redis-benchmark` pipelined ZADD on the same Redis = {_fmt(ceiling, 0)}/s "
        f"(`{zc.get('command', zc.get('reason', ''))}`).",
        "",
    ]
    return lines + _rules_section(results)


def _rules_section(results: dict[str, Any]) -> list[str]:
    rules = results.get("fanout_rules", {}).get("rows") or []
    if not rules:
        return []
    base = rules[0]["us_per_insert"]
    lines = [
        "### Fan-out rules: what the mute filter and the replies rule cost per insert",
        "",
        "The page function alone (`fl_fan_in`, one call per page), warm timelines, every insert new. The rules "
        "read the follower's `mu:` and `fw:` sets, which share the timeline's slot (no extra round trip).",
        "",
        "| variant | followers | µs per insert (median) | vs. sets absent |",
        "|---|---|---|---|",
    ]
    for r in rules:
        lines.append(
            f"| {r['variant']} | {r['followers']:,} | {_fmt(r['us_per_insert'])} | "
            f"{_fmt(r['us_per_insert'] - base):s} µs |"
        )
    return [*lines, ""]


def _reads_section(results: dict[str, Any]) -> list[str]:
    rd = results.get("reads", {})
    if not rd.get("rows"):
        return []
    lines = [
        "### Read time vs follows, in process (same data; 20 entries; sequential)",
        "",
        "| follows | pull_home p50 / p99 ms | read_home p50 / p99 ms | raw ZRANGE p50 ms | read_home speedup vs "
        "pull (p50) | read_home as fraction of raw ZRANGE speed |",
        "|---|---|---|---|---|---|",
    ]
    for r in rd["rows"]:
        lines.append(
            f"| {r['follows']} | {_fmt(r['pull']['p50_ms'])} / {_fmt(r['pull']['p99_ms'])} | "
            f"{_fmt(r['engine']['p50_ms'], 3)} / {_fmt(r['engine']['p99_ms'], 3)} | {_fmt(r['redis']['p50_ms'], 3)} | "
            f"{_fmt(r['speedup_p50'], 1)}x | {_fmt(r['engine_vs_raw_p50'], 3)} |"
        )
    rb = rd.get("rebuild") or {}
    if rb:
        only = rb.get("timeline_only", {})
        lines += [
            "",
            f"**Rebuild** of an evicted user following {rb['follows']} accounts (its `tl:`, `celebs:` and `fw:` "
            f"keys deleted as TTL expiry does; {rb['entries']} entries rebuilt): first `read_home` p50 "
            f"{_fmt(rb['p50_ms'])} ms, p99 {_fmt(rb['p99_ms'])} ms (n={rb['count']}); the timeline rebuild alone "
            f"(`Derived.ensure_timeline`) p50 {_fmt(only.get('p50_ms', float('nan')))} ms, p99 "
            f"{_fmt(only.get('p99_ms', float('nan')))} ms. Baseline in the same run: one pull_home of 20 entries "
            f"at that size, p50 {_fmt(rd['rows'][-1]['pull']['p50_ms'])} ms.",
        ]
    mem = rd.get("memory") or {}
    if mem:
        lines += [
            "",
            f"**Memory**: {_fmt(mem['bytes_per_entry'], 2)} bytes per timeline entry (`MEMORY USAGE` of the full "
            f"800-entry timelines the engine built, {mem['entries']:,} entries; encoding `{mem['encoding']}`, "
            f"{mem['config']}; members are {mem['member_bytes']}-byte big-endian ids with score 0).",
        ]
    lines.append("")
    return lines


def _home_section(results: dict[str, Any]) -> list[str]:
    home = results.get("home_timeline")
    if not home:
        return []
    raw = home.get("raw_zrange", {})
    ceiling = {s["concurrency"]: s for s in raw.get("saturation", [])}
    rf = raw.get("fixed_rate", {})
    lines = [
        f"### homeTimeline over HTTP GraphQL ({home['api_processes']} `feedline serve` process(es) + 1 worker; "
        "viewer follows 20 accounts + N celebrities; first: 20 with author handles)",
        "",
        "Open loop (fixed offered rate; latency from the scheduled send time, so queueing is counted):",
        "",
        "| celebrities | offered rate/s | p50 ms | p99 ms | sources in the page |",
        "|---|---|---|---|---|",
    ]
    for r in home["fixed_rate"]:
        lines.append(
            f"| {r['celebrities']} | {r['fixed_rate']:.0f} | {_fmt(r['p50_ms'])} | {_fmt(r['p99_ms'])} | "
            f"{', '.join(r.get('sources', []))} |"
        )
    lines += [
        f"| raw ZRANGE (ceiling) | {rf.get('rate_per_s', 0):.0f} | {_fmt(rf.get('p50_ms', float('nan')), 3)} | "
        f"{_fmt(rf.get('p99_ms', float('nan')), 3)} | |",
        "",
        "Closed loop at saturation (each client sends its next request when the previous answer arrives):",
        "",
        "| celebrities | concurrency | requests/s | p50 ms | p99 ms | fraction of raw ZRANGE requests/s | "
        "server CPU ms/request | load generator CPU ms/request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for r in home["saturation"]:
        c = ceiling.get(r["concurrency"])
        frac = r["requests_per_s"] / c["requests_per_s"] if c else nan
        lines.append(
            f"| {r['celebrities']} | {r['concurrency']} | {_fmt(r['requests_per_s'], 0)} | "
            f"{_fmt(r['p50_ms'])} | {_fmt(r['p99_ms'])} | {_fmt(frac, 3)} | "
            f"{_fmt(r.get('server_cpu_ms_per_request', nan))} | {_fmt(r.get('client_cpu_ms_per_request', nan))} |"
        )
    for c, s in sorted(ceiling.items()):
        lines.append(
            f"| raw ZRANGE | {c} | {_fmt(s['requests_per_s'], 0)} | {_fmt(s['p50_ms'], 3)} | "
            f"{_fmt(s['p99_ms'], 3)} | 1 | | |"
        )
    lines += [
        "",
        "Server CPU per request (all API processes, from /proc) is the noise-proof figure: on 2 shared cores "
        "a closed loop of C clients cannot do better than about C * (server + client CPU per request) / 2 "
        "cores of latency.",
    ]
    vp = home.get("vs_pull")
    if vp:
        lines += [
            "",
            f"**Against the pure pull query** (a viewer following {vp['follows']} accounts, sequential): "
            f"homeTimeline over HTTP p50 {_fmt(vp['http']['p50_ms'])} ms / p99 {_fmt(vp['http']['p99_ms'])} ms; "
            f"`pull_home` in process (no HTTP, no GraphQL, so favourable to pull) p50 "
            f"{_fmt(vp['pull']['p50_ms'])} ms / p99 {_fmt(vp['pull']['p99_ms'])} ms: speedup "
            f"**{_fmt(vp['speedup_p50'], 1)}x** at p50, {_fmt(vp['speedup_p99'], 1)}x at p99.",
        ]
    lines.append("")
    return lines


def _floor_section(results: dict[str, Any]) -> list[str]:
    f = results.get("home_floor")
    if not f:
        return []
    fl, api = f["floor"], f["api"]
    lines = [
        "### homeTimeline against its floor (a bare handler doing the same reads)",
        "",
        f"The same page (20 entries: cursor, source, id, text, likeCount, viewerHasLiked, author handle and "
        f"displayName; a viewer following 20 accounts, no celebrity) from `bench/floor.py`, a bare Starlette "
        f"route on the same uvicorn/uvloop/httptools stack that reads the same Redis keys in three round trips "
        f"and answers the same JSON (checked equal before timing) with orjson; {f['clients']} closed-loop clients "
        f"each. Server CPU from /proc: the load generator's own CPU is not in it.",
        "",
        "| server | requests/s | server CPU ms/request | multiple of the floor |",
        "|---|---|---|---|",
        f"| bare handler (floor), 1 process | {_fmt(fl['requests_per_s'], 0)} | "
        f"{_fmt(fl['server_cpu_ms_per_request'], 3)} | 1 |",
        f"| GraphQL homeTimeline, {f['api_processes']} process(es) | {_fmt(api['requests_per_s'], 0)} | "
        f"{_fmt(api['server_cpu_ms_per_request'], 3)} | **{_fmt(f['cpu_ratio'], 1)}x** |",
        "",
    ]
    prof = api.get("profile") or {}
    if prof.get("samples"):
        lines += [
            f"Where the API's time goes (py-spy, one API process under that load, {prof['samples']} samples; "
            "share of the samples in the function and what it calls / in the function itself):",
            "",
            "| inclusive | function | | own | function |",
            "|---|---|---|---|---|",
        ]
        for (fi, si), (fo, so) in zip(prof["inclusive"], prof["own"], strict=False):
            lines.append(f"| {si:.1%} | `{fi}` | | {so:.1%} | `{fo}` |")
        lines.append("")
    return lines


def _live_section(results: dict[str, Any]) -> list[str]:
    live = results.get("live")
    if not live:
        return []
    return [
        "### Live: post to subscribers and to timeline",
        "",
        f"{live['subscribers_connected']} websocket subscribers (graphql-transport-ws on /graphql, each a distinct "
        f"follower of one ordinary author), {live['posts']} posts through the `postTweet` mutation, fanned out by "
        f"the real worker; {live['missing_deliveries']} deliveries missing. Latency from sending the mutation. "
        f"Untimed warm-up posts first, until one reached all {live.get('subscribers_live', 'n/a')} subscribers.",
        "",
        f"CPU per delivered event: API processes {_fmt(live.get('server_cpu_ms_per_event', float('nan')), 3)} ms, "
        f"load generator (receiving the websocket frames) {_fmt(live.get('client_cpu_ms_per_event', float('nan')), 3)} "
        "ms: one post to N subscribers costs N times that on 2 shared cores, which bounds the p99 from below.",
        "",
        "| path | p50 ms | p99 ms | samples |",
        "|---|---|---|---|",
        f"| post → subscriber event | {_fmt(live['post_to_subscriber']['p50_ms'])} | "
        f"{_fmt(live['post_to_subscriber']['p99_ms'])} | {live['post_to_subscriber']['count']} |",
        f"| post → visible in homeTimeline | {_fmt(live['post_to_timeline']['p50_ms'])} | "
        f"{_fmt(live['post_to_timeline']['p99_ms'])} | {live['post_to_timeline']['count']} |",
        "",
    ]


def _goals(results: dict[str, Any]) -> list[str]:
    """Where this run stands against the goals of the issue (n/a when the scenario did not run)."""
    nan = float("nan")
    home = results.get("home_timeline", {})
    p99_64 = max((r["p99_ms"] for r in home.get("saturation", []) if r["concurrency"] == 64), default=nan)
    vp = home.get("vs_pull", {})
    rd = results.get("reads", {})
    at_400 = next((r for r in rd.get("rows", []) if r["follows"] == 400), None)
    ceiling = results.get("zadd_ceiling", {}).get("zadd_per_s") or nan
    fan = results.get("fanout", {}).get("rows", [])
    per_size = ", ".join(f"{r['followers']:,}: {_fmt(r['inserts_per_s'] / ceiling)}" for r in fan)
    live = results.get("live", {})
    rebuild = rd.get("rebuild", {})
    floor = results.get("home_floor", {})
    rows = [
        (
            "homeTimeline server CPU per request ≤ 1.5x the bare handler's (warm)",
            f"{_fmt(floor.get('cpu_ratio', nan), 1)}x" if floor else "n/a",
        ),
        ("homeTimeline p99 at 64 concurrent clients ≤ 20 ms (closed loop, HTTP)", f"{_fmt(p99_64)} ms"),
        (
            f"homeTimeline ≥ 20x faster than pure pull at 400 follows (HTTP vs in-process pull_home, "
            f"{vp.get('follows', 'n/a')} follows, p50)",
            f"{_fmt(vp.get('speedup_p50', nan), 1)}x",
        ),
        (
            "same, in-process read_home vs pull_home at 400 follows (p50)",
            f"{_fmt(at_400['speedup_p50'], 1)}x" if at_400 else "n/a",
        ),
        (
            "fan-out ≥ 50% of the same-run ZADD ceiling (real worker; fraction per follower count)",
            per_size or "n/a",
        ),
        ("≤ 16 B Redis per timeline entry", f"{_fmt(rd.get('memory', {}).get('bytes_per_entry', nan), 1)} B"),
        (
            f"post to {live.get('subscribers_connected', 'n/a')} subscribers p99 ≤ 100 ms",
            f"{_fmt(live.get('post_to_subscriber', {}).get('p99_ms', nan))} ms",
        ),
        (
            f"rebuild ({rebuild.get('follows', 'n/a')} follows) ≤ 50 ms (first read after eviction, p50)",
            f"{_fmt(rebuild.get('p50_ms', nan))} ms",
        ),
    ]
    cells = [(g, "n/a" if v.startswith("n/a") else v) for g, v in rows]
    return ["## Goals", "", "| goal | this run |", "|---|---|", *(f"| {g} | {v} |" for g, v in cells), ""]


def write(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    plots = [
        p for p in (plot_fanout(results, out), plot_reads(results, out), plot_saturation(results, out)) if p
    ]
    results["plots"] = plots
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    (out / "REPORT.md").write_text(render_markdown(results, plots), encoding="utf-8")
    return [out / "REPORT.md", out / "results.json", *(out / p for p in plots)]
