"""fanout/client.py: the one Redis client factory reads single-server and cluster URLs."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from fanout.client import FeedlineCluster, cluster_nodes, is_cluster, is_cluster_url, open_redis


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
