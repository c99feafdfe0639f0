"""Fan-out jobs: the one place a message of the ``fanout`` stream is encoded and decoded.

The API side (FeedService, threshold reconciles) queues jobs with ``encode``; the worker reads them back with
``decode``. A message is a flat hash of ASCII fields: ``kind`` (post, delete, celeb, repair), decimal ids and,
for a repair, a handle.

The same fields, as JSON, are the payload of the job's outbox entry in Neo4j (graph/outbox.py): ``outbox``
makes that entry for a write, ``from_outbox`` reads it back for the worker's relay.

A stream message also carries the Neo4j bookmarks of the process that queued it (``bm``, a JSON list; known
only once the write committed, so never in the outbox): the worker waits for them before it reads the graph
(graph/driver.py, causal consistency on a cluster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from graph.outbox import OutboxJob

BOOKMARKS = "bm"


@dataclass(frozen=True)
class PostJob:
    """Insert a new tweet into the author's followers' timelines (or publish once for a celebrity). A reply
    names the author replied to (the fan-out's replies rule), a repost its original (for live events)."""

    tweet_id: int
    author_id: int
    reply_to_author: int | None = None
    original: int | None = None


@dataclass(frozen=True)
class DeleteJob:
    """Remove a deleted tweet from the author's followers' timelines (DELETED live events); an unrepost names
    the original its repost showed."""

    tweet_id: int
    author_id: int
    original: int | None = None


@dataclass(frozen=True)
class CelebJob:
    """Reconcile an author's fan-out mode with their follower count (fanout/transitions.py)."""

    author_id: int


@dataclass(frozen=True)
class RepairJob:
    """A write whose follow-up in Redis may not have happened (the API failed between the commit and the end
    of its Redis writes): the derived state of ``user_ids`` (and of the user called ``handle``: the other side
    of a follow, mute or block) is dropped, to be rebuilt from Neo4j on the next read. The API marks the job
    queued once its own Redis writes are done, so the relay queues it only after such a failure."""

    user_ids: tuple[int, ...]
    handle: str | None = None

    @property
    def author_id(self) -> int:
        """Whose queue shard the job goes to (fanout_shard)."""
        return self.user_ids[0]


Job = PostJob | DeleteJob | CelebJob | RepairJob


class UnknownJob(ValueError):
    """A message whose ``kind`` this version does not know."""


def encode(job: Job, bookmarks: Sequence[str] = ()) -> dict[str, str]:
    """The stream fields of ``job`` (XADD), with ``bookmarks`` when given."""
    fields = _fields(job)
    if bookmarks:
        fields[BOOKMARKS] = orjson.dumps(list(bookmarks)).decode()
    return fields


def bookmarks_of(fields: Mapping[bytes, bytes]) -> list[str]:
    """The Neo4j bookmarks a message carries (none: a message queued before they were added, or by a test)."""
    raw = fields.get(BOOKMARKS.encode())
    if raw is None:
        return []
    values = orjson.loads(raw)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("malformed bookmarks")
    return values


def _fields(job: Job) -> dict[str, str]:
    if isinstance(job, PostJob):
        fields = {"kind": "post", "tweet": str(job.tweet_id), "author": str(job.author_id)}
        if job.reply_to_author is not None:
            fields["rta"] = str(job.reply_to_author)
        if job.original is not None:
            fields["orig"] = str(job.original)
        return fields
    if isinstance(job, DeleteJob):
        fields = {"kind": "delete", "tweet": str(job.tweet_id), "author": str(job.author_id)}
        if job.original is not None:
            fields["orig"] = str(job.original)
        return fields
    if isinstance(job, RepairJob):
        fields = {"kind": "repair", "users": ",".join(str(u) for u in job.user_ids)}
        if job.handle is not None:
            fields["handle"] = job.handle
        return fields
    return {"kind": "celeb", "author": str(job.author_id)}


def _optional(fields: Mapping[bytes, bytes], name: bytes) -> int | None:
    raw = fields.get(name)
    return None if raw is None else int(raw)


def decode(fields: Mapping[bytes, bytes]) -> Job:
    """The job of a stream message. UnknownJob for an unknown kind; ValueError (or KeyError) when malformed."""
    kind = fields.get(b"kind", b"").decode()
    if kind == "post":
        return PostJob(
            int(fields[b"tweet"]),
            int(fields[b"author"]),
            _optional(fields, b"rta"),
            _optional(fields, b"orig"),
        )
    if kind == "delete":
        return DeleteJob(int(fields[b"tweet"]), int(fields[b"author"]), _optional(fields, b"orig"))
    if kind == "celeb":
        return CelebJob(int(fields[b"author"]))
    if kind == "repair":
        users = tuple(int(u) for u in fields[b"users"].split(b","))
        handle = fields.get(b"handle")
        return RepairJob(users, None if handle is None else handle.decode())
    raise UnknownJob(kind)


def outbox(job_id: int, job: Job) -> OutboxJob:
    """The outbox entry (Neo4j) recording ``job`` in its write's transaction."""
    fields = encode(job)
    return OutboxJob(job_id, fields["kind"], orjson.dumps(fields).decode())


def from_outbox(entry: OutboxJob) -> Job:
    """The job of an outbox entry; UnknownJob / ValueError / KeyError as ``decode``."""
    raw = orjson.loads(entry.payload)
    if not isinstance(raw, dict):
        raise ValueError("malformed outbox payload")
    return decode({str(k).encode(): str(v).encode() for k, v in raw.items()})
