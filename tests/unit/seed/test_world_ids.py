"""seed/world.py makes its ids for whole arrays with graph/ids.py's one layout, as IdGenerator would."""

from __future__ import annotations

import numpy as np

from graph.ids import EPOCH_MS, IdGenerator, timestamp_ms
from seed.world import SEED_WORKER, _unique_ids, snowflake

T = EPOCH_MS + 1_000_000


def test_the_array_variant_is_the_generators_layout() -> None:
    gen = IdGenerator(SEED_WORKER, clock=lambda: T)
    expected = [gen.next_id() for _ in range(10)]  # a burst: 4 per ms, then the next milliseconds
    ids, ms = _unique_ids(np.full(10, T, dtype=np.int64))
    assert ids.tolist() == expected
    assert ms.tolist() == [timestamp_ms(i) for i in expected]


def test_snowflake_fields() -> None:
    ids = snowflake(np.array([T, T + 1]), np.array([3, 0]), worker=5)
    assert [timestamp_ms(i) for i in ids.tolist()] == [T, T + 1]
    gen = IdGenerator(5, clock=lambda: T)
    assert [gen.next_id() for _ in range(4)][-1] == int(ids[0])


def test_unique_ids_are_strictly_increasing_and_never_earlier() -> None:
    rng = np.random.default_rng(3)
    raw = T + rng.integers(0, 50, size=2000)  # dense: many ids per millisecond
    ids, ms = _unique_ids(raw)
    assert np.all(np.diff(ids) > 0)
    assert np.all(ms >= np.sort(raw))
    assert np.array_equal((ids >> 12) + EPOCH_MS, ms)
    assert _unique_ids(np.zeros(0, dtype=np.int64))[0].size == 0
