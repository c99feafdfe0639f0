"""Request limits checked before execution (depth, aliases, tokens) and the `first` argument range."""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.extensions.base_extension import SchemaExtension

from graph.errors import BadInput

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_DOCUMENT_BYTES = 20_000
FIRST_MIN = 1
FIRST_MAX = 100


def limit_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, so each request gets fresh extension instances."""
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
    ]


def check_first(first: int | None, default: int) -> int:
    value = default if first is None else first
    if not FIRST_MIN <= value <= FIRST_MAX:
        raise BadInput(f"first must be between {FIRST_MIN} and {FIRST_MAX}")
    return value
