"""Engine configuration: plain values the composition root (feedline/app.py) builds from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class EngineConfig:
    key_prefix: str
    celebrity_threshold: int = 50_000
    timeline_cap: int = 800
    author_list_cap: int = 1000
    timeline_ttl_seconds: int = 30 * 24 * 3600
    worker_id: int = 1
    # Newcomers (fewer than suggest_below_follows follows and suggest_below_entries timeline entries) get
    # the top ``suggestions`` of trending merged into their feed, labelled SUGGESTED; 0 turns them off.
    suggest_below_follows: int = 5
    suggest_below_entries: int = 20
    suggestions: int = 50
    # Benchmarks only: "pull" serves LATEST pages straight from Neo4j on every read (FeedService.read_home),
    # the baseline the hybrid feed is measured against through the same API path.
    feed_mode: Literal["hybrid", "pull"] = "hybrid"
