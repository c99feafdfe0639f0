"""feedline/settings.py: settings reach child processes intact (the demo launcher, test and benchmark processes rely
on it)."""

from __future__ import annotations

import pytest

from feedline.settings import Settings


def test_as_env_round_trips_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        _env_file=None,  # type: ignore[call-arg]
        key_prefix="x:",
        celebrity_threshold=7,
        cors_origins=["http://a.test"],
        worker_name="w1",
    )
    for name, value in original.as_env().items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None) == original  # type: ignore[call-arg]


def test_child_env_replaces_inherited_feedline_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDLINE_STRAY", "from the parent")
    monkeypatch.setenv("FEEDLINE_KEY_PREFIX", "parent:")
    monkeypatch.setenv("UNRELATED", "kept")
    settings = Settings(_env_file=None, key_prefix="child:")  # type: ignore[call-arg]
    env = settings.child_env(FEEDLINE_PORT="1234")
    assert "FEEDLINE_STRAY" not in env and env["UNRELATED"] == "kept"
    assert env["FEEDLINE_KEY_PREFIX"] == "child:" and env["FEEDLINE_PORT"] == "1234"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert {k: v for k, v in env.items() if k.startswith("FEEDLINE_") and k != "FEEDLINE_PORT"} == {
        k: v for k, v in settings.as_env().items() if k != "FEEDLINE_PORT"
    }


def test_the_cluster_setting_alone_points_redis_at_the_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    from ops.services import ServicePlan

    for name in ("FEEDLINE_REDIS_URL", "FEEDLINE_REDIS_CLUSTER_BASE_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FEEDLINE_REDIS_CLUSTER", "true")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.redis_url == "redis+cluster://127.0.0.1:6400,127.0.0.1:6401,127.0.0.1:6402"
    # The cluster `feedline services up` starts from the same settings is the one the URL names.
    assert settings.redis_url == ServicePlan.from_settings(settings).redis_url
    assert Settings(_env_file=None, redis_cluster_base_port=7000).redis_url.startswith(  # type: ignore[call-arg]
        "redis+cluster://127.0.0.1:7000,"
    )
    # An explicit URL wins (a cluster of your own), and without the setting the single server stays.
    explicit = "redis+cluster://10.0.0.5:7000"
    assert Settings(_env_file=None, redis_url=explicit).redis_url == explicit  # type: ignore[call-arg]
    monkeypatch.setenv("FEEDLINE_REDIS_URL", explicit)
    assert Settings(_env_file=None).redis_url == explicit  # type: ignore[call-arg]
    monkeypatch.delenv("FEEDLINE_REDIS_URL")
    monkeypatch.delenv("FEEDLINE_REDIS_CLUSTER")
    assert Settings(_env_file=None).redis_url == "redis://127.0.0.1:6390/0"  # type: ignore[call-arg]


def test_the_bench_only_feed_mode_reaches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """`feedline bench` starts its pull-mode API process with FEEDLINE_FEED_MODE=pull: the composition root
    hands it to FeedService (EngineConfig); the feed Feedline serves stays the hybrid one by default."""
    from pydantic import ValidationError

    from feedline.app import engine_config

    monkeypatch.delenv("FEEDLINE_FEED_MODE", raising=False)
    assert engine_config(Settings(_env_file=None)).feed_mode == "hybrid"  # type: ignore[call-arg]
    monkeypatch.setenv("FEEDLINE_FEED_MODE", "pull")
    assert engine_config(Settings(_env_file=None)).feed_mode == "pull"  # type: ignore[call-arg]
    monkeypatch.setenv("FEEDLINE_FEED_MODE", "push")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
