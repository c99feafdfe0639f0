"""fanout/client.py: the one Redis client factory reads single-server and cluster URLs."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from fanout.client import (
    FeedlineCluster,
    HiredisPackedConnection,
    cluster_nodes,
    is_cluster,
    is_cluster_url,
    open_redis,
)


def test_cluster_urls_list_their_seed_nodes() -> None:
    url = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001, localhost:7002"
    assert is_cluster_url(url)
    assert cluster_nodes(url) == [("127.0.0.1", 7000), ("127.0.0.1", 7001), ("localhost", 7002)]
    assert cluster_nodes("redis+cluster://user:pw@10.0.0.1:6379/0") == [("10.0.0.1", 6379)]
    assert not is_cluster_url("redis://127.0.0.1:6390/0")


@pytest.mark.parametrize(
    "url", ["redis+cluster://127.0.0.1:7000/3", "redis+cluster://127.0.0.1", "redis+cluster://:7000"]
)
def test_bad_cluster_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        cluster_nodes(url)


async def test_the_factory_opens_the_client_the_url_names() -> None:
    single = open_redis("redis://127.0.0.1:1/0")
    cluster = open_redis("redis+cluster://127.0.0.1:1,127.0.0.1:2")
    try:
        assert isinstance(single, Redis) and not is_cluster(single)
        assert isinstance(cluster, FeedlineCluster) and is_cluster(cluster)
    finally:  # nothing was connected: the clients connect on first use
        await single.aclose()
        await cluster.aclose()


async def test_fcall_is_routed_by_its_keys_without_asking_a_node() -> None:
    cluster = open_redis("redis+cluster://127.0.0.1:1")
    try:
        slot = await cluster._determine_slot("FCALL", "fl_fan_in", 2, "p:tl:{7}", "p:fw:{7}", "arg")
        assert slot == cluster.keyslot("p:tl:{7}")
        with pytest.raises(Exception, match="same key slot"):
            await cluster._determine_slot("FCALL", "fl_fan_in", 2, "p:tl:{7}", "p:tl:{8}")
        assert 0 <= await cluster._determine_slot("FCALL", "fl_publish", 0, "payload", "ch") < 16384
    finally:
        await cluster.aclose()


PACKED_COMMANDS = [
    ("SET", "k", "v"),
    ("ZMSCORE", "p:lk:{7}", b"", bytearray(b"\x00\x07"), memoryview(b"\x01\x02")),  # buffers are copied
    ("CONFIG GET", "maxmemory"),  # a command name of two words is sent as two arguments
    (b"CLIENT SETNAME", b"x"),
    ("ZADD", "k", 0.1, b"m", 1e20, "n", -0.0, "o", 3.141592653589793, "p", 0, "q"),
    ("SET", "ü€ key", "x" * 10_000),  # longer than redis-py's buffer cutoff: it sends it in chunks
    ("FCALL", "fl_fan_in", 1000, *(f"p:tl:{{{i}}}" for i in range(1000)), b"\x00\x01\xfe", 801, -5, 2**60),
]


@pytest.mark.parametrize("command", PACKED_COMMANDS, ids=lambda c: str(c[0]))
def test_hiredis_packs_the_same_bytes_as_redis_py(command: tuple[object, ...]) -> None:
    ours, theirs = HiredisPackedConnection(), Connection()
    assert b"".join(ours.pack_command(*command)) == b"".join(theirs.pack_command(*command))
    assert b"".join(ours.pack_commands([command, command])) == b"".join(
        theirs.pack_commands([command, command])
    )


@pytest.mark.parametrize("bad", [None, True, object()])
def test_an_argument_redis_cannot_take_is_refused_as_redis_py_refuses_it(bad: object) -> None:
    with pytest.raises(DataError):
        HiredisPackedConnection().pack_command("SET", "k", bad)


async def test_every_client_the_factory_opens_packs_with_hiredis() -> None:
    single, pooled = (
        open_redis("redis://127.0.0.1:1/0"),
        open_redis("redis://127.0.0.1:1/0", max_connections=4),
    )
    cluster = open_redis("redis+cluster://127.0.0.1:1")
    try:
        for client in (single, pooled):
            assert client.connection_pool.connection_class is HiredisPackedConnection
        assert all(isinstance(n.acquire_connection(), HiredisPackedConnection) for n in cluster.get_nodes())
        # Nodes discovered later (the slot map names them) are made from these arguments.
        assert cluster.nodes_manager.connection_kwargs["connection_class"] is HiredisPackedConnection
    finally:
        await single.aclose()
        await pooled.aclose()
        await cluster.aclose()
