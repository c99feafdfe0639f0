"""Which operation of a document an HTTP request runs, checked on the document strawberry has just parsed (so
parsed once, within the token limit):

- a document of several operations needs an operationName, as the GraphQL spec says (strawberry would
  silently run the first one);
- a subscription is refused: it is served over websockets (executed like a query it would answer a null,
  INTERNAL_SERVER_ERROR, for a non-null field).

Both are raised as strawberry's operation-type errors, which its HTTP view answers with a 400 and the reason
below. Operations over a websocket are left as strawberry runs them.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from resolvers.context import RequestContext


class OperationNameRequired(CannotGetOperationTypeError):
    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "Must provide operation name if query contains multiple operations."


class SubscriptionOverHttp(InvalidOperationTypeError):
    def __init__(self) -> None:
        super().__init__(StrawberryOperationType.SUBSCRIPTION)

    def as_http_error_reason(self, method: str) -> str:
        return "subscriptions are served over websockets at /graphql"


def check_http_operation(document: DocumentNode, operation_name: object) -> None:
    """Raise unless the request selects one operation that HTTP can serve (an unknown operationName is
    strawberry's to refuse)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:
        raise OperationNameRequired()
    selected = [d.operation for d in operations if operation_name in (None, d.name.value if d.name else None)]
    if selected == [OperationType.SUBSCRIPTION]:
        raise SubscriptionOverHttp()


class HttpOperationSelection(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        context = execution.context
        if (
            isinstance(context, RequestContext)
            and context.transport == "http"
            and execution.graphql_document is not None  # None: a syntax error, reported as usual
        ):
            # The operationName as the request gave it (`operation_name` would fall back to the first).
            check_http_operation(execution.graphql_document, execution._provided_operation_name)
