"""The one ranking rule: a tweet's trending score, used by the ``trending`` set (engine and seed alike) and
by the TOP order of the home feed.

Recency in hours plus 2·log2(1 + likes): 3 likes are worth 4 hours of freshness, so a burst of likes lifts a
tweet above newer ones for a while and a new tweet still outranks an old one with a few likes.
"""

from __future__ import annotations

import math

MS_PER_HOUR = 3_600_000


def trending_score(created_ms: int, likes: int) -> float:
    """Score of a tweet created at ``created_ms`` (epoch milliseconds) with ``likes`` likes."""
    return created_ms / MS_PER_HOUR + 2.0 * math.log2(1 + max(0, likes))
