"""The shared pub/sub hub against the real test Redis."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from api.hub import LiveHub, Subscriber
from fanout.client import is_cluster
from feedline.settings import Settings
from resolvers.live import SlowConsumer


async def _subscribers_of(redis: aioredis.Redis, channel: str) -> int:
    # Counted by the node that owns the channel's slot (on a cluster, other nodes know nothing of it).
    if is_cluster(redis):
        node = redis.get_node_from_key(channel)  # type: ignore[attr-defined]
        return dict(await redis.pubsub_shardnumsub(channel, target_nodes=node))[channel.encode()]  # type: ignore[call-arg]
    return dict(await redis.pubsub_shardnumsub(channel))[channel.encode()]


async def test_one_connection_fans_out_to_many_subscribers(redis: aioredis.Redis, settings: Settings) -> None:
    hub = LiveHub(redis)
    channel = f"{settings.key_prefix}live:tl:1"
    try:
        async with hub.subscriber([channel]) as a, hub.subscriber([channel]) as b:
            assert await _subscribers_of(redis, channel) == 1  # one Redis subscription for both clients
            await redis.spublish(channel, b'{"kind":"NEW"}')
            for sub in (a, b):
                assert await asyncio.wait_for(sub.get(), 2) == (channel, b'{"kind":"NEW"}')
        # SUNSUBSCRIBE is sent without waiting for the reply: wait until Redis has processed it.
        deadline = time.monotonic() + 5
        while await _subscribers_of(redis, channel) != 0:
            assert time.monotonic() < deadline, "the hub did not unsubscribe"
            await asyncio.sleep(0.01)
        assert hub.channel_count == 0
    finally:
        await hub.aclose()


async def test_add_and_remove_channels(redis: aioredis.Redis, settings: Settings) -> None:
    hub = LiveHub(redis)
    tl, celeb = f"{settings.key_prefix}live:tl:2", f"{settings.key_prefix}live:author:9"
    try:
        async with hub.subscriber([tl]) as sub:
            await sub.add([celeb])
            await redis.spublish(celeb, b"c1")
            assert await asyncio.wait_for(sub.get(), 2) == (celeb, b"c1")
            await sub.remove([celeb])
            await redis.spublish(celeb, b"c2")
            await redis.spublish(tl, b"t1")
            assert await asyncio.wait_for(sub.get(), 2) == (tl, b"t1")
    finally:
        await hub.aclose()


async def _take(sub: Subscriber, count: int) -> list[bytes]:
    return [(await sub.get())[1] for _ in range(count)]


async def test_slow_subscriber_is_cut_off(redis: aioredis.Redis, settings: Settings) -> None:
    hub = LiveHub(redis, max_queue=3)
    channel = f"{settings.key_prefix}live:tl:3"
    try:
        async with hub.subscriber([channel]) as slow, hub.subscriber([channel]) as fast:
            for i in range(6):
                await redis.spublish(channel, str(i).encode())
                # The fast reader keeps up: it has each message before the next is published.
                assert await asyncio.wait_for(fast.get(), 3) == (channel, str(i).encode())
            with pytest.raises(SlowConsumer):
                while True:
                    await asyncio.wait_for(slow.get(), 2)
    finally:
        await hub.aclose()


async def test_a_burst_larger_than_the_queue_reaches_subscribers_that_keep_up(
    redis: aioredis.Redis, settings: Settings
) -> None:
    """The reader yields between messages, so consumers that keep up are not cut off by a burst that
    arrives in one read from Redis (only a consumer that really falls behind is)."""
    hub = LiveHub(redis, max_queue=16)
    channel = f"{settings.key_prefix}live:tl:4"
    burst = 1000
    try:
        async with hub.subscriber([channel]) as a, hub.subscriber([channel]) as b:
            readers = [asyncio.create_task(_take(sub, burst)) for sub in (a, b)]
            async with redis.pipeline(transaction=False) as pipe:
                for i in range(burst):
                    pipe.spublish(channel, str(i).encode())
                await pipe.execute()
            for got in await asyncio.wait_for(asyncio.gather(*readers), 10):
                assert got == [str(i).encode() for i in range(burst)]
    finally:
        await hub.aclose()


async def _kill_subscriber_connections(redis: aioredis.Redis, channel: str) -> None:
    # On the node that serves the channel (a Redis restart, or that node failing, as the hub sees it).
    if is_cluster(redis):
        node = redis.get_node_from_key(channel)  # type: ignore[attr-defined]
        await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub", target_nodes=node)  # type: ignore[call-arg]
    else:
        await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")


async def test_a_failed_connection_cuts_its_subscribers_off_and_the_next_one_is_served(
    redis: aioredis.Redis, settings: Settings
) -> None:
    # Whatever is published while the hub's connection is down never reaches it: its subscribers must resume
    # with `after` (cut off), not sit on an open socket that silently skips the gap.
    hub = LiveHub(redis)
    channel = f"{settings.key_prefix}live:tl:{{5}}"
    try:
        async with hub.subscriber([channel]) as before:
            await redis.spublish(channel, b"1")
            assert await asyncio.wait_for(before.get(), 3) == (channel, b"1")
            await _kill_subscriber_connections(redis, channel)
            with pytest.raises(SlowConsumer, match="interrupted"):
                await asyncio.wait_for(before.get(), 5)
            # The resuming client subscribes again before the cut-off one has left: it gets a connection.
            async with hub.subscriber([channel]) as after:
                await redis.spublish(channel, b"2")
                assert await asyncio.wait_for(after.get(), 3) == (channel, b"2")
    finally:
        await hub.aclose()
