"""fanout/derived.py's two-round merge of author lists (a timeline rebuild from Redis): whatever the lists,
the first round's heads plus what the second round reads above the floor hold the newest ``limit`` ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fanout.derived import lists_to_read_further, newest_ids

ID_SETS = st.lists(st.sets(st.integers(1, 10_000), max_size=30), max_size=12)


def two_rounds(full: dict[int, list[int]], first: int, limit: int) -> list[int]:
    """The rebuild's reads, on lists in memory: heads of ``first``, then each list to read further, strictly
    between the floor and its last id read, at most ``limit`` (as TimelineStore.queue_between reads)."""
    heads = {author: ids[:first] for author, ids in full.items()}
    floor, further = lists_to_read_further(heads, first, limit)
    more = [
        [i for i in full[author] if i < last and (floor is None or i > floor)][:limit]
        for author, last in further
    ]
    return newest_ids([*heads.values(), *more], limit)


@given(id_sets=ID_SETS, first=st.integers(1, 10), limit=st.integers(1, 60))
def test_two_rounds_find_the_newest_ids_of_all_the_lists(
    id_sets: list[set[int]], first: int, limit: int
) -> None:
    seen: set[int] = set()
    full: dict[int, list[int]] = {}
    for author, ids in enumerate(id_sets):  # each tweet belongs to one author
        full[author] = sorted(ids - seen, reverse=True)
        seen |= ids
    assert two_rounds(full, first, limit) == sorted(seen, reverse=True)[:limit]


def test_one_busy_author_is_read_further_and_the_quiet_ones_are_not() -> None:
    busy = list(range(100, 80, -1))  # the 20 newest ids
    full = {1: busy, 2: [50, 40, 30], 3: [45, 35]}
    heads = {author: ids[:4] for author, ids in full.items()}
    floor, further = lists_to_read_further(heads, 4, 6)
    assert floor == 45  # the 6th newest of the 9 ids read
    assert further == [(1, 97)]  # only the busy list was read in full and may hold more above 45
    assert two_rounds(full, 4, 6) == [100, 99, 98, 97, 96, 95]
