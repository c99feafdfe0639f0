"""A Redis Cluster primary killed (SIGKILL) under post load with live subscribers; its replica is promoted.

The killed primary is the one that owns the fan-out stream's slot, so the queue, a third of the timelines and
of the live channels move to the promoted replica at once. Posts answered meanwhile may fail (the slot has no
primary for a couple of seconds), but every post committed in Neo4j must reach every follower's feed (the
outbox relay queues what the API could not), every live client (resuming with ``after`` when its connection
or channel drops) receives every committed tweet exactly once, and every feed equals the pull oracle.

Afterwards the killed node is started again (it rejoins as a replica) and handed its primary role back with
CLUSTER FAILOVER, so the session's cluster keeps its layout for the tests that follow.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable

import pytest
from neo4j import AsyncDriver
from redis.cluster import RedisCluster

from fanout.keys import Keys
from ops.services import ServicePlan, start_redis_cluster
from tests.api.gqlclient import Gql, eventually
from tests.conftest import REDIS_CLUSTER
from tests.faults.load import Load, build_world, wait_feeds_match_oracle
from tests.faults.test_restarts import Resumer, committed_since, top_cursor
from tests.support.processes import Stack
from tests.support.redis_sync import open_sync_redis

pytestmark = pytest.mark.skipif(
    not REDIS_CLUSTER, reason="kills a Redis Cluster primary: runs under FEEDLINE_TEST_REDIS=cluster"
)


def owner_port(plan: ServicePlan, key: str, *, avoid: int | None = None) -> int | None:
    """The port of the primary serving ``key``'s slot, as a fresh client sees the cluster (seeded from nodes
    other than ``avoid``); None while no live primary serves it."""
    seeds = [p for p in plan.redis_cluster_ports if p != avoid]
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in seeds)
    try:
        client: RedisCluster = open_sync_redis(url)
    except Exception:
        return None
    try:
        node = client.get_node_from_key(key)
        if node is None or node.port == avoid:
            return None
        client.ping(target_nodes=node)
        return int(node.port)
    except Exception:
        return None
    finally:
        client.close()


def sigkill_node(plan: ServicePlan, port: int) -> None:
    pid = int((plan.redis_cluster_dir(port) / "redis.pid").read_text().strip())
    os.kill(pid, signal.SIGKILL)


def wait_for(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        time.sleep(0.2)


def restore_primary(plan: ServicePlan, port: int) -> None:
    """Start the killed node again, wait until it is a synced replica, and make it primary again."""
    start_redis_cluster(plan, lambda _: None)
    client = open_sync_redis(f"redis://127.0.0.1:{port}")
    try:

        def synced() -> bool:
            info = client.info("replication")
            return info.get("role") == "slave" and info.get("master_link_status") == "up"

        wait_for(synced, 60, f"node {port} to sync as a replica")
        client.execute_command("CLUSTER", "FAILOVER")
        wait_for(lambda: client.info("replication").get("role") == "master", 30, f"node {port} primary again")
    finally:
        client.close()


async def test_a_killed_primary_loses_no_committed_post_and_no_live_event(
    stack: Stack, gql: Gql, neo4j: AsyncDriver, service_plan: ServicePlan
) -> None:
    world = await build_world(gql, authors=3, followers=4, follows_each=3)
    marks = [int(await gql.post_tweet(a, "before the subscribers")) for a in world.authors]
    resumers = [Resumer(stack.base_url, f, await top_cursor(gql, f)) for f in world.followers]
    stop = asyncio.Event()
    clients = [asyncio.create_task(r.run(stop)) for r in resumers]
    await eventually(lambda: asyncio.sleep(0.1, all(r.connections for r in resumers)), what="subscribers")
    stream_key = Keys(stack.settings.key_prefix).fanout_stream
    victim = owner_port(service_plan, stream_key)
    assert victim is not None
    load = Load(gql, world)
    load.start(posters=3, readers=2)
    killed = False
    try:
        await eventually(lambda: asyncio.sleep(0.2, len(load.posted) >= 10), within=30, what="posts before")
        sigkill_node(service_plan, victim)
        killed = True
        started = time.monotonic()
        promoted = await eventually(
            lambda: asyncio.to_thread(owner_port, service_plan, stream_key, avoid=victim),
            within=30,
            what="a replica promoted",
        )
        print(
            f"primary {victim} killed; replica {promoted} serves its slots after {time.monotonic() - started:.1f}s"
        )
        before = len(load.posted)
        await eventually(
            lambda: asyncio.sleep(0.2, len(load.posted) >= before + 20), within=60, what="posts after"
        )
        await load.stop()
        committed = await committed_since(neo4j, max(marks) + 1)
        acknowledged = {int(t) for t in load.posted}
        assert acknowledged <= committed
        print(f"committed {len(committed)}, acknowledged {len(acknowledged)}; errors: {dict(load.errors)}")

        # Live: every follower follows every author (3 of 3), so each must get every committed tweet, once.
        for _ in range(60):
            if all(committed <= set(r.received) for r in resumers):
                break
            await asyncio.sleep(1)
        await asyncio.sleep(1)  # let a late duplicate show up if there is one
        lost = {
            r.who.handle: sorted(committed - set(r.received)) for r in resumers if committed - set(r.received)
        }
        assert not lost, f"live events lost: {lost}"
        for r in resumers:
            assert len(r.received) == len(set(r.received)), f"duplicates for {r.who.handle}: {r.received}"
            assert set(r.received) <= committed, r.who.handle
        await wait_feeds_match_oracle(gql, neo4j, world)
        assert stack.api.alive(), stack.api.output()[-4000:]
        assert stack.worker.alive(), stack.worker.output()[-4000:]
    finally:
        stop.set()
        await load.stop()
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        if killed:
            await asyncio.to_thread(restore_primary, service_plan, victim)
