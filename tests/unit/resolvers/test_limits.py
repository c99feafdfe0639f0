"""Argument checks (`first`, ids) and the document limits, run in-process: no query here reaches a resolver."""

from __future__ import annotations

import pytest

from graph.errors import BadInput
from resolvers.limits import FIRST_MAX, FIRST_MIN, MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, check_first, parse_id
from resolvers.schema import schema


@pytest.mark.parametrize(
    ("first", "default", "expected"), [(None, 20, 20), (None, 10, 10), (1, 20, 1), (100, 20, 100)]
)
def test_first_in_range_or_default(first: int | None, default: int, expected: int) -> None:
    assert check_first(first, default) == expected


@pytest.mark.parametrize("first", [FIRST_MIN - 1, -1, FIRST_MAX + 1, 2**31 - 1])
def test_first_out_of_range_is_bad_input(first: int) -> None:
    with pytest.raises(BadInput, match=f"between {FIRST_MIN} and {FIRST_MAX}") as raised:
        check_first(first, 20)
    assert raised.value.code == "BAD_USER_INPUT"


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("42", 42), ("9" * 16, int("9" * 16))])
def test_ids_are_decimal_strings(raw: str, expected: int) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "-1", "+1", "1.5", "0x1f", "abc", " 1", "1 ", "9" * 17])
def test_malformed_ids_are_bad_input(raw: str) -> None:
    with pytest.raises(BadInput, match="decimal string"):
        parse_id(raw)


def _nested(levels: int) -> str:
    return "{ viewer { " + "followers { edges { node { " * levels + "id" + " } } }" * levels + " } }"


async def _codes_and_messages(query: str) -> list[tuple[str, str]]:
    result = await schema.execute(query)
    assert result.data is None, result.data
    assert result.errors
    return [((e.extensions or {}).get("code", ""), e.message) for e in result.errors]


async def test_depth_limit() -> None:
    # viewer (1) + followers/edges/node per level (3 each): depth 1 + 3 * levels
    within = await schema.execute(_nested((MAX_DEPTH - 1) // 3))
    assert not [e for e in within.errors or [] if "depth" in e.message]
    errors = await _codes_and_messages(_nested(MAX_DEPTH // 3 + 1))
    assert errors and all(code == "BAD_USER_INPUT" for code, _ in errors)
    assert any("exceeds maximum operation depth" in message for _, message in errors)


async def test_alias_limit() -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }"
    errors = await _codes_and_messages(query)
    assert [code for code, _ in errors] == ["BAD_USER_INPUT"]
    assert "aliases" in errors[0][1]
    ok = await schema.execute("{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES)) + " }")
    assert ok.errors is None


async def test_token_limit_is_a_syntax_error() -> None:
    # Raised by the parse inside ParserCache's hook, so it misses CodedErrors; the API's process_result codes
    # it (tests/unit/api).
    result = await schema.execute("{ " + "__typename " * MAX_TOKENS + "}")
    assert result.errors and len(result.errors) == 1
    assert f"more than {MAX_TOKENS} tokens" in result.errors[0].message


async def test_unknown_field_is_bad_user_input() -> None:
    assert [code for code, _ in await _codes_and_messages("{ nope }")] == ["BAD_USER_INPUT"]
