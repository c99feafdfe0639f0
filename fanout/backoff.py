"""Retrying a background loop against a backend that may be down: exponential, capped delays and one log line
per state change (first failure, a different failure, recovery) instead of a traceback per attempt."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from neo4j.exceptions import ServiceUnavailable, SessionExpired
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

INITIAL_DELAY_S = 0.1
MAX_DELAY_S = 5.0
# A backend that cannot be reached: an outage, said in one line. Anything else may be a bug: its first
# occurrence is logged with its traceback.
UNREACHABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ServiceUnavailable,
    SessionExpired,
    ConnectionError,
    TimeoutError,
)


class Backoff:
    """``failed(exc)`` after an attempt that raised (returns how long to wait), ``ok()`` after one that worked.

    The first failure of a kind is logged in one line, with its traceback only when it is not a backend
    being unreachable (then it may be a bug); repeats of the same kind are silent until the loop recovers,
    which is logged once too."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        *,
        initial_s: float = INITIAL_DELAY_S,
        cap_s: float = MAX_DELAY_S,
    ) -> None:
        self._log = log
        self._what = what
        self._initial = initial_s
        self._cap = cap_s
        self._delay = 0.0
        self._failing: str | None = None
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self._failing is not None

    def failed(self, exc: BaseException) -> float:
        kind = f"{type(exc).__name__}: {exc}"[:200]
        if kind != self._failing:
            first = self._failing is None
            self._log.warning(
                "%s failing (%s); retrying with backoff up to %.0f s",
                self._what,
                kind,
                self._cap,
                exc_info=exc if first and not isinstance(exc, UNREACHABLE) else None,
            )
            self._failing = kind
        self.failures += 1
        self._delay = min(self._cap, self._delay * 2 if self._delay else self._initial)
        return self._delay

    def ok(self) -> None:
        if self._failing is not None:
            self._log.warning("%s recovered after %d failed attempts", self._what, self.failures)
        self._failing = None
        self._delay = 0.0
        self.failures = 0


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
