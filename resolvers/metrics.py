"""Prometheus metrics of GraphQL execution: latency by operation and errors by code (a schema extension).

The registry lives here, below the API, because the schema's extension records into it; the API adds its own
gauges to the same registry and serves it at /metrics (api/metrics.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Histogram
from strawberry.extensions.base_extension import SchemaExtension

from graph import telemetry

REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "feedline_graphql_request_seconds", "GraphQL operation latency.", ["operation"], registry=REGISTRY
)
ERRORS = Counter(
    "feedline_graphql_errors_total", "GraphQL errors by extensions.code.", ["code"], registry=REGISTRY
)
LIVE_TWEETS = Counter(
    "feedline_live_tweet_completions_total",
    "Live events' tweets by how they were completed: shared (another subscriber's completion of the same "
    "selection and values), completed (and kept for the others), alone (a selection or tweet not shareable).",
    ["outcome"],
    registry=REGISTRY,
)


class OperationMetrics(SchemaExtension):
    """Times each operation and counts its errors by code (runs after CodedErrors has set the codes); with
    tracing on, names the operation's span by its type once the document is parsed."""

    def on_parse(self) -> Iterator[None]:
        yield
        if not telemetry.enabled() or self.execution_context.graphql_document is None:
            return
        try:
            kind = self.execution_context.operation_type.value
        except Exception:  # no such operation, several without a name: strawberry reports it
            return
        name = self.execution_context.operation_name or "anonymous"
        span = trace.get_current_span()
        span.update_name(f"graphql {kind} {name}")
        span.set_attribute("graphql.operation.type", kind)
        span.set_attribute("graphql.operation.name", self.execution_context.operation_name or "")

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        name = self.execution_context.operation_name or "anonymous"
        REQUEST_SECONDS.labels(operation=name[:64]).observe(time.perf_counter() - started)
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            ERRORS.labels(code=str((error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR"))).inc()
