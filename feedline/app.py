"""Assembly of the API: Settings -> the plain configurations the engine and the ASGI app take.

This is the one place configuration turns into values; ``fanout/`` and ``api/`` never read the environment.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from starlette.applications import Starlette

from api.app import create_app as create_api_app
from api.config import ApiConfig
from api.ratelimit import RateLimits
from api.server import ServerLimits
from fanout.config import EngineConfig
from feedline.settings import Settings


def _values_for(cls: type, settings: Settings, prefix: str = "", **given: Any) -> Any:
    """An instance of the dataclass ``cls`` whose fields are read from the settings of the same name
    (after ``prefix``), except those ``given``: the field names are the contract between the two."""
    values = {f.name: getattr(settings, prefix + f.name) for f in fields(cls) if f.name not in given}
    return cls(**values, **given)


def engine_config(settings: Settings) -> EngineConfig:
    config: EngineConfig = _values_for(EngineConfig, settings)
    return config


def api_config(settings: Settings) -> ApiConfig:
    config: ApiConfig = _values_for(
        ApiConfig,
        settings,
        cors_origins=tuple(settings.cors_origins),
        trusted_proxies=tuple(settings.trusted_proxies),
        rate_limits=_values_for(RateLimits, settings, prefix="rate_limit_"),
        engine=engine_config(settings),
    )
    return config


def server_limits(settings: Settings) -> ServerLimits:
    limits: ServerLimits = _values_for(
        ServerLimits, settings, "http_", max_connections=settings.max_connections
    )
    return limits


def create_app(settings: Settings) -> Starlette:
    """The ASGI app `feedline serve` runs (tests build theirs the same way)."""
    return create_api_app(api_config(settings))
