"""Plain fields read at once (resolvers/execution.py) against graphql-core's ordinary execution of them.

A small schema of its own (pure logic: no service behind it) holds every kind of field the fast path takes or
leaves, and every unusual value it must hand back to the ordinary execution; both execution contexts must
answer the same data and the same errors.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, NewType

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers import execution
from resolvers.execution import FeedlineExecutionContext
from resolvers.scalars import DATETIME_SCALAR, DateTime


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


def _refuse(value: object) -> str:
    raise ValueError(f"cannot serialize {value!r}")


Picky = NewType("Picky", str)
PICKY = strawberry.scalar(name="Picky", serialize=_refuse, parse_value=str)


@strawberry.type
class Thing:
    name: str
    count: int
    ratio: float
    flag: bool
    ident: strawberry.ID
    colour: Colour
    when: DateTime
    maybe: str | None
    required: str  # None in one of the things: the ordinary execution reports it
    picky: Picky | None
    tags: list[str]
    wrong_type: int  # a string in one of the things: the scalar refuses it

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError("resolver failed")


def _thing(i: int, **unusual: Any) -> Thing:
    values: dict[str, Any] = {
        "name": f"t{i}", "count": i, "ratio": i / 3, "flag": bool(i % 2), "ident": strawberry.ID(str(i)),
        "colour": Colour.RED if i % 2 else Colour.BLUE, "when": DateTime(datetime(2026, 12, 1, i, tzinfo=UTC)),
        "maybe": None if i % 2 else "m", "required": "r", "picky": None, "tags": ["a", "b"], "wrong_type": i,
    }  # fmt: skip
    values.update(unusual)
    return Thing(**values)


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [
            _thing(1),
            _thing(2),
            _thing(3, required=None),
            _thing(4, picky="p"),
            _thing(5, wrong_type="x"),
        ]

    @strawberry.field
    def nullable_things(self) -> list[Thing | None]:
        return [_thing(6, required=None), _thing(7)]


QUERY = """{
  things { name count ratio flag ident colour when maybe picky tags shout broken alias: name __typename }
  nullableThings { name required wrongType }
}"""
FAILING = "{ things { required } }", "{ things { wrongType } }"


def _schema(context_class: type) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(scalar_map={DateTime: DATETIME_SCALAR, Picky: PICKY}),
        execution_context_class=context_class,
    )


def _outcome(result: Any) -> tuple[Any, list[tuple[str, list[Any] | None]]]:
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


@pytest.mark.parametrize("query", [QUERY, *FAILING])
async def test_plain_fields_answer_as_the_ordinary_execution_does(query: str) -> None:
    execution._plain.clear()
    fast = await _schema(FeedlineExecutionContext).execute(query)
    ordinary = await _schema(StrawberryGraphQLCoreExecutionContext).execute(query)
    assert _outcome(fast) == _outcome(ordinary)


async def test_only_plain_leaf_fields_take_the_fast_way() -> None:
    execution._plain.clear()
    result = await _schema(FeedlineExecutionContext).execute(QUERY)
    assert result.data is not None
    plain = {name for (parent, name), how in execution._plain.items() if parent.name == "Thing" and how}
    assert plain == {
        "name", "count", "ratio", "flag", "ident", "colour", "when", "maybe", "picky", "required", "wrongType"
    }  # fmt: skip
    assert result.data["things"][0]["colour"] == "RED" and result.data["things"][0]["when"].endswith("Z")
