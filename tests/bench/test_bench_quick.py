"""`feedline bench --quick` runs end to end on the test services and writes a sane report (so it cannot rot).

It exercises the real engine (FeedService, FanoutWorker) and real `feedline serve` / `feedline worker`
processes, at seconds-long sizes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import redis.asyncio as aioredis
from neo4j import AsyncDriver

from bench import run_bench
from bench.import_scenario import import_plan
from feedline.settings import Settings
from graph.driver import DATABASE
from ops.services import ServicePlan


async def test_quick_bench_writes_report_with_sane_numbers(
    tmp_path: Path,
    settings: Settings,
    neo4j: AsyncDriver,
    redis: aioredis.Redis,
    service_plan: ServicePlan,
) -> None:
    results = await run_bench(settings, True, tmp_path, driver=neo4j, redis=redis, import_beside=service_plan)
    # How long it took is a figure of the report, not a test verdict (the machine is shared and noisy).
    assert results["elapsed_s"] > 0

    report = (tmp_path / "REPORT.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert f"in {results['elapsed_s']:.1f} s." in report
    # The machine section describes the machine it ran on, not a constant.
    server = await redis.info("server")
    assert saved["machine"]["cores"] == os.cpu_count()
    assert saved["machine"]["redis"] == server["redis_version"]
    assert f", {os.cpu_count()} cores;" in report and f"Redis {server['redis_version']};" in report
    for plot in saved["plots"]:
        assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({plot})" in report
    assert len(saved["plots"]) == 4 and "pull_vs_hybrid.png" in saved["plots"]
    assert saved["skipped"] == {}

    ceiling = saved["zadd_ceiling"]["zadd_per_s"]
    assert 1_000 < ceiling < 50_000_000
    for row in saved["fanout"]["rows"]:
        assert row["inserted_last"] == row["followers"]  # every warm follower timeline got the tweet
        assert 0 < row["inserts_per_s"] < 2 * ceiling
    for row in saved["reads"]["rows"]:
        assert row["pull"]["count"] > 0 and row["engine"]["count"] > 0 and row["speedup_p50"] > 0
    # The floor answered the API's page (checked inside the bench, else it is in skipped), both served load,
    # and py-spy sampled the API process.
    floor = saved["home_floor"]
    for side in ("floor", "api"):
        assert floor[side]["requests_per_s"] > 0 and floor[side]["server_cpu_ms_per_request"] > 0
    assert floor["cpu_ratio"] > 0 and "against its floor" in report
    assert floor["api_cold"]["server_cpu_ms_per_request"] > 0 and floor["cold_cpu_ratio"] > 0
    assert "cold cache: every tweet and user hash dropped" in report
    assert floor["api"]["profile"]["samples"] > 0, floor["api"]["profile"]
    rebuild = saved["reads"]["rebuild"]
    assert rebuild["p50_ms"] > 0 and rebuild["first_page"] == 20 and rebuild["entries"] == 800
    assert 1 < saved["reads"]["memory"]["bytes_per_entry"] < 200

    home = saved["home_timeline"]
    assert all(r["requests_per_s"] > 0 for r in home["saturation"])
    assert "CELEBRITY" in next(r for r in home["fixed_rate"] if r["celebrities"] > 0)["sources"]
    # Hybrid against pull mode through the same GraphQL path: one row per follow count, both sides timed, and
    # (checked inside the bench, else it is in skipped) both answered the same page.
    pull = saved["pull_vs_hybrid"]
    assert [r["follows"] for r in pull["rows"]] == saved["sizes"]["pull_follow_counts"]
    for row in pull["rows"]:
        assert row["hybrid"]["count"] > 0 and row["pull"]["count"] > 0 and row["speedup_p50"] > 0
    assert "hybrid against pull through the same GraphQL path" in report
    # Saturation measured with wrk (the compiled load generator `make test` installs): pages served, each
    # answer checked for errors, server CPU per request.
    assert home["wrk_error"] is None
    assert [r["celebrities"] for r in home["wrk"]] == [0, 5]
    for row in home["wrk"]:
        assert row["served"] > 0 and row["bad_answers"] == 0 and row["server_cpu_ms_per_request"] > 0
    assert "Saturation measured with wrk" in report
    live = saved["live"]
    assert live["subscribers_connected"] == saved["sizes"]["subscribers"]
    assert live["post_to_subscriber"]["count"] > 0 and live["post_to_timeline"]["count"] == live["posts"]
    assert live["profile"]["samples"] > 0, live["profile"]
    # The live floor: every frame of the bare broadcast reached every subscriber, and the API's CPU per event
    # is reported as a multiple of it.
    live_floor = saved["live_floor"]
    assert live_floor["subscribers"] == live["subscribers_connected"] and live_floor["missing"] == 0
    assert live_floor["server_cpu_ms_per_event"] > 0 and "**Against its floor**" in report
    # Where Redis spends a fan-out: the page function's calls per insert, from INFO commandstats.
    profile = max(saved["fanout"]["rows"], key=lambda r: r["followers"])["redis_commands_per_insert"]
    assert {r["command"] for r in profile} >= {"fcall", "zadd", "spublish"}
    # Every goal of issue 13 has a row with its target and a verdict.
    goals = report.split("## Goals", 1)[1].split("\n## ", 1)[0]
    for number in range(1, 7):
        assert f"| {number}. " in goals
    assert all(line.endswith(("| met |", "| not met |", "| n/a |")) for line in goals.splitlines() if "| " in line
               and not line.startswith(("| goal", "|---")))  # fmt: skip

    # The bulk import ran on a Neo4j of its own, which is gone; its counts were checked inside the bench.
    bulk = saved["import"]
    assert bulk["follows"] > 0 and bulk["follows_s"] > 0 and "| neo4j-admin import |" in report
    assert not import_plan(service_plan).state_dir.exists()

    # The bench cleans up after itself: no keys under its prefix, none of its nodes left.
    assert [k async for k in redis.scan_iter(match=f"{settings.key_prefix}bench:*")] == []
    records, _, _ = await neo4j.execute_query("MATCH (n:BenchData) RETURN count(n) AS n", database_=DATABASE)
    assert records[0]["n"] == 0
