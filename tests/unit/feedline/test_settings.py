"""Settings reach child processes intact (the demo launcher, test and benchmark processes rely on it)."""

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
