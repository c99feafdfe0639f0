"""The targets `feedline bench` reports against (issue 13): one place for the scenarios that need a target to
run (the offered rate of the open loop) and the report's goals table."""

from __future__ import annotations

HOME_CPU_RATIO = 1.5  # homeTimeline server CPU per request, as a multiple of the bare handler's (floor a)
HOME_REQUESTS_PER_S = 1500.0  # two API processes at saturation, measured with wrk
GOAL_RATE = 500.0  # homeTimeline requests/s offered, open loop, at which p99 is held to HOME_P99_MS
HOME_P99_MS = 20.0
LIVE_CPU_RATIO = 2.0  # API CPU per delivered event, as a multiple of the bare broadcast's (floor b)
LIVE_P99_MS = 100.0  # post -> 1,000 subscribers
FANOUT_FRACTION = {1_000: 0.3, 10_000: 0.5, 50_000: 0.5}  # of the same-run ZADD ceiling, per follower count
PULL_GOAL_FOLLOWS = 400  # hybrid against pull through the same GraphQL path, at 400 follows x 200 tweets
PULL_GOAL_SPEEDUP = 20.0
BYTES_PER_ENTRY = 12.0  # Redis memory per timeline entry
REBUILD_P50_MS = 25.0  # rebuild of an evicted user following 400
IMPORT_FOLLOWS = 10_000_000  # a world of this many follows bulk-loaded into an empty Neo4j
IMPORT_S = 60.0
