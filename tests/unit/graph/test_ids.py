"""graph/ids.py: snowflake ids (pure logic, no services)."""

from __future__ import annotations

import itertools
import threading

import pytest

from graph.ids import EPOCH_MS, MAX_ID, IdGenerator, min_id_at, timestamp_ms


class SteppingClock:
    def __init__(self, values: list[int]) -> None:
        self.values = values
        self.i = 0

    def __call__(self) -> int:
        value = self.values[min(self.i, len(self.values) - 1)]
        self.i += 1
        return value


def test_ids_fit_53_bits_and_encode_time() -> None:
    now = EPOCH_MS + 1_000_000_000
    gen = IdGenerator(7, clock=lambda: now)
    first = gen.next_id()
    assert 0 < first <= MAX_ID
    assert timestamp_ms(first) == now
    assert float(first) == first  # exact as a double
    assert min_id_at(now) <= first


def test_monotonic_when_clock_steps_back() -> None:
    base = EPOCH_MS + 5_000_000
    clock = SteppingClock(
        [base, base, base - 1000, base - 2000, base + 1, base + 1, base + 1, base + 1, base + 1]
    )
    gen = IdGenerator(3, clock=clock)
    ids = [gen.next_id() for _ in range(9)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_burst_beyond_sequence_borrows_next_milliseconds() -> None:
    gen = IdGenerator(1, clock=lambda: EPOCH_MS + 42)
    ids = [gen.next_id() for _ in range(10_000)]
    assert all(b > a for a, b in itertools.pairwise(ids))
    # The clock never moved, the generator ran ahead: 4 ids per millisecond.
    assert timestamp_ms(ids[-1]) == EPOCH_MS + 42 + (10_000 - 1) // 4


def test_distinct_workers_never_collide() -> None:
    now = EPOCH_MS + 123_456
    seen: set[int] = set()
    for worker in (0, 1, 2, 511, 1023):
        gen = IdGenerator(worker, clock=lambda: now)
        batch = {gen.next_id() for _ in range(50)}
        assert not batch & seen
        seen |= batch


def test_thread_safe_uniqueness() -> None:
    gen = IdGenerator(9)
    out: list[list[int]] = [[] for _ in range(4)]

    def work(slot: list[int]) -> None:
        slot.extend(gen.next_id() for _ in range(5000))

    threads = [threading.Thread(target=work, args=(slot,)) for slot in out]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [i for slot in out for i in slot]
    assert len(set(flat)) == len(flat)
    for slot in out:
        assert slot == sorted(slot)


@pytest.mark.parametrize("bad", [-1, 1024])
def test_worker_id_range(bad: int) -> None:
    with pytest.raises(ValueError):
        IdGenerator(bad)
