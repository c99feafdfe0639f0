"""Live memory per subscription is bounded whatever it has delivered (issue 11, defect 6).

graphql-core's per-event executors shared a memo with the subscription's executor, which grew by about 1 KB
per event (2-3 KB for homeTimelineEvents) until the subscription ended; resolvers/execution.py gives each event
memos of its own. Measured with tracemalloc over thousands of events through the schema's execution context."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncGenerator

import strawberry

from resolvers.execution import FeedlineExecutionContext
from resolvers.schema import schema as feedline_schema

EVENTS = 4000


@strawberry.type
class Tweet:
    id: strawberry.ID
    text: str


@strawberry.type
class Event:
    kind: str
    tweet: Tweet


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self) -> AsyncGenerator[Event, None]:
        n = 0
        while True:
            n += 1
            yield Event(kind="NEW", tweet=Tweet(id=strawberry.ID(str(n)), text="hello"))


async def growth_per_event(execution_context_class: type | None) -> float:
    schema = strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=execution_context_class
    )
    stream = await schema.subscribe("subscription { events { kind tweet { id text } } }")
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    tracemalloc.start()
    try:
        n, baseline = 0, 0
        async for result in stream:
            assert not result.errors
            n += 1
            if n == 500:
                gc.collect()
                baseline = tracemalloc.get_traced_memory()[0]
            if n == 500 + EVENTS:
                gc.collect()
                return (tracemalloc.get_traced_memory()[0] - baseline) / EVENTS
    finally:
        tracemalloc.stop()
        await stream.aclose()
    raise AssertionError("the subscription ended")


async def test_the_schema_uses_the_bounded_execution_context() -> None:
    assert feedline_schema.execution_context_class is FeedlineExecutionContext


async def test_memory_per_event_is_flat() -> None:
    assert await growth_per_event(FeedlineExecutionContext) < 50  # bytes per event: noise only


async def test_the_pinned_graphql_core_still_leaks_without_it() -> None:
    # If this fails, graphql-core fixed the leak and resolvers/execution.py can go.
    assert await growth_per_event(None) > 300
