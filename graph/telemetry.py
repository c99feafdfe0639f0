"""OpenTelemetry helpers shared by the service layers, and spans for Neo4j calls.

Tracing is off unless the composition root (``ops/telemetry.py``, called by ``feedline serve`` and ``feedline worker``) installs a tracer provider and calls
``set_enabled(True)``; while off, every helper here returns at once and nothing is patched, so a process
without ``FEEDLINE_OTLP_ENDPOINT`` pays one boolean test per operation. The trace of a post crosses processes
in the fan-out stream message: ``trace_fields`` puts a W3C ``traceparent`` into it and the worker continues
that trace with ``continued_trace``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Tracer

TRACER_NAME = "feedline"
QUERY_TEXT_MAX = 300

_enabled = False
Fields = TypeVar("Fields", bound=dict[Any, Any])
_inside_execute_query: ContextVar[bool] = ContextVar("feedline_inside_execute_query", default=False)
_originals: dict[tuple[type, str], Any] = {}


def enabled() -> bool:
    return _enabled


def set_enabled(flag: bool) -> None:
    global _enabled
    _enabled = flag


def tracer() -> Tracer:
    return trace.get_tracer(TRACER_NAME)


def trace_fields(fields: Fields) -> Fields:
    """``fields`` (a stream message) with the current trace context added when tracing is on."""
    if _enabled:
        propagate.inject(fields)
    return fields


@contextlib.contextmanager
def continued_trace(carrier: Mapping[Any, Any], name: str, attributes: dict[str, Any]) -> Iterator[None]:
    """A span continuing the trace whose context ``carrier`` (a stream message, bytes or str keys) carries; a
    new trace if it carries none. Nothing when tracing is off."""
    if not _enabled:
        yield
        return
    fields = {_text(k): _text(v) for k, v in carrier.items()}
    parent = propagate.extract(fields)
    with tracer().start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes):
        yield


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- Neo4j ----------------------------------------------------------------------------------------------------
def _query_text(query: Any) -> str:
    text = getattr(query, "text", query)
    return str(text)[:QUERY_TEXT_MAX]


def _span_name(query: Any) -> str:
    words = _query_text(query).split(maxsplit=1)
    return f"neo4j {words[0].upper()}" if words else "neo4j"


def _traced(method: Callable[..., Awaitable[Any]], *, outer: bool) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def wrapper(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if not _enabled or _inside_execute_query.get():
            return await method(self, query, *args, **kwargs)
        attributes = {"db.system": "neo4j", "db.query.text": _query_text(query)}
        with tracer().start_as_current_span(_span_name(query), kind=SpanKind.CLIENT, attributes=attributes):
            token = _inside_execute_query.set(True) if outer else None
            try:
                return await method(self, query, *args, **kwargs)
            finally:
                if token is not None:
                    _inside_execute_query.reset(token)

    return wrapper


def instrument_neo4j() -> None:
    """Spans for ``AsyncDriver.execute_query`` and for queries run in sessions and transactions (the driver
    has no tracing hooks; the official contrib instrumentations do not cover it). Idempotent."""
    from neo4j import AsyncDriver
    from neo4j._async.work.session import AsyncSession
    from neo4j._async.work.transaction import AsyncTransactionBase

    for cls, name, outer in (
        (AsyncDriver, "execute_query", True),
        (AsyncSession, "run", False),
        (AsyncTransactionBase, "run", False),
    ):
        if (cls, name) not in _originals:
            _originals[(cls, name)] = getattr(cls, name)
            setattr(cls, name, _traced(getattr(cls, name), outer=outer))


def uninstrument_neo4j() -> None:
    for (cls, name), original in _originals.items():
        setattr(cls, name, original)
    _originals.clear()
