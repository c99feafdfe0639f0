"""fanout/cursors.py: opaque cursors round-trip, and anything else is BadInput."""

from __future__ import annotations

import base64

import pytest

from fanout import cursors
from graph.errors import BadInput


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_round_trips() -> None:
    assert cursors.parse_latest(cursors.latest(2**53 - 1)) == 2**53 - 1
    assert cursors.parse_author(cursors.author(0)) == 0
    assert cursors.parse_top(cursors.top("abc123", 40)) == ("abc123", 40)
    assert cursors.parse_follow(cursors.follow(1_700_000_000_000, 99)) == (1_700_000_000_000, 99)
    # A live subscription's resume point: an id, a live-log position and the log's generation; homeTimeline
    # pages from it by its id.
    resume = cursors.resume(2**53 - 1, 1_764_000_000_123_456, 1_763_999_000_000_001)
    assert cursors.parse_resume(resume) == (2**53 - 1, 1_764_000_000_123_456, 1_763_999_000_000_001, ())
    assert cursors.parse_latest(resume) == 2**53 - 1
    assert cursors.parse_resume(cursors.resume(7, 12)) == (7, 12, None, ())  # from before generations
    assert cursors.parse_resume(cursors.latest(7)) == (7, None, None, ())
    assert cursors.resume(7, 0, 99) == cursors.latest(7)
    # ... and the viewer's own posts delivered above the id, with or without a position and generation.
    own = (2**53 - 2, 2**53 - 3, 2**53 - 4, 2**53 - 5)
    with_own = cursors.resume(2**53 - 9, 1_764_000_000_123_456, 1_763_999_000_000_001, own)
    assert len(with_own) <= 200
    assert cursors.parse_resume(with_own) == (2**53 - 9, 1_764_000_000_123_456, 1_763_999_000_000_001, own)
    assert cursors.parse_resume(cursors.resume(7, 0, None, [9])) == (7, None, None, (9,))
    assert cursors.parse_latest(with_own) == 2**53 - 9


def test_opaque_and_url_safe() -> None:
    cursor = cursors.latest(123456789)
    assert "123456789" not in cursor and "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_cursor_of_one_list_is_refused_by_another() -> None:
    with pytest.raises(BadInput):
        cursors.parse_author(cursors.latest(5))
    with pytest.raises(BadInput):
        cursors.parse_latest(cursors.follow(1, 2))
    with pytest.raises(BadInput):
        cursors.parse_follow(cursors.top("a", 1))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "!!!",
        "x" * 201,
        _raw("L"),
        _raw("L:"),
        _raw("L:-1"),
        _raw("L:1.5"),
        _raw("L:1:2:3:4:5"),
        _raw("L:1:2:3:4."),
        _raw("L:1:2:3:1.2.3.4.5"),
        _raw("L:1:2:x"),
        _raw("L:1:x"),
        _raw("L:1:"),
        _raw("L:" + "9" * 20),
        _raw("T:ab-c:1"),
        _raw("T:" + "a" * 33 + ":1"),
        _raw("F:1"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_cursors_are_bad_input(bad: str) -> None:
    for parse in (cursors.parse_latest, cursors.parse_top, cursors.parse_author, cursors.parse_follow):
        with pytest.raises(BadInput):
            parse(bad)


def test_non_string_is_bad_input() -> None:
    with pytest.raises(BadInput):
        cursors.parse_latest(None)  # type: ignore[arg-type]
