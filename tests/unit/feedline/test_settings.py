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
