"""Assembly of the API: Settings -> the plain configurations the engine and the ASGI app take.

This is the one place configuration turns into values; ``fanout/`` and ``api/`` never read the environment.
"""

from __future__ import annotations

from starlette.applications import Starlette

from api.app import create_app as create_api_app
from api.config import ApiConfig
from api.ratelimit import RateLimits
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
    )


def api_config(settings: Settings) -> ApiConfig:
    return ApiConfig(
        redis_url=settings.redis_url,
        neo4j_uri=settings.neo4j_uri,
        neo4j_user=settings.neo4j_user,
        neo4j_password=settings.neo4j_password,
        neo4j_http_port=settings.neo4j_http_port,
        cors_origins=tuple(settings.cors_origins),
        token_ttl_seconds=settings.token_ttl_seconds,
        rate_limits=RateLimits(
            window_seconds=settings.rate_limit_window_seconds,
            auth_per_ip=settings.rate_limit_auth_per_ip,
            auth_per_handle=settings.rate_limit_auth_per_handle,
            posts_per_user=settings.rate_limit_posts_per_user,
            posts_per_ip=settings.rate_limit_posts_per_ip,
        ),
        engine=engine_config(settings),
    )


def create_app(settings: Settings) -> Starlette:
    """The ASGI app `feedline serve` runs (tests build theirs the same way)."""
    return create_api_app(api_config(settings))
