"""Writes bench/results.json, the PNG plots (matplotlib, Agg) and bench/REPORT.md that embeds them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter

from bench import goals
from bench.goals import GOAL_RATE, PULL_GOAL_FOLLOWS, PULL_GOAL_SPEEDUP

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
    "| fanout/functions.py `fl_fan_in` | one key per follower (its timeline; Lua derives the live log, `mu:` "
    "and `fw:` from its hash tag) instead of four; the live log's and generation's TTLs refreshed once they ran "
    "down by an hour, not by two EXPIREs per insert | 10K warm timelines with live payload: 24-30 → 18 µs per "
    "insert; Lua inserts alone at 10K followers 0.27-0.30 → 0.46-0.55 of the ZADD ceiling |",
    "| fanout/functions.py `publish_logged` | a follower's insert is logged and published only while their live "
    "log generation exists (a subscription started within a day), not for every follower | Redis time per "
    "insert in a 50K fan-out 21.2 → 11.2 µs (9 → 4 commands); fan-out 0.09 / 0.13 / 0.13 → 0.11 / 0.21 / 0.31 "
    "of the ZADD ceiling at 1K / 10K / 50K followers |",
    "| fanout/client.py `HiredisPackedConnection` | Redis commands packed by hiredis's C `pack_command` (as redis-py's "
    "synchronous client packs them) instead of the asyncio connection's Python loop, the same bytes | a 1,000-key "
    "fan-out page packed in 1.95 → 0.14 ms; 10,000 offline followers through `fan_in` in 10 pages 116 → 91 ms "
    "(median of 8 interleaved runs on one Redis) |",
    "| fanout/batch.py `TickBatcher` | the mute check of every subscriber that got an event, and the 5-second "
    "live-state checks (now on a shared grid), in one pipeline per loop turn instead of a round trip each | "
    "`live_state_lost` 11.8% → 3.4% of an API process's samples during live delivery |",
    "| fanout/worker.py `fan_post` | a post's first steps at once (the bookmark wait, the author's own lists, "
    "the mode, the checkpoint); the follower-count safety net beside the walk and at most once a minute per "
    "author (every post drops the author's cached hash: it was a Neo4j read per message); a page's checkpoint "
    "written beside the next page's inserts; the bookmark wait one auto-commit round trip | 1,000 followers: "
    "29.2 → 27.0 ms median per post (in-process drain, interleaved on one warm Neo4j) |",
    "| pyproject.toml `neo4j-rust-ext` | the driver's own Rust packstream codec instead of its Python one | "
    "1,000 followers: 32.7 → 29.6 ms median per post (interleaved); no difference measurable at 10,000 |",
    "| fanout/derived.py `ordinary_ids` | a timeline rebuild merges the followees' author lists in Redis in two "
    "rounds (the newest few ids of each list in one `fl_heads` call, then only what may still be among the "
    "newest 800) instead of Neo4j's query over every tweet of every followee, which stays the fallback when "
    "Redis lost most lists | 400 followees x 200 tweets on a fresh bench Neo4j: the ids 111-146 ms (its query) → 15 ms; the rebuild "
    "alone → 26 ms |",
    "| resolvers/errors.py, resolvers/ratelimits.py | no `isinstance` against runtime-checkable protocols on "
    "the hot paths (typing walks the protocol's attributes on every call) | 2.3% of an API process's samples "
    "during live delivery → 0 |",
    "| resolvers/loaders.py `prefetch`, resolvers/types.py | homeTimeline loads its page's authors and the "
    "viewer's like and repost flags ahead (what the operation selects), and those fields answer from the "
    "loaders at once instead of as async resolvers: graphql-core completes a page with no coroutine, task and "
    "gather per field | homeTimeline server CPU 11.1-11.3 → 8.9 ms per request (the floor scenario, 64 clients) |",
    "| fanout/functions.py `fl_hashes` | a page's tweet and user hashes read in one function call on a single "
    "server (an HMGET per hash in a pipeline on a cluster): 25 HMGETs of 13 arguments were the client's "
    "largest packing cost | homeTimeline server CPU 8.9 → 7.7 ms per request |",
    "| fanout/batch.py, fanout/cache.py, fanout/viewer_flags.py, resolvers/services.py `events` | the engine's "
    "batchers take what arrives while a batch is in flight into the next one; the like and repost flag reads "
    "and the Redis reads of the tweet and user caches go through them (a live event's subscribers, concurrent "
    "pages, a page's likes and reposts share pipelines); a live event loads what its subscription selects of the "
    "tweet ahead | live, with the web client's TimelineEvents selection: API CPU per delivered event 1.66 → "
    "1.36 ms (1,000 subscribers). Batching the caches' Neo4j misses too serialized every cache read behind a "
    "cold miss and stalled delivery on a fresh Neo4j: only their Redis reads are batched |",
    "| fanout/batch.py `SharedReads`, fanout/cache.py, fanout/derived.py | reads in flight shared by key: a "
    "cache miss's Neo4j read by every get of that id meanwhile (each of a live event's subscribers read the "
    "post's author from Neo4j, whose cached hash every post drops), the trending rebuild by every newcomer's "
    "first read | live: Neo4j user reads 21% of an API process's samples → 0; a thousand subscriptions "
    "starting at once ran a thousand trending queries → one |",
    "| resolvers/shared_tweets.py, resolvers/execution.py | a live event's tweet completed once per distinct "
    "selection and values (the tweet's and author's records, the celebrity flag, the viewer's like and repost "
    "flags) for every subscriber of the process; selections with other viewer-dependent fields, arguments or "
    "directives completed per subscriber | live, web client's document, 1,000 subscribers: API CPU per "
    "delivered event 1.12-1.17 → 0.84-0.85 ms, p50 494 → 346 ms |",
    "| resolvers/execution.py `plain_field` | fields without a resolver whose type is a scalar or an enum read "
    "and serialized at once instead of through graphql-core's field execution and strawberry's wrapper (the "
    "ordinary way for any unusual value) | homeTimeline server CPU 4.39 → 4.09 ms per request (the floor "
    "scenario) |",
    "| fanout/functions.py `fl_fan_in` | a follower's live log generation read before the other key names of a "
    "live insert are built, and the screened flag's EXISTS only for followers with a live log | 10,000 warm "
    "timelines with a live payload: 10.3-11.9 → 8.2-10.5 µs per insert (alternated on one Redis) |",
    "| fanout/functions.py `fl_fan_in`, resolvers/live.py | a published insert says when the follower's built "
    "hidden set screened its author, and the subscriber skips its own mute check; the 5-second liveness check "
    "is an alarm that nudges the subscription instead of an asyncio timeout around every wait for a message | "
    "live: API CPU per delivered event 0.55-0.59 → 0.40-0.46 ms (1,000 subscribers selecting only kind and "
    "tweetId, the bench's subscription until then) |",
    "",
    "What remains is mostly per-request Python work: GraphQL execution (a third of a homeTimeline request: "
    "graphql-core and strawberry per field), the redis-py client (about a fifth: nine round trips per request, "
    "connection pool bookkeeping, socket writes) and, for "
    "live events, a GraphQL execution, a websocket send and a pub/sub read per subscriber. A page holding a "
    "repost whose original does not show by itself asks Neo4j for the original's other reposts on every read "
    "(8% of an API process's samples on the demo's data; the bench's worlds have no reposts). In a fan-out to "
    "followers without a live subscription, Redis spends about 11 µs per insert in the page function, of which "
    "its four commands are about 4 (the table above); the worker's Python work per follower (the page's keys, "
    "the call's encoding, the Neo4j records) is now as large as Redis's.",
    "",
]


def _fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def _save(fig: Any, ax: Any, out: Path, name: str, *, title: str, xlabel: str, ylabel: str) -> str:
    """Label, grid and legend every plot alike, write it as ``out/name`` and free the figure."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


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
    return _save(
        fig,
        ax,
        out,
        "fanout_vs_followers.png",
        title="Fan-out time vs followers",
        xlabel="followers",
        ylabel="fan-out time (ms)",
    )


def _p50_vs_follows(
    rows: list[dict[str, Any]],
    series: dict[str, str],
    out: Path,
    name: str,
    *,
    title: str,
    ylabel: str,
    xlabel: str = "accounts followed",
) -> str | None:
    """One log-log line of p50s per ``series`` (the rows' key -> its label) against the rows' follow counts."""
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    follows = [r["follows"] for r in rows]
    for (key, label), marker in zip(series.items(), ("o-", "s-", "^-"), strict=False):
        ax.loglog(follows, [r[key]["p50_ms"] for r in rows], marker, label=label)
    # The measured follow counts as plain numbers: log-scale minor labels (3x10^1...) overlap.
    ax.set_xticks(follows, labels=[str(f) for f in follows])
    ax.xaxis.set_minor_formatter(NullFormatter())
    return _save(fig, ax, out, name, title=title, xlabel=xlabel, ylabel=ylabel)


def plot_reads(results: dict[str, Any], out: Path) -> str | None:
    series = {
        "pull": "pure pull (pull_home, Neo4j)",
        "engine": "hybrid read (FeedService.read_home)",
        "redis": "raw ZRANGE (Redis floor)",
    }
    rows = results.get("reads", {}).get("rows") or []
    return _p50_vs_follows(
        rows, series, out, "read_vs_follows.png", title="Read time vs follows", ylabel="read p50 (ms)"
    )


def plot_pull_vs_hybrid(results: dict[str, Any], out: Path) -> str | None:
    series = {"pull": "pull mode (Neo4j on every request)", "hybrid": "hybrid (precomputed timeline)"}
    rows = results.get("pull_vs_hybrid", {}).get("rows") or []
    return _p50_vs_follows(
        rows, series, out, "pull_vs_hybrid.png", title="homeTimeline: pull vs hybrid, same GraphQL path",
        ylabel="homeTimeline p50 over HTTP (ms)", xlabel="accounts followed (200 tweets each)",
    )  # fmt: skip


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
    return _save(
        fig,
        ax,
        out,
        "saturation.png",
        title="Throughput at saturation",
        xlabel="concurrent clients",
        ylabel="requests/s",
    )


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
    lines += _fanout_section(results) + _reads_section(results) + _home_section(results)
    lines += _pull_section(results) + _floor_section(results)
    lines += _live_section(results) + _import_section(results) + NOTES
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


def _import_section(results: dict[str, Any]) -> list[str]:
    bulk = results.get("import")
    if not bulk:
        return []
    return [
        "### Bulk load: a seed world into an empty Neo4j",
        "",
        f"`feedline seed`'s path for large worlds (bench/import_scenario.py): {bulk['users']:,} users, "
        f"{bulk['follows']:,} follows, {bulk['tweets']:,} tweets and {bulk['likes']:,} likes generated, written as "
        "CSV and loaded with `neo4j-admin database import full` into a Neo4j of the bench's own, stopped for it; "
        "the counts read back equal the generated ones.",
        "",
        "| step | seconds |",
        "|---|---|",
        f"| generate the world (numpy) | {bulk['generate_s']:.1f} |",
        f"| write the CSV files | {bulk['csv_s']:.1f} |",
        f"| neo4j-admin import | {bulk['import_s']:.1f} |",
        *(
            f"| · {phase} (the import's own report) | {t:.1f} |"
            for phase, t in bulk.get("phases", {}).items()
        ),
        f"| **follows imported (CSV + import)** | **{bulk['follows_s']:.1f}** |",
        f"| start the database again | {bulk['restart_s']:.1f} |",
        "",
    ]


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
        f"follower ids paged from Neo4j ({fan.get('page_size')} per page), one Lua call per page (ZADD + trim per "
        "follower; the live log and PUBLISH for those with a live subscription), checkpoint, XACK. The two halves "
        "are also timed apart.",
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
        f'(`{zc.get("command", zc.get("reason", ""))}`). The "Lua inserts alone" column writes the same '
        "pages with no live payload. None of these followers has a live subscription (as most followers of a "
        "post), so the fan-out neither logs nor publishes their inserts either: what it adds to the Lua inserts is "
        "the worker's own (Neo4j paging overlapped with the writes, building each page's call, per-message work).",
        "",
    ]
    return lines + _redis_profile(fan["rows"]) + _rules_section(results)


def _redis_profile(rows: list[dict[str, Any]]) -> list[str]:
    """Where Redis spends a fan-out, per follower insert (INFO commandstats over the timed posts)."""
    biggest = max(rows, key=lambda r: r["followers"])
    profile = biggest.get("redis_commands_per_insert") or []
    if not profile:
        return []
    fcall = next((r["us"] for r in profile if r["command"] == "fcall"), float("nan"))
    lines = [
        f"Where Redis spends it ({biggest['followers']:,} followers; INFO commandstats over the timed posts, per "
        f"follower insert; the FCALL line holds the commands the function runs, {_fmt(fcall)} µs in all):",
        "",
        "| command | calls per insert | µs per insert |",
        "|---|---|---|",
    ]
    for r in profile[:12]:
        lines.append(f"| {r['command']} | {_fmt(r['calls'])} | {_fmt(r['us'])} |")
    return [*lines, ""]


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
            f"**Rebuild** of an evicted user following {rb['follows']} accounts "
            f"({rb.get('tweets_per_author', 20)} tweets each; its `tl:`, `celebs:` and `fw:` "
            f"keys deleted as TTL expiry does; {rb['entries']} entries rebuilt): first `read_home` p50 "
            f"{_fmt(rb['p50_ms'])} ms, p99 {_fmt(rb['p99_ms'])} ms (n={rb['count']}); the timeline rebuild alone "
            f"(`Derived.ensure_timeline`) p50 {_fmt(only.get('p50_ms', float('nan')))} ms, p99 "
            f"{_fmt(only.get('p99_ms', float('nan')))} ms, merging the followees' author lists (`ut:`, built "
            f"first as their posts build them). Baselines in the same run: the Neo4j query the rebuild used "
            f"before (and still uses when Redis lost most of the lists), `pull_ordinary_ids`, p50 "
            f"{_fmt(rb.get('neo4j_query', {}).get('p50_ms', float('nan')))} ms; one pull_home of 20 entries at "
            f"that size, p50 {_fmt(rd['rows'][-1]['pull']['p50_ms'])} ms.",
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
        "",
    ]
    return lines + _wrk_lines(home)


def _wrk_lines(home: dict[str, Any]) -> list[str]:
    rows = home.get("wrk") or []
    if not rows:
        why = home.get("wrk_error")
        return [f"Saturation with wrk: not measured ({why}).", ""] if why else []
    lines = [
        f"Saturation measured with wrk (a compiled load generator; {rows[0]['connections_per_process']} "
        f"connections to each of the {rows[0]['processes']} API processes; a non-200 or an answer with "
        f'"errors" is not counted as served), and the open loop at {GOAL_RATE:.0f} requests/s offered when wrk '
        "showed the processes sustain that rate:",
        "",
        f"| celebrities | served/s | p50 ms | p99 ms | bad answers | server CPU ms/request | p99 at "
        f"{GOAL_RATE:.0f}/s offered |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        goal = r.get("goal_rate")
        at_goal = (
            f"{_fmt(goal['p99_ms'])} ms" if goal else f"not run: saturates at {_fmt(r['served_per_s'], 0)}/s"
        )
        lines.append(
            f"| {r['celebrities']} | {_fmt(r['served_per_s'], 0)} | {_fmt(r['p50_ms'])} | {_fmt(r['p99_ms'])} | "
            f"{r['bad_answers'] + r['socket_errors']} | {_fmt(r['server_cpu_ms_per_request'])} | {at_goal} |"
        )
    return [*lines, ""]


def _pull_section(results: dict[str, Any]) -> list[str]:
    pvh = results.get("pull_vs_hybrid")
    if not pvh or not pvh.get("rows"):
        return []
    lines = [
        "### homeTimeline: hybrid against pull through the same GraphQL path",
        "",
        f"A viewer following K authors with {pvh['tweets_per_author']} tweets each; the same homeTimeline "
        f"request (first: {pvh['page']}, author handles, viewerHasLiked) sent sequentially over HTTP, one hybrid and one pull request in turn, to one of "
        "the `feedline serve` processes above (hybrid) and to one started with `FEEDLINE_FEED_MODE=pull` (every "
        "page read from Neo4j by graph/pull.py's query, then the same GraphQL path): only the feed strategy "
        "differs. Both answered the same page, edge for edge, before they were timed.",
        "",
        "| follows | tweets followed | hybrid p50 / p99 ms | pull p50 / p99 ms | hybrid speedup p50 (p99) |",
        "|---|---|---|---|---|",
    ]
    for r in pvh["rows"]:
        lines.append(
            f"| {r['follows']} | {r['followed_tweets']:,} | {_fmt(r['hybrid']['p50_ms'])} / "
            f"{_fmt(r['hybrid']['p99_ms'])} | {_fmt(r['pull']['p50_ms'])} / {_fmt(r['pull']['p99_ms'])} | "
            f"**{_fmt(r['speedup_p50'], 1)}x** ({_fmt(r['speedup_p99'], 1)}x) |"
        )
    return [*lines, ""]


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
    ]
    cold = f.get("api_cold")
    if cold:
        lines += [
            f"| GraphQL homeTimeline, cold cache: every tweet and user hash dropped before each of {cold['requests']} "
            f"sequential requests (p50 {_fmt(cold['latency']['p50_ms'])} ms) | | "
            f"{_fmt(cold['server_cpu_ms_per_request'], 3)} | **{_fmt(f['cold_cpu_ratio'], 1)}x** |",
        ]
    lines += [""]
    return lines + _profile_lines(api.get("profile"), "one API process under that load")


def _live_section(results: dict[str, Any]) -> list[str]:
    live = results.get("live")
    if not live:
        return []
    return [
        "### Live: post to subscribers and to timeline",
        "",
        f"{live['subscribers_connected']} websocket subscribers (graphql-transport-ws on /graphql, each a distinct "
        f"follower of one ordinary author, subscribed with the web client's TimelineEvents document: each event "
        f"carries the tweet with its author and the viewer's flags), {live['posts']} posts through the `postTweet` "
        f"mutation, fanned out by "
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
        *_live_floor_lines(live, results.get("live_floor")),
        *_profile_lines(live.get("profile"), "one API process during the timed posts"),
    ]


def _live_floor_lines(live: dict[str, Any], floor: dict[str, Any] | None) -> list[str]:
    if not floor:
        return []
    ratio = live.get("server_cpu_ms_per_event", float("nan")) / max(1e-9, floor["server_cpu_ms_per_event"])
    b = floor["broadcast_to_subscriber"]
    return [
        f"**Against its floor** (`bench/live_floor.py`: one pre-serialized graphql-transport-ws `next` frame sent "
        f"to {floor['subscribers']} websockets on the same uvicorn stack, the same subscriber client, "
        f"{floor['events']} events paced like the posts; {floor['missing']} missing): server CPU per delivered "
        f"event {_fmt(floor['server_cpu_ms_per_event'], 3)} ms, so the API's is **{_fmt(ratio, 1)}x** the floor. "
        f"Broadcast to subscriber on the floor: p50 {_fmt(b['p50_ms'])} ms, p99 {_fmt(b['p99_ms'])} ms: the "
        "load generator receiving the frames bounds the latency even with no server work.",
        "",
    ]


def _profile_lines(prof: dict[str, Any] | None, what: str) -> list[str]:
    """A py-spy summary (bench/floors.py Profile) as a table: inclusive shares of Feedline's functions beside
    the functions the samples were in."""
    if not prof or not prof.get("samples"):
        return []
    lines = [
        f"Where the time goes (py-spy, {what}, {prof['samples']} samples; share of the samples in the function "
        "and what it calls / in the function itself):",
        "",
        "| inclusive | function | | own | function |",
        "|---|---|---|---|---|",
    ]
    for (fi, si), (fo, so) in zip(prof["inclusive"], prof["own"], strict=False):
        lines.append(f"| {si:.1%} | `{fi}` | | {so:.1%} | `{fo}` |")
    return [*lines, ""]


def _verdict(value: float, target: float, *, at_most: bool) -> str:
    if math.isnan(value):
        return "n/a"
    return "met" if (value <= target if at_most else value >= target) else "not met"


def _goals(results: dict[str, Any]) -> list[str]:
    """Issue 13's goals: each target, this run's figure, and met or not (n/a when the scenario did not run)."""
    nan = float("nan")
    home = results.get("home_timeline", {})
    wrk = {r["celebrities"]: r for r in home.get("wrk") or []}
    rd = results.get("reads", {})
    pull_400 = next(
        (r for r in results.get("pull_vs_hybrid", {}).get("rows", []) if r["follows"] == PULL_GOAL_FOLLOWS),
        None,
    )
    ceiling = results.get("zadd_ceiling", {}).get("zadd_per_s") or nan
    fan = {r["followers"]: r["inserts_per_s"] / ceiling for r in results.get("fanout", {}).get("rows", [])}
    live, live_floor = results.get("live", {}), results.get("live_floor")
    floor = results.get("home_floor", {})
    rebuild = rd.get("rebuild", {})
    rows: list[tuple[str, str, str, str]] = []  # goal, target, this run, verdict

    def add(goal: str, target: str, value: float, shown: str, limit: float, at_most: bool) -> None:
        rows.append(
            (goal, target, shown if not math.isnan(value) else "n/a", _verdict(value, limit, at_most=at_most))
        )

    rows.append(
        (
            "1. floors in the report",
            "(a) bare homeTimeline handler, (b) bare websocket broadcast",
            f"(a) {'reported' if floor else 'missing'}, (b) {'reported' if live_floor else 'missing'}",
            "met" if floor and live_floor else "not met",
        )
    )
    ratio = floor.get("cpu_ratio", nan) if floor else nan
    add(
        "2. homeTimeline server CPU per request, warm cache",
        f"≤ {goals.HOME_CPU_RATIO}x floor (a)",
        ratio,
        f"{_fmt(ratio, 1)}x",
        goals.HOME_CPU_RATIO,
        True,
    )
    cold_ratio = floor.get("cold_cpu_ratio", nan) if floor else nan
    add(
        "2. homeTimeline server CPU per request, cold cache (the page's records read from Neo4j)",
        f"≤ {goals.HOME_CPU_RATIO}x floor (a)",
        cold_ratio,
        f"{_fmt(cold_ratio, 1)}x",
        goals.HOME_CPU_RATIO,
        True,
    )
    for celebs in (0, 5):
        w = wrk.get(celebs, {})
        served = w.get("served_per_s", nan)
        add(
            f"2. homeTimeline at saturation, {w.get('processes', 'n/a')} API process(es), wrk ({celebs} celebrities)",
            f"≥ {goals.HOME_REQUESTS_PER_S:,.0f} req/s",
            served,
            f"{_fmt(served, 0)} req/s",
            goals.HOME_REQUESTS_PER_S,
            False,
        )
        at_rate = (w.get("goal_rate") or {}).get("p99_ms", nan)
        if w and math.isnan(at_rate):
            rows.append(
                (
                    f"2. homeTimeline p99 at {GOAL_RATE:.0f} req/s offered, open loop ({celebs} celebrities)",
                    f"≤ {goals.HOME_P99_MS:.0f} ms",
                    f"not run: saturates at {_fmt(served, 0)} req/s",
                    "not met",
                )
            )
        else:
            add(
                f"2. homeTimeline p99 at {GOAL_RATE:.0f} req/s offered, open loop ({celebs} celebrities)",
                f"≤ {goals.HOME_P99_MS:.0f} ms",
                at_rate,
                f"{_fmt(at_rate)} ms",
                goals.HOME_P99_MS,
                True,
            )
    live_ratio = (
        live.get("server_cpu_ms_per_event", nan) / max(1e-9, live_floor["server_cpu_ms_per_event"])
        if live and live_floor
        else nan
    )
    add(
        "3. live: API CPU per delivered event",
        f"≤ {goals.LIVE_CPU_RATIO}x floor (b)",
        live_ratio,
        f"{_fmt(live_ratio, 1)}x",
        goals.LIVE_CPU_RATIO,
        True,
    )
    p99 = live.get("post_to_subscriber", {}).get("p99_ms", nan)
    lost = live.get("missing_deliveries", "n/a")
    add(
        f"3. post → {live.get('subscribers_connected', 'n/a')} subscribers p99, 0 lost",
        f"≤ {goals.LIVE_P99_MS:.0f} ms",
        p99,
        f"{_fmt(p99)} ms, {lost} missing",
        goals.LIVE_P99_MS,
        True,
    )
    for followers, target in goals.FANOUT_FRACTION.items():
        frac = fan.get(followers, nan)
        add(
            f"4. fan-out to {followers:,} followers (real worker)",
            f"≥ {target} of the ZADD ceiling",
            frac,
            _fmt(frac),
            target,
            False,
        )
    speedup = pull_400["speedup_p50"] if pull_400 else nan
    add(
        f"5. hybrid vs pull through the same GraphQL path, {PULL_GOAL_FOLLOWS} follows x 200 tweets, p50",
        f"≥ {PULL_GOAL_SPEEDUP:.0f}x",
        speedup,
        _pull_goal(pull_400),
        PULL_GOAL_SPEEDUP,
        False,
    )
    per_entry = rd.get("memory", {}).get("bytes_per_entry", nan)
    add(
        "6. Redis memory per timeline entry",
        f"≤ {goals.BYTES_PER_ENTRY:.0f} B",
        per_entry,
        f"{_fmt(per_entry, 1)} B",
        goals.BYTES_PER_ENTRY,
        True,
    )
    first_read = rebuild.get("p50_ms", nan)
    add(
        f"6. rebuild of an evicted user following {rebuild.get('follows', 'n/a')} (first read, p50)",
        f"≤ {goals.REBUILD_P50_MS:.0f} ms",
        first_read,
        f"{_fmt(first_read)} ms (the rebuild alone {_fmt(rebuild.get('timeline_only', {}).get('p50_ms', nan))} ms)",
        goals.REBUILD_P50_MS,
        True,
    )
    bulk = results.get("import")
    if bulk is None:
        rows.append(("6. 10M follows imported", f"≤ {goals.IMPORT_S:.0f} s", "not run", "n/a"))
    else:
        # A quick run imports a small world: its time says nothing about ten million follows.
        seconds = bulk["follows_s"] if bulk["follows"] >= goals.IMPORT_FOLLOWS else nan
        add(
            f"6. {bulk['follows']:,} follows imported (CSV + neo4j-admin import)",
            f"≤ {goals.IMPORT_S:.0f} s for {goals.IMPORT_FOLLOWS / 1e6:.0f}M",
            seconds,
            f"{_fmt(seconds, 1)} s",
            goals.IMPORT_S,
            True,
        )
    return [
        "## Goals",
        "",
        "| goal | target | this run | |",
        "|---|---|---|---|",
        *(f"| {g} | {t} | {v} | {m} |" for g, t, v, m in rows),
        "",
    ]


def _pull_goal(row: dict[str, Any] | None) -> str:
    """The measured speedup and whether it meets the goal; n/a when the run had no such viewer (--quick)."""
    if row is None:
        return "n/a"
    speedup = row["speedup_p50"]
    verdict = "met" if speedup >= PULL_GOAL_SPEEDUP else "not met"
    times = f"hybrid {_fmt(row['hybrid']['p50_ms'])} ms, pull {_fmt(row['pull']['p50_ms'])} ms"
    return f"{_fmt(speedup, 1)}x ({verdict}; {times})"


def write(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = (
        plot_fanout(results, out),
        plot_reads(results, out),
        plot_saturation(results, out),
        plot_pull_vs_hybrid(results, out),
    )
    plots = [p for p in made if p]
    results["plots"] = plots
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    (out / "REPORT.md").write_text(render_markdown(results, plots), encoding="utf-8")
    return [out / "REPORT.md", out / "results.json", *(out / p for p in plots)]
