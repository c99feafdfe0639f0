"""fanout/store.py's member layout: 8-byte big-endian ids sort like the numbers, below both markers."""

from __future__ import annotations

import random

from fanout.store import BUILDING, BUILT, MEMBER_LEN, TOP_BOUND, above, below, decode_ids, encode_id
from graph.ids import MAX_ID


def test_members_sort_like_ids_and_below_the_markers() -> None:
    rng = random.Random(5)
    ids = sorted({rng.randrange(0, MAX_ID + 1) for _ in range(500)} | {0, 1, MAX_ID})
    members = [encode_id(i) for i in ids]
    assert sorted(members) == members
    assert all(len(m) == MEMBER_LEN and m < BUILT < BUILDING for m in members)
    # A member never parses as an integer (the first byte of a 53-bit id is below 0x20).
    assert all(m[0] < 0x20 for m in members)


def test_decode_skips_markers_and_keeps_order() -> None:
    ids = [9, 3, 7]
    assert decode_ids([BUILT, *(encode_id(i) for i in ids), BUILDING]) == ids


def test_lex_bounds() -> None:
    assert below(None) == TOP_BOUND
    assert below(5) == b"(" + encode_id(5)
    assert above(5) == b"(" + encode_id(5)
    assert TOP_BOUND[1:] == BUILT  # exclusive of BUILT, hence of both markers
