"""Request limits checked before execution (depth, aliases, tokens) and the checks of `first` and id arguments."""

from __future__ import annotations

from collections.abc import Callable

from graphql.validation import ASTValidationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.types.unset import UnsetType

from graph.errors import BadInput

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_DOCUMENT_BYTES = 20_000
FIRST_MIN = 1
FIRST_MAX = 100
# Parsed documents and validation results are cached per query text (clients send a handful of documents):
# parsing + validating was ~30% of a homeTimeline request's CPU. Bounded LRUs, so unique texts cannot grow
# memory. The limit rules are built once, so the validation cache key (schema, document, rules) repeats.
DOCUMENT_CACHE = 256
_LIMIT_RULES: list[type[ASTValidationRule]] = [depth_rule(MAX_DEPTH, None, None), alias_rule(MAX_ALIASES)]


def limit_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, so each request gets fresh extension instances."""
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE),
        lambda: AddValidationRules(_LIMIT_RULES),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE),
    ]


def check_first(first: int | None, default: int) -> int:
    """The page size asked for (`default` for an explicit null); the one place its range is checked."""
    value = default if first is None else first
    if not FIRST_MIN <= value <= FIRST_MAX:
        raise BadInput(f"first must be between {FIRST_MIN} and {FIRST_MAX}")
    return value


def parse_id(raw: str) -> int:
    """IDs are decimal strings of 53-bit snowflakes."""
    if not raw.isdigit() or len(raw) > 16:
        raise BadInput("id must be a decimal string")
    return int(raw)


def cursor_arg(after: str | UnsetType | None) -> str | None:
    """An `after` argument: None when omitted or null; anything else is parsed as a cursor, so `after: ""` is
    BAD_USER_INPUT like any other malformed cursor (it used to mean "from the top")."""
    return None if after is None or isinstance(after, UnsetType) else after
