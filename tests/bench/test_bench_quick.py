"""`feedline bench --quick` runs end to end on the test services and writes a sane report (so it cannot rot)."""

from __future__ import annotations

import json
from pathlib import Path

import redis.asyncio as aioredis
from neo4j import AsyncDriver

from feedline.bench import run_bench
from feedline.bench.pull_vs_push import BASE_ID
from feedline.settings import Settings
from graph.driver import DATABASE


async def test_quick_bench_writes_report_with_sane_numbers(
    tmp_path: Path, settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    results = await run_bench(settings, True, tmp_path, driver=neo4j, redis=redis)
    assert results["elapsed_s"] < 60

    report = (tmp_path / "REPORT.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert "2 cores" in report and "Redis 7." in report
    for plot in saved["plots"]:
        assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({plot})" in report
    assert len(saved["plots"]) == 3

    ceiling = saved["zadd_ceiling"]["zadd_per_s"]
    assert 1_000 < ceiling < 50_000_000
    for row in saved["fanout"]["rows"]:
        assert 0 < row["inserts_per_s"] < 2 * ceiling
    for row in saved["zrevrange"]["saturation"]:
        assert row["requests_per_s"] > 100 and 0 < row["p50_ms"] <= row["p99_ms"]
    for row in saved["pull_vs_push"]["rows"]:
        assert row["pull"]["count"] > 0 and row["speedup_p50"] > 1
    assert saved["pull_vs_push"]["rebuild"]["p50_ms"] > 0
    assert 1 < saved["memory"]["bytes_per_entry"] < 200

    # API scenarios either produced figures or say why not (never silently missing).
    if "home_timeline" in saved:
        assert all(r["requests_per_s"] > 0 for r in saved["home_timeline"]["saturation"])
    else:
        assert saved["skipped"]["homeTimeline over HTTP"]
    if "live" in saved:
        assert saved["live"]["subscribers_connected"] > 0 and saved["live"]["post_to_subscriber"]["count"] > 0
    else:
        assert saved["skipped"]["post to timeline / websocket subscribers"]

    # The bench cleans up after itself: no keys under its prefix, none of its reserved-range nodes left.
    assert [k async for k in redis.scan_iter(match=f"{settings.key_prefix}bench:*")] == []
    records, _, _ = await neo4j.execute_query(
        "MATCH (u:User) WHERE u.id >= $lo RETURN count(u) AS n", lo=BASE_ID, database_=DATABASE
    )
    assert records[0]["n"] == 0
    records, _, _ = await neo4j.execute_query(
        "MATCH (t:Tweet {text: 'bench'}) RETURN count(t) AS n", database_=DATABASE
    )
    assert records[0]["n"] == 0
