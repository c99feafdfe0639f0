"""The single-server vs cluster summary (bench/cluster_api.py): medians over rounds and the ratio's direction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.cluster_api import _summary, write_report


def _home(p50: float, p99: float, cpu: float, rps: float) -> dict[str, Any]:
    return {
        "fixed_rate": {"rate_per_s": 50.0, "p50_ms": p50, "p99_ms": p99},
        "saturation": {"requests_per_s": rps, "server_cpu_ms_per_request": cpu},
    }


def _live(p50: float, p99: float, cpu: float) -> dict[str, Any]:
    return {
        "post_to_subscriber": {"p50_ms": p50, "p99_ms": p99},
        "server_cpu_ms_per_event": cpu,
        "subscribers_live": 3,
        "subscribers_connected": 3,
        "missing_deliveries": 0,
    }


RESULTS: dict[str, Any] = {
    "single": {
        "home": [_home(2, 9, 4, 300), _home(3, 10, 5, 250), _home(100, 200, 50, 10)],
        "live": _live(10, 20, 0.4),
    },
    "cluster": {
        "home": [_home(4, 12, 5, 200), _home(4, 18, 5, 220), _home(5, 20, 6, 150)],
        "live": _live(20, 40, 0.8),
    },
    "redis_only": {
        "fan_out_page_1000_ms": {"single": 10.0, "cluster": 20.0, "ratio": 0.5},
        "read_20_of_800_ms": {"single": 0.2, "cluster": 0.25, "ratio": 0.8},
    },
}


def test_the_summary_takes_medians_and_orients_each_ratio() -> None:
    rows = _summary(RESULTS)
    p50 = rows["homeTimeline p50 ms at a fixed rate"]
    assert (p50["single"], p50["cluster"], p50["ratio"]) == (3.0, 4.0, 0.75)  # an outlier round ignored
    rps = rows["homeTimeline requests/s at saturation"]
    assert (rps["single"], rps["cluster"], rps["ratio"]) == (250.0, 200.0, 0.8)  # cluster ÷ single
    assert rows["live post → subscriber p99 ms"]["ratio"] == 0.5
    assert rows["Redis only: fan-out page of 1,000 ms"]["ratio"] == 0.5


def test_the_report_lists_every_figure(tmp_path: Path) -> None:
    results = {
        **RESULTS,
        "summary": _summary(RESULTS),
        "sizes": {"rounds": 3, "duration_s": 5, "clients": 16, "subscribers": 3, "posts": 2,
                  "celebrities": 5},
    }  # fmt: skip
    text = write_report(results, tmp_path).read_text()
    for label in results["summary"]:
        assert f"| {label} |" in text
    assert (tmp_path / "cluster.json").is_file()
