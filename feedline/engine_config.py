"""Settings -> EngineConfig: the one place the engine's plain configuration is derived from Settings."""

from __future__ import annotations

from fanout.config import EngineConfig
from feedline.settings import Settings


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        key_prefix=settings.key_prefix,
        celebrity_threshold=settings.celebrity_threshold,
        timeline_cap=settings.timeline_cap,
        author_list_cap=settings.author_list_cap,
        timeline_ttl_seconds=settings.timeline_ttl_seconds,
        worker_id=settings.worker_id,
        suggest_below_follows=settings.suggest_below_follows,
        suggest_below_entries=settings.suggest_below_entries,
        suggestions=settings.suggestions,
    )
