"""The execution context of the schema: strawberry's, with plain fields read directly, a live event's tweet
completed once for the subscribers it reaches (resolvers/shared_tweets.py), and a memory leak of subscriptions
fixed.

Plain fields: a field without a resolver whose type is a scalar or an enum (a tweet's id, text, likeCount; an
edge's cursor and source) is its source's attribute, serialized. graphql-core executes each one like any
field (a resolve info, the resolver strawberry wraps around the attribute, the checks of completion): about
half of a homeTimeline page's execution is those twenty-odd fields per edge (issue 13's profile). Here they
are read and serialized at once; anything unusual about a value (null where the schema forbids it, an
exception, a value the scalar refuses) goes the ordinary way, which reports it as before. A unit test checks
both ways answer the same, errors included.

Subscriptions: graphql-core (3.3.2) executes each subscription event with ``build_per_event_executor``, a shallow copy of the
subscription's executor. The copy shares the memo of collected subfields (``_relevant_sub_fields``, keyed by
the identity of a list of field details and keeping that list alive) and the stream-usage map, so every event
adds entries for the field lists it collected, which are never reused by later events: about 1 KB per event
for a one-field selection, 2-3 KB for homeTimelineEvents, held until the subscription ends (issue 11,
defect 6). A per-event executor here gets memos of its own, dropped with the event.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from graphql import GraphQLEnumType, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from graph.records import TweetRecord
from resolvers.metrics import LIVE_TWEETS
from resolvers.shared_tweets import Completions, key_of, selection_of
from resolvers.types import TimelineEvent

# The process's completed live tweets (shared by every subscription of the process).
completions = Completions()
_SHARED, _COMPLETED, _ALONE = (LIVE_TWEETS.labels(outcome=o) for o in ("shared", "completed", "alone"))


class PlainField:
    """How to read a plain field: its attribute, its type's serializer, whether null is allowed."""

    __slots__ = ("attribute", "nullable", "serialize")

    def __init__(self, attribute: str, serialize: Any, nullable: bool) -> None:
        self.attribute, self.serialize, self.nullable = attribute, serialize, nullable


def plain_field(parent_type: GraphQLObjectType, name: str) -> PlainField | None:
    """The field's PlainField when it has no resolver, arguments or extensions and its type is a scalar or an
    enum; else None."""
    field = parent_type.fields.get(name)
    if field is None or field.args:
        return None
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition is None
        or not getattr(field.resolve, "_is_default", False)
        or not definition.is_basic_field
    ):
        return None
    leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
        return None
    if definition.default_resolver is not getattr:
        return None
    return PlainField(definition.python_name, leaf.serialize, not isinstance(field.type, GraphQLNonNull))


# Plain fields by (type, field name), found once per schema type (None: not plain).
_plain: dict[tuple[GraphQLObjectType, str], PlainField | None] = {}


class FeedlineExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> Executor:
        executor = super().build_per_event_executor(payload)
        # The memos of this event only (its sub-executors, copies of this one, still share them).
        executor._relevant_sub_fields = {}
        executor._stream_usages = type(self._stream_usages)()
        return executor

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """A plain field read at once; a live event's ``tweet`` from the process's completions when another
        subscriber completed the same selection of the same values; any other field (or value) as graphql-core
        executes it."""
        name = field_details_list[0].node.name.value
        at = (parent_type, name)
        plain = _plain[at] if at in _plain else _plain.setdefault(at, plain_field(parent_type, name))
        middleware = self.middleware_manager
        if plain is not None and (middleware is None or not middleware.middlewares):
            value = _read_plain(plain, source)
            if value is not Undefined:
                return value
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        if type(source) is not TimelineEvent or source.tweet is None or name != "tweet":
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        key = self._shared_key(source.tweet.record, field_details_list)
        if key is not None:
            done = completions.get(key)
            if done is not None:
                _SHARED.inc()
                return done
        errors = len(self.collected_errors.errors)
        completed = super().execute_field(parent_type, source, field_details_list, path, position_context)
        if (
            key is not None
            and completed is not None
            and not self.is_awaitable(completed)
            and len(self.collected_errors.errors) == errors
        ):
            completions.put(key, completed)
            _COMPLETED.inc()
        else:
            _ALONE.inc()
        return completed

    def _shared_key(self, record: TweetRecord, details: FieldDetailsList) -> tuple[Hashable, ...] | None:
        if any(d.fragment_variable_values is not None or d.defer_usage is not None for d in details):
            return None
        selection = selection_of([d.node for d in details], self.fragments)
        context = self.context_value
        loaders = getattr(context, "loaders", None)
        if selection is None or loaders is None:
            return None
        author = None
        if selection.author:
            user = loaders.known_user(record.author_id)
            author = (user, context.people.is_celebrity(user)) if user is not None else None
        liked, reposted = loaders.known_flags(record.id)
        return key_of(selection, record, author, liked, reposted)


def _read_plain(plain: PlainField, source: Any) -> Any:
    """The serialized value of a plain field, or Undefined when anything about it is unusual (the ordinary
    execution then reports it)."""
    try:
        value = getattr(source, plain.attribute)
        if value is None:
            return None if plain.nullable else Undefined
        if isinstance(value, Exception):
            return Undefined
        serialized = plain.serialize(value)
    except Exception:
        return Undefined
    return Undefined if serialized is None else serialized
