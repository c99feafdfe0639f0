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
from feedline.settings import Settings
from graph.driver import DATABASE


async def test_quick_bench_writes_report_with_sane_numbers(
    tmp_path: Path, settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    results = await run_bench(settings, True, tmp_path, driver=neo4j, redis=redis)
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
    assert len(saved["plots"]) == 3
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
    assert floor["api"]["profile"]["samples"] > 0, floor["api"]["profile"]
    rebuild = saved["reads"]["rebuild"]
    assert rebuild["p50_ms"] > 0 and rebuild["first_page"] == 20 and rebuild["entries"] == 800
    assert 1 < saved["reads"]["memory"]["bytes_per_entry"] < 200

    home = saved["home_timeline"]
    assert all(r["requests_per_s"] > 0 for r in home["saturation"])
    assert "CELEBRITY" in next(r for r in home["fixed_rate"] if r["celebrities"] > 0)["sources"]
    assert home["vs_pull"]["speedup_p50"] > 0
    live = saved["live"]
    assert live["subscribers_connected"] == saved["sizes"]["subscribers"]
    assert live["post_to_subscriber"]["count"] > 0 and live["post_to_timeline"]["count"] == live["posts"]

    # The bench cleans up after itself: no keys under its prefix, none of its nodes left.
    assert [k async for k in redis.scan_iter(match=f"{settings.key_prefix}bench:*")] == []
    records, _, _ = await neo4j.execute_query("MATCH (n:BenchData) RETURN count(n) AS n", database_=DATABASE)
    assert records[0]["n"] == 0
