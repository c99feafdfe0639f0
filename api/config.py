"""The API's configuration as plain values: the composition root (``feedline/app.py``) builds it from Settings,
so nothing below ``feedline/`` reads the environment."""

from __future__ import annotations

from dataclasses import dataclass

from api.ratelimit import RateLimits
from fanout.config import EngineConfig


@dataclass(frozen=True)
class ApiConfig:
    redis_url: str
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str
    neo4j_http_port: int  # the Neo4j Browser's origin, allowed to fetch the guide
    cors_origins: tuple[str, ...]
    token_ttl_seconds: int
    rate_limits: RateLimits
    engine: EngineConfig
    # Security limits (README, "Security").
    trusted_proxies: tuple[str, ...] = ()
    max_subscriptions_per_connection: int = 8
    max_subscriptions_per_user: int = 32
    ws_init_timeout_seconds: float = 10.0
