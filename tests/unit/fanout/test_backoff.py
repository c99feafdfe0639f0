"""fanout/backoff.py: one log line per state change; a traceback only for what may be a bug."""

from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from fanout.backoff import Backoff


def test_an_outage_is_one_line_without_traceback_and_delays_grow_to_the_cap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test.backoff")
    backoff = Backoff(log, "loop", initial_s=0.1, cap_s=0.4)
    with caplog.at_level(logging.WARNING, logger="test.backoff"):
        delays = [backoff.failed(RedisConnectionError("refused")) for _ in range(5)]
        backoff.ok()
    assert delays == [0.1, 0.2, 0.4, 0.4, 0.4]
    assert [r.getMessage() for r in caplog.records] == [
        "loop failing (ConnectionError: refused); retrying with backoff up to 0 s",
        "loop recovered after 5 failed attempts",
    ]
    assert all(r.exc_info is None for r in caplog.records)


def test_an_unexpected_failure_is_logged_once_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.backoff")
    backoff = Backoff(log, "loop")
    with caplog.at_level(logging.WARNING, logger="test.backoff"):
        for _ in range(3):
            try:
                raise KeyError("bug")
            except KeyError as exc:
                backoff.failed(exc)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None
