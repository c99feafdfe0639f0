"""fanout/jobs.py: the one codec of fan-out stream messages."""

from __future__ import annotations

import pytest

from fanout.jobs import CelebJob, DeleteJob, Job, PostJob, RepairJob, UnknownJob, decode, encode


def _as_read(fields: dict[str, str]) -> dict[bytes, bytes]:
    """What XREADGROUP hands the worker for an XADD of ``fields`` (decode_responses=False)."""
    return {k.encode(): v.encode() for k, v in fields.items()}


@pytest.mark.parametrize(
    "job",
    [
        PostJob(2**53 - 1, 7),
        PostJob(5, 7, reply_to_author=9),
        PostJob(6, 7, original=4),
        DeleteJob(123, 2**52),
        DeleteJob(6, 7, original=4),
        CelebJob(42),
        RepairJob((2**53 - 1, 5)),
        RepairJob((8,), handle="Some_one"),
    ],
    ids=["post", "reply", "repost", "delete", "unrepost", "celeb", "repair", "repair-handle"],
)
def test_round_trip(job: Job) -> None:
    assert decode(_as_read(encode(job))) == job


def test_wire_format_is_stable() -> None:
    """Workers of the previous release read these messages during a rolling upgrade."""
    assert encode(PostJob(1, 2)) == {"kind": "post", "tweet": "1", "author": "2"}
    assert encode(DeleteJob(1, 2)) == {"kind": "delete", "tweet": "1", "author": "2"}
    assert encode(CelebJob(3)) == {"kind": "celeb", "author": "3"}
    assert encode(RepairJob((3, 4), "bob")) == {"kind": "repair", "users": "3,4", "handle": "bob"}
    # Replies and reposts add fields; a message without them (an older release's) is a plain post.
    assert encode(PostJob(1, 2, 3, None)) == {"kind": "post", "tweet": "1", "author": "2", "rta": "3"}
    assert encode(DeleteJob(1, 2, 4)) == {"kind": "delete", "tweet": "1", "author": "2", "orig": "4"}


def test_unknown_kind() -> None:
    with pytest.raises(UnknownJob):
        decode({b"kind": b"teleport", b"author": b"1"})
    with pytest.raises(UnknownJob):
        decode({})


@pytest.mark.parametrize(
    "fields",
    [
        {b"kind": b"post", b"tweet": b"1"},
        {b"kind": b"delete", b"author": b"1"},
        {b"kind": b"post", b"tweet": b"x", b"author": b"1"},
        {b"kind": b"celeb", b"author": b""},
    ],
)
def test_malformed(fields: dict[bytes, bytes]) -> None:
    with pytest.raises((KeyError, ValueError)) as caught:
        decode(fields)
    assert not isinstance(caught.value, UnknownJob)
