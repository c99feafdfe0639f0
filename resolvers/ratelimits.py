"""Per-operation guards run before execution, for every transport (HTTP and both websocket protocols):

- a forged, revoked or expired token is UNAUTHENTICATED for every operation, including those that need no
  viewer (instead of silently answering as anonymous);
- every root field is rate limited by kind (mutation, query, subscription), per user and per client IP,
  through the context's ``rate_limit`` hook (``api.ratelimit.ClientLimits``). Each root field counts once, so
  aliases cannot multiply an operation's work for free. The finer limits of logIn, signUp and postTweet are
  checked by their resolvers on top.

A refused query or mutation answers ``data: null`` with one coded error (RATE_LIMITED carries
``extensions.retryAfter``); a refused subscription gets that error instead of its first event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol, cast

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.errors import FeedlineError, Unauthenticated
from resolvers.context import RequestContext

BAD_TOKEN_MESSAGE = "invalid or expired token"


class OperationLimits(Protocol):
    """What the guard needs of the context's ``rate_limit`` hook (api.ratelimit.ClientLimits)."""

    async def operation(self, kind: str, subject: str, cost: int) -> None: ...


def root_field_count(execution_context: Any) -> int:
    """Root fields the operation selects (through fragments too), without ``__typename``."""
    document = execution_context.graphql_document
    if document is None:
        return 0
    name = execution_context.operation_name
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name is None or (o.name is not None and o.name.value == name)]
    if not chosen:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def count(selection_set: SelectionSetNode, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += selection.name.value != "__typename"
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in seen:
                    total += count(fragment.selection_set, seen | {fragment.name.value})
        return total

    return count(chosen[0].selection_set, frozenset())


class RequestGuards(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        error = await self._refusal()
        if error is not None:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                # Subscriptions ignore a preset result: raising here becomes the stream's only result.
                raise error
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, original_error=error)]
            )
        yield

    async def _refusal(self) -> FeedlineError | None:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            return None
        if context.viewer.bad_token:
            return Unauthenticated(BAD_TOKEN_MESSAGE)
        # What OperationLimits asks, checked by hand: isinstance against a runtime-checkable protocol walks
        # the protocol's attributes on every call (once per operation here).
        if not callable(getattr(context.rate_limit, "operation", None)):
            return None
        limits = cast(OperationLimits, context.rate_limit)
        cost = root_field_count(self.execution_context)
        if cost == 0:
            return None
        viewer = context.viewer.id
        try:
            await limits.operation(
                self.execution_context.operation_type.value, str(viewer) if viewer else "", cost
            )
        except FeedlineError as refused:
            return refused
        return None
