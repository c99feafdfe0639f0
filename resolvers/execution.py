"""The execution context of the schema: strawberry's, with a memory leak of subscriptions fixed.

graphql-core (3.3.2) executes each subscription event with ``build_per_event_executor``, a shallow copy of the
subscription's executor. The copy shares the memo of collected subfields (``_relevant_sub_fields``, keyed by
the identity of a list of field details and keeping that list alive) and the stream-usage map, so every event
adds entries for the field lists it collected, which are never reused by later events: about 1 KB per event
for a one-field selection, 2-3 KB for homeTimelineEvents, held until the subscription ends (issue 11,
defect 6). A per-event executor here gets memos of its own, dropped with the event.
"""

from __future__ import annotations

from typing import Any

from graphql.execution.executor import Executor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class BoundedSubscriptionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> Executor:
        executor = super().build_per_event_executor(payload)
        # The memos of this event only (its sub-executors, copies of this one, still share them).
        executor._relevant_sub_fields = {}
        executor._stream_usages = type(self._stream_usages)()
        return executor
