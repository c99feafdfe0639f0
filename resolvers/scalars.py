"""The DateTime scalar: ISO-8601 in UTC with milliseconds and a trailing Z."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry


def serialize_datetime(value: datetime) -> str:
    """Render as 2026-11-25T10:15:30.123Z (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


DateTime = NewType("DateTime", datetime)

# Registered through StrawberryConfig.scalar_map in resolvers.schema (passing a class to scalar() is deprecated).
DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 date-time in UTC, e.g. 2026-11-25T10:15:30.123Z.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
