"""The one ranking rule: engagement velocity with time decay, used by the ``trending`` query (engine and seed
alike) and by the TOP order of the home feed.

``velocity``: engagement (likes + reposts) per hour since posting, with gravity, as Hacker News ranks:
``engagement / (age_hours + 2) ** 1.5``. A fresh post with no engagement scores 0 and never outranks a popular
one; a popular post sinks as it ages.

A velocity depends on the time of reading, so it cannot be a stored sorted-set score. The ``trending`` set
stores ``trending_score`` instead: recency in hours plus 2·log2(1 + engagement), which never changes while
engagement does not, orders candidates for the set's cap (a burst lifts a tweet above newer ones for a while)
and encodes the engagement exactly, so a read recovers it (``engagement_from``) and ranks the set by velocity
at that moment (fanout/store.py: ``TimelineStore.trending_ids``).
"""

from __future__ import annotations

import math

MS_PER_HOUR = 3_600_000
VELOCITY_OFFSET_H = 2.0  # a post's first hours count as two more, so one early like is not a huge velocity
GRAVITY = 1.5


def trending_score(created_ms: int, likes: int) -> float:
    """Stored score of a tweet created at ``created_ms`` (epoch milliseconds) with ``likes`` engagements."""
    return created_ms / MS_PER_HOUR + 2.0 * math.log2(1 + max(0, likes))


def engagement_from(score: float, created_ms: int) -> int:
    """The engagement a ``trending_score`` was computed with (the inverse of the score)."""
    return max(0, round(2.0 ** ((score - created_ms / MS_PER_HOUR) / 2.0) - 1))


def velocity(created_ms: int, engagement: int, now_ms: int) -> float:
    """Engagement per hour since posting, with gravity (see the module docstring)."""
    age_h = max(0.0, (now_ms - created_ms) / MS_PER_HOUR)
    return max(0, engagement) / (age_h + VELOCITY_OFFSET_H) ** GRAVITY
