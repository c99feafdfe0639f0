"""Traces (OpenTelemetry, exported with OTLP/HTTP) and JSON-lines logs for `feedline serve` and `worker`.

Tracing is set up only when ``FEEDLINE_OTLP_ENDPOINT`` is set (or a test passes an exporter): then GraphQL
operations (api/graphql_view.py), Redis commands (the official redis instrumentation, redis.asyncio
included), Neo4j queries (graph/telemetry.py) and the worker's fan-out of a post (continuing the post's trace
from its stream message) become spans. Otherwise nothing is imported beyond the API package, nothing patched.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from graph import telemetry

_provider: TracerProvider | None = None


def setup_tracing(
    service_name: str, endpoint: str = "", exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Install tracing if ``endpoint`` (OTLP/HTTP base URL or its /v1/traces URL) or ``exporter`` is given; the
    provider, or None (tracing stays off). An exporter given directly is flushed per span (tests)."""
    global _provider
    if not endpoint and exporter is None:
        return None
    if _provider is None:
        # The global provider can be set once per process; later calls (tests) add processors to it.
        _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        trace.set_tracer_provider(_provider)
    if exporter is not None:
        _provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        url = endpoint if endpoint.rstrip("/").endswith("/v1/traces") else endpoint.rstrip("/") + "/v1/traces"
        _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    instrumentor = RedisInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=_provider, response_hook=_mark_redis_span)
    telemetry.instrument_neo4j()
    telemetry.set_enabled(True)
    return _provider


def _mark_redis_span(span: Any, instance: Any, response: Any) -> None:
    """``db.system = redis`` on every Redis span: the instrumentation takes it from a connection pool, which
    a cluster client has none of (one pool per node), so a cluster's spans would otherwise not say what they
    are."""
    if span.is_recording():
        span.set_attribute("db.system", "redis")


def shutdown_tracing() -> None:
    """Stop creating spans and undo the instrumentation (the provider stays: OpenTelemetry sets it once)."""
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    telemetry.set_enabled(False)
    telemetry.uninstrument_neo4j()
    instrumentor = RedisInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    if _provider is not None:
        _provider.force_flush()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the current trace and span ids (when a span is
    recording) and the exception's traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Root logging for `feedline serve` and `worker`: JSON lines (default) or plain text, on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
