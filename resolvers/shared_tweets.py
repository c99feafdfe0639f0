"""A live event's tweet completed once per distinct selection and value, for all the subscribers it reaches.

A post reaches every follower connected to a process within a few hundred milliseconds, and each of their
subscriptions completes the same selection of the same tweet: for the web client's TimelineEvents document,
some fifteen fields through graphql-core and strawberry per subscriber (issue 13: the live direction is one
execution per event per distinct document, viewer-specific fields apart). What a completed ``tweet`` holds is
a function of a few values only, when its selection keeps to fields that do not depend on who asks:

- the document's selection of it (a ``Selection``: the parsed document is cached, so every subscription of
  one document holds the same nodes);
- the tweet's record, and its author's record with whether that is a celebrity (the threshold is a setting);
- the viewer's two flags, ``viewerHasLiked`` and ``viewerHasReposted``, when selected.

Those values are the memo's key, so an answer is never shared between different inputs: a viewer who liked
the tweet gets the completion of ``liked = true``. Any other field that depends on the viewer (``inReplyTo``
of a reply, which the viewer may not be allowed to see; ``author { viewerFollows }``; ``replies``), any
argument and any directive in the selection make it ``UNSHAREABLE``: it is completed per subscriber, as
before. So are tweets whose author or flags were not loaded ahead (Loaders.prefetch), and completions that
raised an error. ``FIELDS`` sorts every field of Tweet and User; a unit test fails when one is added unsorted.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from enum import Enum
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from graph.records import TweetRecord


class Share(Enum):
    """What a field of Tweet or User means for sharing a completed tweet."""

    SAME = "the same for every viewer: its value follows from the records in the key"
    FLAG = "the viewer's flag, part of the key"
    AUTHOR = "the author: the author's record (and whether a celebrity) is part of the key"
    REPLY_TARGET = "null for every viewer when the tweet is not a reply; otherwise depends on the viewer"
    UNSHAREABLE = "depends on the viewer, or takes arguments: the selection is completed per subscriber"


FIELDS: Mapping[str, Mapping[str, Share]] = {
    "Tweet": {
        "id": Share.SAME,
        "text": Share.SAME,
        "createdAt": Share.SAME,
        "likeCount": Share.SAME,
        "replyCount": Share.SAME,
        "repostCount": Share.SAME,
        "author": Share.AUTHOR,
        "viewerHasLiked": Share.FLAG,
        "viewerHasReposted": Share.FLAG,
        "inReplyTo": Share.REPLY_TARGET,
        "replies": Share.UNSHAREABLE,
    },
    "User": {
        "id": Share.SAME,
        "handle": Share.SAME,
        "displayName": Share.SAME,
        "bio": Share.SAME,
        "createdAt": Share.SAME,
        "followerCount": Share.SAME,
        "followingCount": Share.SAME,
        "tweetCount": Share.SAME,
        "isCelebrity": Share.SAME,  # the author's record and the celebrity flag are both in the key
        "viewerFollows": Share.UNSHAREABLE,
        "followsViewer": Share.UNSHAREABLE,
        "viewerMutes": Share.UNSHAREABLE,
        "viewerBlocks": Share.UNSHAREABLE,
        "viewerShowsReposts": Share.UNSHAREABLE,
        "tweets": Share.UNSHAREABLE,
        "followers": Share.UNSHAREABLE,
        "following": Share.UNSHAREABLE,
    },
}


class Selection:
    """A shareable selection of a tweet: which of the key's parts it needs. Compared by identity, so a memo
    entry never answers another document's selection."""

    __slots__ = ("author", "liked", "reply_target", "reposted")

    def __init__(self) -> None:
        self.author = self.liked = self.reposted = self.reply_target = False


UNSHAREABLE = None


def _walk(
    type_name: str,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, Any],
    into: Selection,
    inside_author: bool,
) -> bool:
    """Mark in ``into`` what the selection needs; False when a field makes it unshareable."""
    if selection_set is None:
        return True
    for node in selection_set.selections:
        if node.directives:
            return False  # @skip/@include may depend on a subscriber's variables
        if isinstance(node, FieldNode):
            name = node.name.value
            if name == "__typename":
                continue
            share = FIELDS[type_name].get(name, Share.UNSHAREABLE)
            if node.arguments or share is Share.UNSHAREABLE:
                return False
            if share is Share.FLAG:
                if name == "viewerHasLiked":
                    into.liked = True
                else:
                    into.reposted = True
            elif share is Share.AUTHOR:
                if inside_author:
                    return False  # no Tweet under a User among the shareable fields: never reached
                into.author = True
                if not _walk("User", node.selection_set, fragments, into, True):
                    return False
            elif share is Share.REPLY_TARGET:
                into.reply_target = True
        else:
            if isinstance(node, FragmentSpreadNode):
                details = fragments.get(node.name.value)
                if details is None:
                    return False
                definition = details.definition
                condition, sub = definition.type_condition, definition.selection_set
                if definition.directives or getattr(definition, "variable_definitions", None):
                    return False
            elif isinstance(node, InlineFragmentNode):
                condition, sub = node.type_condition, node.selection_set
            else:
                return False
            if condition is not None and condition.name.value != type_name:
                return False
            if not _walk(type_name, sub, fragments, into, inside_author):
                return False
    return True


# Selections by the identity of their field nodes, with the nodes kept alive so that an id is not reused.
_selections: OrderedDict[tuple[int, ...], tuple[list[FieldNode], Selection | None]] = OrderedDict()
SELECTIONS_KEPT = 256


def selection_of(nodes: list[FieldNode], fragments: Mapping[str, Any]) -> Selection | None:
    """The shareable selection of a tweet made of these field nodes, or UNSHAREABLE."""
    key = tuple(map(id, nodes))
    found = _selections.get(key)
    if found is not None:
        return found[1]
    selection: Selection | None = Selection()
    for node in nodes:
        if selection is not None and not _walk("Tweet", node.selection_set, fragments, selection, False):
            selection = UNSHAREABLE
    _selections[key] = (list(nodes), selection)
    if len(_selections) > SELECTIONS_KEPT:
        _selections.popitem(last=False)
    return selection


def key_of(
    selection: Selection,
    record: TweetRecord,
    author: tuple[Hashable, bool] | None,
    liked: bool | None,
    reposted: bool | None,
) -> tuple[Hashable, ...] | None:
    """The memo key of a completion, or None when it cannot be shared: a reply's target is selected, or a
    value the selection needs was not loaded (None: ``author`` is the author's record and celebrity flag)."""
    if selection.reply_target and record.reply_to is not None:
        return None
    if (selection.author and author is None) or (selection.liked and liked is None):
        return None
    if selection.reposted and reposted is None:
        return None
    return (
        selection,
        record,
        author if selection.author else None,
        liked if selection.liked else None,
        reposted if selection.reposted else None,
    )


class Completions:
    """Completed tweets by key, the most recent ``kept``."""

    def __init__(self, kept: int = 1024) -> None:
        self.kept = kept
        self._done: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()

    def get(self, key: tuple[Hashable, ...]) -> Any:
        return self._done.get(key)

    def put(self, key: tuple[Hashable, ...], completed: Any) -> None:
        self._done[key] = completed
        if len(self._done) > self.kept:
            self._done.popitem(last=False)

    def clear(self) -> None:
        self._done.clear()

    def __len__(self) -> int:
        return len(self._done)
