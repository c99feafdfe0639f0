"""The live subscriptions' state checks fall on a shared grid, so those of one process share a pipeline."""

from __future__ import annotations

import pytest

from resolvers.live import LIVENESS_CHECK_S, next_liveness_check


@pytest.mark.parametrize("now", [0.0, 0.1, 4.999, 5.0, 12345.678])
def test_the_next_check_is_the_next_multiple_of_the_period(now: float) -> None:
    at = next_liveness_check(now)
    assert now < at <= now + LIVENESS_CHECK_S
    assert at / LIVENESS_CHECK_S == pytest.approx(round(at / LIVENESS_CHECK_S))


def test_subscriptions_started_at_different_times_check_together() -> None:
    assert len({next_liveness_check(t) for t in (10.2, 11.7, 13.0, 14.99)}) == 1
