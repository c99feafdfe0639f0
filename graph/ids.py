"""Snowflake ids in 53 bits: exact as a double (a Redis score, a JavaScript number) and sortable by time.

Layout (shared with seed/world.py, which uses the same epoch and time shift)::

    | 41 bits: ms since EPOCH_MS (~69 years) | 10 bits: worker id | 2 bits: sequence |

Four ids per millisecond per worker: a burst beyond that borrows the next milliseconds (the generator's clock
runs ahead of the wall clock and catches up when the burst ends), so ids never repeat and never go backwards,
including when the wall clock steps back. Distinct worker ids never collide.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
TIME_BITS = 41
WORKER_BITS = 10
SEQUENCE_BITS = 2
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
TIME_SHIFT = WORKER_BITS + SEQUENCE_BITS
MAX_ID = (1 << 53) - 1


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class IdGenerator:
    def __init__(self, worker_id: int, clock: Callable[[], int] = _wall_ms) -> None:
        if not 0 <= worker_id <= MAX_WORKER:
            raise ValueError(f"worker id must be in 0..{MAX_WORKER}")
        self.worker_id = worker_id
        self._clock = clock
        self._last_ms = -1
        self._sequence = 0
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            now = self._clock() - EPOCH_MS
            if now > self._last_ms:
                self._last_ms = now
                self._sequence = 0
            elif self._sequence < MAX_SEQUENCE:
                # Same millisecond, or the clock stepped back: keep our own (later) time.
                self._sequence += 1
            else:
                self._last_ms += 1
                self._sequence = 0
            if self._last_ms >= 1 << TIME_BITS:
                raise OverflowError("snowflake time field exhausted")
            return (self._last_ms << TIME_SHIFT) | (self.worker_id << SEQUENCE_BITS) | self._sequence


def timestamp_ms(snowflake: int) -> int:
    """Wall-clock milliseconds encoded in an id (a lower bound of when it was made)."""
    return (snowflake >> TIME_SHIFT) + EPOCH_MS


def min_id_at(epoch_ms: int) -> int:
    """The smallest id that can be generated at ``epoch_ms`` (for time-bounded id ranges)."""
    return max(0, epoch_ms - EPOCH_MS) << TIME_SHIFT
