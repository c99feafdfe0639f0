"""The one Redis client factory: a single server or a Redis Cluster, from one URL.

``redis://host:port/db`` (or ``rediss://``, ``unix://``) opens redis-py's ``Redis``;
``redis+cluster://host:port[,host:port...]`` opens its cluster client (the listed nodes are only the seeds
of the slot map; a database number is refused, since a cluster has only database 0). Everything above
takes the result as a ``RedisClient``: the small protocol both clients meet, so no module needs to know
which one it has. Code that must behave differently on a cluster (the store's per-slot grouping, the
hub's sharded subscriptions) asks ``is_cluster``.
"""

from __future__ import annotations

import random
from typing import Any, Protocol
from urllib.parse import urlsplit

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.cluster import REDIS_CLUSTER_HASH_SLOTS
from redis.connection import HiredisRespSerializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException

CLUSTER_SCHEME = "redis+cluster"


class RedisClient(Protocol):
    """What Feedline calls on a Redis client: both ``redis.asyncio.Redis`` and ``RedisCluster`` meet it.

    The commands are declared loosely (``*args, **kwargs``): their exact signatures are redis-py's, shared by
    both clients through the same command mixins; what this protocol pins down is which commands the code
    may rely on, so a call that only one of the two clients has fails type checking."""

    def pipeline(self, *args: Any, **kwargs: Any) -> Any: ...
    def pubsub(self, *args: Any, **kwargs: Any) -> Any: ...
    async def aclose(self) -> None: ...
    def execute_command(self, *args: Any, **kwargs: Any) -> Any: ...
    def fcall(self, *args: Any, **kwargs: Any) -> Any: ...
    def function_load(self, *args: Any, **kwargs: Any) -> Any: ...
    def spublish(self, *args: Any, **kwargs: Any) -> Any: ...
    def ping(self, *args: Any, **kwargs: Any) -> Any: ...
    def pttl(self, *args: Any, **kwargs: Any) -> Any: ...
    def ttl(self, *args: Any, **kwargs: Any) -> Any: ...
    def incrby(self, *args: Any, **kwargs: Any) -> Any: ...
    def xinfo_groups(self, *args: Any, **kwargs: Any) -> Any: ...
    def get(self, *args: Any, **kwargs: Any) -> Any: ...
    def set(self, *args: Any, **kwargs: Any) -> Any: ...
    def delete(self, *args: Any, **kwargs: Any) -> Any: ...
    def exists(self, *args: Any, **kwargs: Any) -> Any: ...
    def expire(self, *args: Any, **kwargs: Any) -> Any: ...
    def incr(self, *args: Any, **kwargs: Any) -> Any: ...
    def sadd(self, *args: Any, **kwargs: Any) -> Any: ...
    def srem(self, *args: Any, **kwargs: Any) -> Any: ...
    def smembers(self, *args: Any, **kwargs: Any) -> Any: ...
    def sismember(self, *args: Any, **kwargs: Any) -> Any: ...
    def smismember(self, *args: Any, **kwargs: Any) -> Any: ...
    def scard(self, *args: Any, **kwargs: Any) -> Any: ...
    def zrange(self, *args: Any, **kwargs: Any) -> Any: ...
    def zrevrange(self, *args: Any, **kwargs: Any) -> Any: ...
    def zrem(self, *args: Any, **kwargs: Any) -> Any: ...
    def zcard(self, *args: Any, **kwargs: Any) -> Any: ...
    def zmscore(self, *args: Any, **kwargs: Any) -> Any: ...
    def hget(self, *args: Any, **kwargs: Any) -> Any: ...
    def hset(self, *args: Any, **kwargs: Any) -> Any: ...
    def xadd(self, *args: Any, **kwargs: Any) -> Any: ...
    def xack(self, *args: Any, **kwargs: Any) -> Any: ...
    def xlen(self, *args: Any, **kwargs: Any) -> Any: ...
    def xpending(self, *args: Any, **kwargs: Any) -> Any: ...
    def xreadgroup(self, *args: Any, **kwargs: Any) -> Any: ...
    def xautoclaim(self, *args: Any, **kwargs: Any) -> Any: ...
    def xgroup_create(self, *args: Any, **kwargs: Any) -> Any: ...
    def xgroup_delconsumer(self, *args: Any, **kwargs: Any) -> Any: ...
    def xinfo_consumers(self, *args: Any, **kwargs: Any) -> Any: ...


class HiredisPackedConnection(aioredis.Connection):
    """redis-py's asyncio connection with its commands packed by redis-py's own ``HiredisRespSerializer``
    (hiredis's C ``pack_command``), as its synchronous client packs them when hiredis is installed; the asyncio
    connection packs in Python, about 2 µs an argument. A fan-out page is one call with a key per follower:
    1,000 keys took 1.95 ms to pack against 0.14 ms, the same bytes (tests/unit)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        # Most commands go straight to hiredis: the serializer's own checks (a command name of two words,
        # buffers to copy) cost 2 µs a command against hiredis's 0.85, and a live event's subscribers' flag
        # reads are thousands of small commands. What hiredis refuses takes the serializer's way.
        first = args[0]
        if type(first) is str and " " not in first:
            try:
                return [hiredis.pack_command(args)]
            except TypeError:
                pass
        return _HIREDIS_PACKER.pack(*args)


_HIREDIS_PACKER = HiredisRespSerializer()


class FeedlineCluster(RedisCluster):
    """redis-py's cluster client, routing FCALL by its declared keys locally.

    FCALL has "movable keys", for which redis-py asks a node (COMMAND GETKEYS) before every call: one extra
    round trip per call, and per group of a fan-out page. The keys are simply the ``numkeys`` arguments after
    the function name, as redis-py already does for EVAL."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The nodes it discovers get their connections from these arguments, whose class redis-py fixes.
        self.nodes_manager.connection_kwargs["connection_class"] = HiredisPackedConnection

    async def _determine_slot(self, command: str, *args: Any) -> int:
        if command.upper() in ("FCALL", "FCALL_RO") and len(args) >= 2:
            keys = args[2 : 2 + int(args[1])]
            if not keys:  # a function without keys runs anywhere
                return random.randrange(0, REDIS_CLUSTER_HASH_SLOTS)
            slots = {self.keyslot(key) for key in keys}
            if len(slots) != 1:
                raise RedisClusterException(f"{command} - all keys must map to the same key slot")
            return slots.pop()
        return await super()._determine_slot(command, *args)


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme == CLUSTER_SCHEME


def cluster_nodes(url: str) -> list[tuple[str, int]]:
    """The seed nodes of a ``redis+cluster://host:port[,host:port...]`` URL."""
    parts = urlsplit(url)
    if parts.path not in ("", "/", "/0"):
        raise ValueError(f"a Redis Cluster has only database 0: {url!r}")
    nodes = []
    for item in parts.netloc.rsplit("@", 1)[-1].split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"cluster node {item!r} is not host:port in {url!r}")
        nodes.append((host, int(port)))
    return nodes


def open_redis(url: str, *, max_connections: int | None = None, pool_timeout_s: float | None = None) -> Any:
    """A client for ``url``: ``Redis`` (from a blocking pool when ``max_connections`` is given: a burst then
    waits for a connection instead of failing) or ``FeedlineCluster`` (``max_connections`` per node).

    Typed ``Any`` so that callers may hold it as a ``RedisClient`` or, in tools and tests, as the concrete
    client they asked for."""
    if is_cluster_url(url):
        parts = urlsplit(url)
        return FeedlineCluster(
            startup_nodes=[
                ClusterNode(host, port, connection_class=HiredisPackedConnection)
                for host, port in cluster_nodes(url)
            ],
            username=parts.username,
            password=parts.password,
            max_connections=max_connections or 2**31,
            decode_responses=False,
        )
    if max_connections is None:
        # (A rediss:// or unix:// URL names its own connection class, which keeps redis-py's packing.)
        return aioredis.Redis.from_url(url, decode_responses=False, connection_class=HiredisPackedConnection)
    # One immediate retry on a broken connection: after a Redis restart the pool still holds connections to
    # the old process, and redis-py's check when handing one out does not always see that it is closed (a
    # pool built by hand gets no retry policy, unlike ``from_url``'s client). Without it the first request
    # after a restart could fail with SERVICE_UNAVAILABLE although Redis was back. A refused reconnect still
    # fails at once: the API's circuit, not retries, is what keeps an outage fast.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout_s,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
        connection_class=HiredisPackedConnection,
    )
    return aioredis.Redis.from_pool(pool)


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)
