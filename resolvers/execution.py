"""The execution context of the schema: strawberry's, with a memory leak of subscriptions fixed, and a live
event's tweet completed once for the subscribers it reaches (resolvers/shared_tweets.py).

graphql-core (3.3.2) executes each subscription event with ``build_per_event_executor``, a shallow copy of the
subscription's executor. The copy shares the memo of collected subfields (``_relevant_sub_fields``, keyed by
the identity of a list of field details and keeping that list alive) and the stream-usage map, so every event
adds entries for the field lists it collected, which are never reused by later events: about 1 KB per event
for a one-field selection, 2-3 KB for homeTimelineEvents, held until the subscription ends (issue 11,
defect 6). A per-event executor here gets memos of its own, dropped with the event.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.executor import Executor
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.records import TweetRecord
from resolvers.metrics import LIVE_TWEETS
from resolvers.shared_tweets import Completions, key_of, selection_of
from resolvers.types import TimelineEvent

# The process's completed live tweets (shared by every subscription of the process).
completions = Completions()
_SHARED, _COMPLETED, _ALONE = (LIVE_TWEETS.labels(outcome=o) for o in ("shared", "completed", "alone"))


class BoundedSubscriptionContext(StrawberryGraphQLCoreExecutionContext):
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
        """A live event's ``tweet`` from the process's completions when another subscriber completed the same
        selection of the same values; any other field as graphql-core executes it."""
        if (
            type(source) is not TimelineEvent
            or source.tweet is None
            or field_details_list[0].node.name.value != "tweet"
        ):
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
