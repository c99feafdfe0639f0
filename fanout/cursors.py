"""Opaque cursors: produced and parsed only here. A malformed cursor raises BadInput.

A cursor is url-safe base64 of ``<kind>:<fields>``; the kind letter keeps a cursor of one list from being
accepted by another.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import NamedTuple

from graph.errors import BadInput

LATEST = "L"  # home timeline, newest first: the last id seen (+ a live position: see ``resume``)
TOP = "T"  # home timeline ranked: snapshot id + offset
AUTHOR = "A"  # an author's tweets: the last id seen
FOLLOW = "F"  # followers / following: since (epoch ms) + user id of the last edge


def _encode(kind: str, *fields: object) -> str:
    raw = ":".join([kind, *(str(f) for f in fields)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, kind: str, arity: int, optional: int = 0) -> list[str]:
    if not isinstance(cursor, str) or not cursor or len(cursor) > 200:
        raise BadInput("malformed cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadInput("malformed cursor") from exc
    parts = raw.split(":")
    if not arity + 1 <= len(parts) <= arity + optional + 1 or parts[0] != kind:
        raise BadInput("malformed cursor")
    return parts[1:]


def _int(text: str) -> int:
    if not text.isdigit() or len(text) > 19:
        raise BadInput("malformed cursor")
    return int(text)


def latest(tweet_id: int) -> str:
    return _encode(LATEST, tweet_id)


def parse_latest(cursor: str) -> int:
    return parse_resume(cursor).newest


class ResumePoint(NamedTuple):
    """What a live subscription's cursor says was delivered (see ``resume``)."""

    newest: int
    seq: int | None
    generation: int | None
    own: tuple[int, ...]


# At most this many own posts in a resume cursor (a subscription moves its id past the oldest beyond).
MAX_OWN = 4


def resume(tweet_id: int, seq: int, generation: int | None = None, own: Sequence[int] = ()) -> str:
    """A live subscription's resume point: ids up to ``tweet_id`` and live-log positions up to ``seq`` were
    delivered (seq 0: none known), positions of the live log ``generation`` (Keys.live_generation; None: not
    known), and so were the viewer's ``own`` posts above ``tweet_id`` (their events do not move the id, so
    that what is still being fanned out below them is replayed by id). A LATEST cursor, so homeTimeline pages
    from it too."""
    if own:
        return _encode(LATEST, tweet_id, seq, generation or 0, ".".join(str(o) for o in own))
    fields = [tweet_id] if not seq else [tweet_id, seq] if generation is None else [tweet_id, seq, generation]
    return _encode(LATEST, *fields)


def parse_resume(cursor: str) -> ResumePoint:
    """The resume point of a cursor; a field it does not have (a homeTimeline cursor has only the id) is None,
    or no own posts."""
    fields = _decode(cursor, LATEST, 1, optional=3)
    numbers = [_int(f) for f in fields[:3]]
    own = tuple(_int(o) for o in fields[3].split(".")) if len(fields) > 3 else ()
    if len(own) > MAX_OWN:
        raise BadInput("malformed cursor")
    return ResumePoint(
        numbers[0],
        (numbers[1] or None) if len(numbers) > 1 else None,
        (numbers[2] or None) if len(numbers) > 2 else None,
        own,
    )


def top(snapshot: str, offset: int) -> str:
    return _encode(TOP, snapshot, offset)


def parse_top(cursor: str) -> tuple[str, int]:
    snapshot, offset = _decode(cursor, TOP, 2)
    if not snapshot.isalnum() or len(snapshot) > 32:
        raise BadInput("malformed cursor")
    return snapshot, _int(offset)


def author(tweet_id: int) -> str:
    return _encode(AUTHOR, tweet_id)


def parse_author(cursor: str) -> int:
    return _int(_decode(cursor, AUTHOR, 1)[0])


def follow(since_ms: int, user_id: int) -> str:
    return _encode(FOLLOW, since_ms, user_id)


def parse_follow(cursor: str) -> tuple[int, int]:
    since, uid = _decode(cursor, FOLLOW, 2)
    return _int(since), _int(uid)
