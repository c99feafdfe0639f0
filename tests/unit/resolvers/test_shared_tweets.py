"""Which selections of a live event's tweet are shared, and what their key holds (resolvers/shared_tweets.py).

The API test beside the subscriptions (test_a_live_tweet_completed_once_is_shared_only_with_the_same_values)
checks shared answers against each viewer's own; these check the sorting of fields and selections."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse
from graphql.execution.collect_fields import FragmentDetails
from graphql.language import FragmentDefinitionNode

from bench.ws_subscribers import QUERY as WEB_CLIENT_DOCUMENT
from graph.records import TweetRecord, UserRecord
from resolvers.schema import schema
from resolvers.shared_tweets import FIELDS, Selection, key_of, selection_of


def test_every_field_of_tweet_and_user_is_sorted() -> None:
    """A field added to Tweet or User must say whether it depends on the viewer before a tweet selecting it
    can be shared."""
    for type_name in ("Tweet", "User"):
        graphql_type = schema._schema.get_type(type_name)
        assert set(FIELDS[type_name]) == set(graphql_type.fields), type_name  # type: ignore[union-attr]


def _tweet_selection(document: str) -> Selection | None:
    parsed = parse(document)
    fragments = {
        d.name.value: FragmentDetails(d) for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode) and root.selection_set is not None
    tweets = [
        s for s in root.selection_set.selections if isinstance(s, FieldNode) and s.name.value == "tweet"
    ]
    return selection_of(tweets, fragments)


def _events(tweet: str, fragments: str = "") -> str:
    return "subscription { homeTimelineEvents { kind tweet " + tweet + " } } " + fragments


def test_the_web_clients_selection_is_shared_with_what_its_key_needs() -> None:
    selection = _tweet_selection(WEB_CLIENT_DOCUMENT)
    assert selection is not None
    assert (selection.author, selection.liked, selection.reposted, selection.reply_target) == (True,) * 4


@pytest.mark.parametrize(
    "tweet",
    [
        "{ id author { viewerFollows } }",  # depends on the viewer
        "{ id replies(first: 2) { edges { cursor } } }",  # arguments, and the viewer's mutes
        "{ id text @include(if: true) }",  # directives may use a subscriber's variables
        "{ id ... on Tweet @skip(if: false) { text } }",
        "{ ...F }",  # a fragment on another type
    ],
)
def test_selections_that_depend_on_the_viewer_are_not_shared(tweet: str) -> None:
    assert _tweet_selection(_events(tweet, "fragment F on User { id }")) is None


def test_aliases_fragments_and_typename_are_shared() -> None:
    selection = _tweet_selection(
        _events(
            "{ __typename words: text ...F ... on Tweet { likes: likeCount } }", "fragment F on Tweet { id }"
        )
    )
    assert selection is not None
    assert (selection.author, selection.liked, selection.reposted, selection.reply_target) == (False,) * 4


def test_the_same_document_is_one_selection_and_another_is_not() -> None:
    parsed = parse(_events("{ id text }"))
    operation = parsed.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode) and root.selection_set is not None
    tweet = [root.selection_set.selections[1]]
    assert isinstance(tweet[0], FieldNode)
    assert selection_of(tweet, {}) is selection_of(tweet, {})
    assert selection_of(tweet, {}) is not _tweet_selection(_events("{ id text }"))  # parsed again


NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _tweet(reply_to: int | None = None, likes: int = 0) -> TweetRecord:
    return TweetRecord(7, 1, "hi", NOW, likes, reply_to=reply_to)


def test_the_key_holds_every_value_the_completion_reads() -> None:
    selection = _tweet_selection(WEB_CLIENT_DOCUMENT)
    assert selection is not None
    author = (UserRecord(1, "a", "A", None, NOW, 3, 4, 5), False)
    key = key_of(selection, _tweet(), author, False, False)
    assert key is not None
    assert key == key_of(selection, _tweet(), author, False, False)
    assert key != key_of(selection, _tweet(), author, True, False)
    assert key != key_of(selection, _tweet(), author, False, True)
    assert key != key_of(selection, _tweet(likes=1), author, False, False)
    assert key != key_of(selection, _tweet(), (author[0], True), False, False)  # a celebrity now
    renamed = (UserRecord(1, "a", "Ann", None, NOW, 3, 4, 5), False)
    assert key != key_of(selection, _tweet(), renamed, False, False)
    assert key_of(selection, _tweet(reply_to=3), author, False, False) is None  # its target is the viewer's
    assert key_of(selection, _tweet(), None, False, False) is None  # not loaded: completed alone
    assert key_of(selection, _tweet(), author, None, False) is None
    assert key_of(selection, _tweet(), author, False, None) is None
