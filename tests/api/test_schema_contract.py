"""The printed schema matches the committed schema.graphql and never breaks the shared contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes, find_dangerous_changes

from resolvers.scalars import parse_datetime, serialize_datetime
from resolvers.schema import print_sdl

REPO_ROOT = Path(__file__).resolve().parents[2]
PRINTED = REPO_ROOT / "schema.graphql"
CONTRACT = REPO_ROOT.parent / "shared" / "schema.graphql"


def test_printed_sdl_matches_committed_schema_file() -> None:
    assert PRINTED.read_text() == print_sdl(), "run: python -c 'from resolvers.schema import print_sdl; ...'"


def test_no_breaking_or_dangerous_change_against_contract() -> None:
    if not CONTRACT.exists():  # the shared contract lives outside the repo; the drift test above still runs
        pytest.fail(f"contract not found at {CONTRACT}")
    old = build_schema(CONTRACT.read_text())
    new = build_schema(print_sdl())
    assert find_breaking_changes(old, new) == []
    assert find_dangerous_changes(old, new) == []


def test_datetime_serializes_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2026, 11, 25, 10, 15, 30, 123456, tzinfo=UTC)
    assert serialize_datetime(moment) == "2026-11-25T10:15:30.123Z"
    shifted = moment.astimezone(timezone(timedelta(hours=2)))
    assert serialize_datetime(shifted) == "2026-11-25T10:15:30.123Z"
    assert parse_datetime("2026-11-25T10:15:30.123Z") == moment.replace(microsecond=123000)
