"""A synchronous Redis client for test set-up and teardown outside the event loop (module fixtures).

The code under test only uses ``fanout.client.open_redis`` (asyncio); a sync fixture needs the same choice
between a single server and a cluster, from the same URL, or a helper that scans one node sees a fraction of a
cluster's keys and a multi-key DEL fails with CROSSSLOT.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.cluster import ClusterNode, RedisCluster

from fanout.client import cluster_nodes, is_cluster_url


def open_sync_redis(url: str) -> Any:
    """``redis.Redis`` for a server URL, ``RedisCluster`` for ``redis+cluster://`` (scan_iter visits every
    primary; DEL of many keys is split per slot)."""
    if is_cluster_url(url):
        return RedisCluster(startup_nodes=[ClusterNode(host, port) for host, port in cluster_nodes(url)])
    return redis.Redis.from_url(url)
