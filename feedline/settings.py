"""Configuration, read once from the environment (``FEEDLINE_`` prefix) and an optional ``.env`` file.

Only the composition root (``feedline/``) and the tools above the service (``ops/``, ``seed/``, ``bench/``)
read settings; they hand plain values (``api.config.ApiConfig``, ``fanout.config.EngineConfig``) to the
service packages, which stay free of configuration concerns.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDLINE_", env_file=".env", extra="ignore")

    # --- where things run -------------------------------------------------------------------------------
    state_dir: Path = Field(
        PROJECT_ROOT / ".feedline", description="Data, logs and pid files of local services."
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6390/0",
        description="Redis holding the derived feed state: redis://host:port/db for one server, or "
        "redis+cluster://host:port[,host:port...] for a Redis Cluster (the nodes seed the slot map).",
    )
    redis_port: int = Field(6390, description="Port `feedline services up` starts Redis on.")
    redis_cluster: bool = Field(
        False,
        description="`feedline services up` starts a local Redis Cluster (3 primaries + 3 replicas) instead of "
        "one server, and Redis is that cluster unless FEEDLINE_REDIS_URL says otherwise.",
    )
    redis_cluster_base_port: int = Field(
        6400, description="First port of the local cluster's six nodes (cluster bus ports are 10000 higher)."
    )
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", description="Bolt URI of Neo4j, the source of truth.")
    neo4j_user: str = Field("neo4j", description="Neo4j user.")
    neo4j_password: str = Field("feedline-demo", description="Neo4j password (set on first start).")
    neo4j_bolt_port: int = Field(7687, description="Bolt port `feedline services up` starts Neo4j on.")
    neo4j_http_port: int = Field(7474, description="HTTP port of Neo4j and its Browser.")
    neo4j_heap: str = Field("2g", description="Neo4j JVM heap size.")
    neo4j_pagecache: str = Field("2g", description="Neo4j page cache size.")
    host: str = Field("127.0.0.1", description="Interface the API listens on.")
    port: int = Field(8000, description="Port of the API (GraphQL, GraphiQL, web client).")

    # --- the feed rules ---------------------------------------------------------------------------------
    celebrity_threshold: int = Field(
        50_000, description="Follower count at which an author is fanned out on read."
    )
    timeline_cap: int = Field(800, description="Entries kept in each precomputed home timeline.")
    author_list_cap: int = Field(1000, description="Recent tweet ids kept per author.")
    timeline_ttl_seconds: int = Field(
        30 * 24 * 3600, description="Idle time after which a timeline is evicted."
    )
    key_prefix: str = Field(
        "fl:", description="Prefix of every Redis key (tests isolate themselves with it)."
    )
    worker_id: int = Field(
        1, ge=0, le=1023, description="Snowflake worker id; distinct per process that posts."
    )
    suggest_below_follows: int = Field(
        5,
        ge=0,
        description="Viewers following fewer accounts than this are newcomers (trending suggestions).",
    )
    suggest_below_entries: int = Field(
        20, ge=0, description="... and only while their timeline holds fewer entries than this."
    )
    suggestions: int = Field(
        50, ge=0, description="Trending tweets merged into a newcomer's feed as SUGGESTED (0: none)."
    )
    feed_mode: Literal["hybrid", "pull"] = Field(
        "hybrid",
        description="For benchmarks only: `pull` reads the home feed (LATEST) straight from Neo4j on every "
        "request (fan-out on read, no precomputed timeline; TOP is refused), so `feedline bench` can compare "
        "the two strategies through the same GraphQL path. `hybrid`, the default, is the feed Feedline serves.",
    )

    # --- the fan-out worker ---------------------------------------------------------------------------------
    worker_page_size: int = Field(
        1000, ge=1, le=10_000, description="Followers written per round trip by the fan-out worker."
    )
    worker_claim_min_idle_ms: int = Field(
        30_000, ge=0, description="Idle time after which another worker takes over an unacknowledged message."
    )
    worker_name: str = Field(
        "", description="Consumer name in the stream's group (default: host name and process id)."
    )

    # --- API limits ---------------------------------------------------------------------------------------
    token_ttl_seconds: int = Field(7 * 24 * 3600, description="Lifetime of a bearer token.")
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:5173", "http://127.0.0.1:5173"],
        description="Origins allowed to call the API from a browser (the Vite dev server).",
    )
    rate_limit_window_seconds: int = Field(
        60, ge=1, description="Window of the logIn/signUp/postTweet limits."
    )
    rate_limit_auth_per_ip: int = Field(
        30, ge=1, description="logIn + signUp attempts per client IP per window."
    )
    rate_limit_auth_per_handle: int = Field(
        10, ge=1, description="logIn/signUp attempts per handle per window."
    )
    rate_limit_posts_per_user: int = Field(30, ge=1, description="postTweet calls per user per window.")
    rate_limit_posts_per_ip: int = Field(120, ge=1, description="postTweet calls per client IP per window.")
    rate_limit_login_backoff_after: int = Field(
        20,
        ge=1,
        description="logIn attempts on one handle (from all addresses) per window after which the per-handle "
        "back-off applies (an address's first attempt in a window is never refused by it).",
    )
    rate_limit_login_backoff_max_seconds: int = Field(
        60, ge=1, description="Longest per-handle logIn back-off (it doubles per attempt past the threshold)."
    )
    rate_limit_mutations_per_user: int = Field(120, ge=1, description="Mutations per user per window.")
    rate_limit_mutations_per_ip: int = Field(600, ge=1, description="Mutations per client IP per window.")
    rate_limit_reads_per_user: int = Field(1200, ge=1, description="Query root fields per user per window.")
    rate_limit_reads_per_ip: int = Field(
        3000, ge=1, description="Query root fields per client IP per window."
    )
    rate_limit_subscriptions_per_user: int = Field(
        60, ge=1, description="Subscriptions started per user per window."
    )
    rate_limit_subscriptions_per_ip: int = Field(
        600, ge=1, description="Subscriptions started per client IP per window."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR networks of reverse proxies whose X-Forwarded-For is believed (none: "
        "the header is ignored and the peer address is the client).",
    )
    max_subscriptions_per_connection: int = Field(
        8, ge=1, description="Operations a websocket connection may have running at once."
    )
    max_subscriptions_per_user: int = Field(
        32, ge=1, description="Operations one user may have running over websockets, per API process."
    )
    ws_init_timeout_seconds: float = Field(
        10.0, gt=0, description="A websocket that sends no connection_init within this time is closed (4408)."
    )
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a client has to send a request's headers (slowloris guard)."
    )
    http_body_timeout_seconds: float = Field(
        30.0, gt=0, description="Time a client has to send a request's body once its headers are in."
    )
    http_keep_alive_seconds: int = Field(
        5, ge=1, description="Idle keep-alive connections are closed after this."
    )
    http_max_header_bytes: int = Field(
        32 * 1024, ge=1024, description="Largest request line plus headers; larger requests get 431."
    )
    max_connections: int = Field(
        2048, ge=16, description="Connections (HTTP and websocket) served at once; more get 503."
    )

    # --- observability ------------------------------------------------------------------------------------
    otlp_endpoint: str = Field(
        "",
        description=(
            "OTLP/HTTP collector (e.g. http://127.0.0.1:4318) that receives traces of GraphQL operations, their "
            "Redis and Neo4j calls and the fan-out of posts; empty: tracing off (nothing is instrumented)."
        ),
    )
    log_format: Literal["json", "text"] = Field(
        "json", description="Logs of `feedline serve`/`worker`: JSON lines (with the trace id) or plain text."
    )

    @model_validator(mode="after")
    def _local_cluster_url(self) -> Settings:
        """FEEDLINE_REDIS_CLUSTER=true alone points every process at the local cluster `services up` starts
        (its first three nodes seed the slot map, as ``ServicePlan.redis_url``), so `make run`, `serve`,
        `worker` and `seed` need one setting; an explicit FEEDLINE_REDIS_URL always wins."""
        if self.redis_cluster and "redis_url" not in self.model_fields_set:
            ports = range(self.redis_cluster_base_port, self.redis_cluster_base_port + 3)
            self.redis_url = "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in ports)
        return self

    def as_env(self) -> dict[str, str]:
        """These settings as FEEDLINE_* environment variables: a child process started with them (the demo's
        API and worker, the tests' and benchmarks' processes) sees exactly these values."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            text = json.dumps(value) if isinstance(value, list) else str(value)
            env[f"FEEDLINE_{name.upper()}"] = text
        return env

    def child_env(self, **extra: str) -> dict[str, str]:
        """The whole environment of a child process that must see exactly these settings (the demo's API and
        worker, the tests' and the benchmarks' processes): this process's environment without its FEEDLINE_*
        variables, then ``as_env()``, unbuffered output, then ``extra`` (more variables, or overrides)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDLINE_")}
        env.update(self.as_env(), PYTHONUNBUFFERED="1")
        env.update(extra)
        return env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
