"""fanout/ranking.py: the one trending score (engine, seed, TOP order)."""

from __future__ import annotations

import pytest

from fanout.ranking import MS_PER_HOUR, engagement_from, trending_score, velocity

NOW = 1_750_000_000_000


def test_three_likes_are_worth_four_hours() -> None:
    assert trending_score(NOW, 3) == pytest.approx(trending_score(NOW + 4 * MS_PER_HOUR, 0))


def test_newer_and_more_liked_rank_higher() -> None:
    assert trending_score(NOW + 1, 0) > trending_score(NOW, 0)
    assert trending_score(NOW, 1) > trending_score(NOW, 0)
    assert trending_score(NOW, 100) > trending_score(NOW, 99)


def test_negative_likes_count_as_none() -> None:
    assert trending_score(NOW, -5) == trending_score(NOW, 0)


def test_likes_buy_hours_of_freshness() -> None:
    """The seed and the engine share this scale: 300 likes (2·log2(301) ≈ 16.5 hours) outweigh 12 hours of age
    but not a day; an old tweet with a few likes stays below a new one."""
    assert trending_score(NOW - 12 * MS_PER_HOUR, 300) > trending_score(NOW, 0)
    assert trending_score(NOW - 24 * MS_PER_HOUR, 300) < trending_score(NOW, 0)
    assert trending_score(NOW - 30 * 24 * MS_PER_HOUR, 3) < trending_score(NOW, 0)


def test_a_fresh_post_without_engagement_never_outranks_a_popular_one() -> None:
    assert velocity(NOW, 0, NOW) == 0.0
    assert velocity(NOW - 20 * MS_PER_HOUR, 30, NOW) > velocity(NOW - 60_000, 0, NOW)


def test_velocity_is_engagement_per_hour_and_decays_with_age() -> None:
    assert velocity(NOW - MS_PER_HOUR, 10, NOW) > velocity(NOW - 10 * MS_PER_HOUR, 10, NOW)
    # The same engagement gathered faster ranks higher; more engagement at the same age ranks higher.
    assert velocity(NOW - 2 * MS_PER_HOUR, 40, NOW) > velocity(NOW - 2 * MS_PER_HOUR, 39, NOW)
    assert velocity(NOW - 2 * MS_PER_HOUR, 4, NOW) == pytest.approx(4 / (2 + 2) ** 1.5)


@pytest.mark.parametrize("engagement", [0, 1, 3, 17, 1000, 123_456])
def test_the_stored_score_encodes_the_engagement_exactly(engagement: int) -> None:
    assert engagement_from(trending_score(NOW, engagement), NOW) == engagement
