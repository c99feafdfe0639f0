"""Which operation an HTTP request may run: checked on strawberry's parsed document (resolvers/operations.py)."""

from __future__ import annotations

import pytest
from graphql import parse
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from resolvers.operations import OperationNameRequired, SubscriptionOverHttp, check_http_operation
from resolvers.schema import schema
from tests.unit.resolvers.fakes import context

TWO_QUERIES = "query A { __typename } query B { __typename }"
MIXED = "subscription S { homeTimelineEvents { kind } } query Q { __typename }"


@pytest.mark.parametrize(
    ("document", "name"),
    [
        ("{ __typename }", None),
        ("query A { __typename }", None),
        ("query A { __typename }", "Nope"),  # strawberry refuses an unknown name itself
        (TWO_QUERIES, "B"),
        (MIXED, "Q"),
        ("query A { __typename } fragment F on Query { __typename }", None),  # fragments are not operations
        (
            "query A { __typename } subscription A { homeTimelineEvents { kind } }",
            "A",
        ),  # validation's to refuse
    ],
)
def test_one_servable_operation_passes(document: str, name: str | None) -> None:
    check_http_operation(parse(document), name)


@pytest.mark.parametrize("document", [TWO_QUERIES, MIXED, "{ __typename } { __typename }"])
def test_several_operations_need_a_name(document: str) -> None:
    with pytest.raises(OperationNameRequired) as raised:
        check_http_operation(parse(document), None)
    assert isinstance(raised.value, CannotGetOperationTypeError)  # what strawberry's view answers with a 400
    assert raised.value.as_http_error_reason() == (
        "Must provide operation name if query contains multiple operations."
    )


@pytest.mark.parametrize(
    ("document", "name"), [("subscription { homeTimelineEvents { kind } }", None), (MIXED, "S")]
)
def test_subscriptions_are_refused(document: str, name: str | None) -> None:
    with pytest.raises(SubscriptionOverHttp) as raised:
        check_http_operation(parse(document), name)
    assert isinstance(raised.value, InvalidOperationTypeError)
    assert raised.value.as_http_error_reason("POST") == "subscriptions are served over websockets at /graphql"


async def test_the_schema_checks_http_requests() -> None:
    with pytest.raises(OperationNameRequired):
        await schema.execute(TWO_QUERIES, context_value=context())
    with pytest.raises(SubscriptionOverHttp):
        await schema.execute(MIXED, operation_name="S", context_value=context())
    chosen = await schema.execute(TWO_QUERIES, operation_name="B", context_value=context())
    assert chosen.errors is None and chosen.data == {"__typename": "Query"}


async def test_the_check_runs_after_the_token_limit() -> None:
    """A document over the token limit is refused by the (bounded) parse, never parsed again for the check."""
    huge = "query A { " + "a: __typename " * 1000 + "} query B { __typename }"
    result = await schema.execute(huge, context_value=context())
    assert result.errors and "tokens" in result.errors[0].message


async def test_websocket_operations_are_left_to_strawberry() -> None:
    result = await schema.execute(TWO_QUERIES, context_value=context(transport="websocket"))
    assert result.errors is None and result.data == {"__typename": "Query"}
