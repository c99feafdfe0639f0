"""Redis Cluster topology changes under post load with live subscribers: a primary killed (its replica
promoted), and slots migrated with ``redis-cli --cluster reshard``.

Both hit the node that owns the slot of the fan-out queue's shard 0 and of the shard of one posting author
at least (the queue is FANOUT_SHARDS streams, a job in its author's), so the queue, a share of the timelines
and of the live channels move at once. Posts answered meanwhile may fail (during a failover the slot has no primary for a
few seconds), but every post committed in Neo4j must reach every follower's feed (the outbox relay queues
what the API could not), every live client (resuming with ``after`` when its connection or channel drops)
receives every committed tweet exactly once, and every feed equals the pull oracle.

Afterwards the cluster is put back (the killed node rejoins and gets its primary role back; the slots are
rebalanced), so the session's cluster stays usable for the tests that follow.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from neo4j import AsyncDriver
from redis.cluster import RedisCluster
from redis.crc import key_slot

from fanout.keys import Keys, fanout_shard
from ops.services import ServicePlan, start_redis_cluster
from tests.api.gqlclient import Gql, eventually
from tests.conftest import REDIS_CLUSTER
from tests.faults.load import Load, World, build_world, wait_feeds_match_oracle
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


@dataclass
class Scenario:
    """Subscribers and load running on ``stack``; ``check`` stops the load and asserts the outcome."""

    stack: Stack
    gql: Gql
    neo4j: AsyncDriver
    world: World
    marks: list[int]
    resumers: list[Resumer]
    load: Load
    stop: asyncio.Event
    clients: list[asyncio.Task[None]]

    @classmethod
    async def start(
        cls,
        stack: Stack,
        gql: Gql,
        neo4j: AsyncDriver,
        *,
        follower_in: Callable[[int], bool] | None = None,
        author_in: Callable[[int], bool] | None = None,
    ) -> Scenario:
        """``follower_in``: a test on the slots of a user id that one follower at least must pass (more
        followers of every author are signed up until one does), so that its live channel is affected.
        ``author_in``: the same for one author at least (more authors, followed by every follower), so that
        the queue shard of its posts is affected."""
        world = await build_world(gql, authors=3, followers=4, follows_each=3)
        while author_in is not None and not any(author_in(int(a.id)) for a in world.authors):
            extra = await gql.sign_up()
            for follower in world.followers:
                await gql.follow(follower, extra)
            world.authors.append(extra)
        while follower_in is not None and not any(follower_in(int(f.id)) for f in world.followers):
            extra = await gql.sign_up()
            for author in world.authors:
                await gql.follow(extra, author)
            world.followers.append(extra)
        marks = [int(await gql.post_tweet(a, "before the subscribers")) for a in world.authors]
        resumers = [Resumer(stack.base_url, f, await top_cursor(gql, f)) for f in world.followers]
        stop = asyncio.Event()
        clients = [asyncio.create_task(r.run(stop)) for r in resumers]
        await eventually(lambda: asyncio.sleep(0.1, all(r.connections for r in resumers)), what="subscribers")
        load = Load(gql, world)
        load.start(posters=3, readers=2)
        await eventually(lambda: asyncio.sleep(0.2, len(load.posted) >= 10), within=30, what="posts before")
        return cls(stack, gql, neo4j, world, marks, resumers, load, stop, clients)

    async def more_posts(self, count: int) -> None:
        before = len(self.load.posted)
        await eventually(
            lambda: asyncio.sleep(0.2, len(self.load.posted) >= before + count), within=60, what="posts after"
        )

    async def check(self) -> None:
        await self.load.stop()
        committed = await committed_since(self.neo4j, max(self.marks) + 1)
        acknowledged = {int(t) for t in self.load.posted}
        assert acknowledged <= committed
        print(
            f"committed {len(committed)}, acknowledged {len(acknowledged)}; errors: {dict(self.load.errors)}"
        )
        # Live: every follower follows every author (3 of 3), so each must get every committed tweet, once.
        for _ in range(60):
            if all(committed <= set(r.received) for r in self.resumers):
                break
            await asyncio.sleep(1)
        await asyncio.sleep(1)  # let a late duplicate show up if there is one
        lost = {
            r.who.handle: sorted(committed - set(r.received))
            for r in self.resumers
            if committed - set(r.received)
        }
        assert not lost, f"live events lost: {lost}"
        for r in self.resumers:
            assert len(r.received) == len(set(r.received)), f"duplicates for {r.who.handle}: {r.received}"
            assert set(r.received) <= committed, r.who.handle
        print(f"live reconnections: {[r.connections - 1 for r in self.resumers]}")
        await wait_feeds_match_oracle(self.gql, self.neo4j, self.world)
        assert self.stack.api.alive(), self.stack.api.output()[-4000:]
        assert self.stack.worker.alive(), self.stack.worker.output()[-4000:]

    async def end(self) -> None:
        self.stop.set()
        await self.load.stop()
        for task in self.clients:
            task.cancel()
        await asyncio.gather(*self.clients, return_exceptions=True)


async def test_a_killed_primary_loses_no_committed_post_and_no_live_event(
    stack: Stack, gql: Gql, neo4j: AsyncDriver, service_plan: ServicePlan
) -> None:
    keys = Keys(stack.settings.key_prefix)
    stream_key = keys.fanout_stream(0)
    victim = owner_port(service_plan, stream_key)
    assert victim is not None
    victim_slots = owned_slots(victim)
    scenario = await Scenario.start(
        stack,
        gql,
        neo4j,
        author_in=lambda uid: key_slot(keys.fanout_stream(fanout_shard(uid)).encode()) in victim_slots,
    )
    killed = False
    try:
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
        await scenario.more_posts(20)
        await scenario.check()
    finally:
        await scenario.end()
        if killed:
            await asyncio.to_thread(restore_primary, service_plan, victim)


def cluster_cli(port: int, *args: str) -> str:
    proc = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def owned_slots(port: int) -> set[int]:
    """The slots the primary on ``port`` serves (redis-cli reshard moves a source's lowest slots first)."""
    for line in cluster_cli(port, "cluster", "nodes").splitlines():
        fields = line.split()
        if "myself" in fields[2]:
            slots: set[int] = set()
            for item in fields[8:]:
                if item.startswith("["):
                    continue  # a slot being migrated or imported: not counted as owned
                low, _, high = item.partition("-")
                slots.update(range(int(low), int(high or low) + 1))
            return slots
    raise AssertionError(f"node {port} not in its own CLUSTER NODES")


async def test_a_resharded_slot_loses_no_committed_post_and_no_live_event(
    stack: Stack, gql: Gql, neo4j: AsyncDriver, service_plan: ServicePlan
) -> None:
    """The slot of the fan-out queue's shard 0 and of a posting author's shard (and the source node's lower
    slots with them) move to another primary with ``redis-cli --cluster reshard`` while posts, reads and live
    subscriptions run."""
    keys = Keys(stack.settings.key_prefix)
    stream_key = keys.fanout_stream(0)
    source = owner_port(service_plan, stream_key)
    assert source is not None
    target = next(p for p in service_plan.redis_cluster_ports if p != source and is_primary(p))
    source_slots = owned_slots(source)

    def shard_slot(uid: int) -> int:
        return key_slot(keys.fanout_stream(fanout_shard(uid)).encode())

    # The slots to move: up to shard 0's, a posting author's shard's and at least one live follower's (see
    # Scenario.start), so the queue and a live channel both change node under load.
    scenario = await Scenario.start(
        stack,
        gql,
        neo4j,
        follower_in=lambda uid: key_slot(keys.live_timeline(uid).encode()) in source_slots,
        author_in=lambda uid: shard_slot(uid) in source_slots,
    )
    follower_slots = [key_slot(keys.live_timeline(int(r.who.id)).encode()) for r in scenario.resumers]
    author_slots = [shard_slot(int(a.id)) for a in scenario.world.authors]
    last = max(
        [key_slot(stream_key.encode()), *(s for s in [*follower_slots, *author_slots] if s in source_slots)]
    )
    count = sum(1 for s in source_slots if s <= last)
    moved_followers = [
        r for r, s in zip(scenario.resumers, follower_slots, strict=True) if s in source_slots and s <= last
    ]
    source_id = cluster_cli(source, "cluster", "myid").strip()
    target_id = cluster_cli(target, "cluster", "myid").strip()
    moved = False
    try:
        started = time.monotonic()
        moved = True
        await asyncio.to_thread(
            cluster_cli, source, "--cluster", "reshard", f"127.0.0.1:{source}", "--cluster-from", source_id,
            "--cluster-to", target_id, "--cluster-slots", str(count), "--cluster-yes",
        )  # fmt: skip
        print(f"{count} slots moved {source} -> {target} in {time.monotonic() - started:.1f}s")
        # The other nodes learn the new owner by gossip: a fresh client may see the old map for a moment.
        await eventually(
            lambda: asyncio.to_thread(lambda: owner_port(service_plan, stream_key) == target),
            within=15,
            what="the stream's slot served by the target",
        )
        await scenario.more_posts(20)
        await scenario.check()
        # The followers whose channel moved were cut off (1013) and resumed: the path the test is about.
        assert all(r.connections >= 2 for r in moved_followers), [r.connections for r in moved_followers]
    finally:
        await scenario.end()
        if moved:
            await asyncio.to_thread(
                cluster_cli, source, "--cluster", "rebalance", f"127.0.0.1:{source}", "--cluster-yes"
            )


def is_primary(port: int) -> bool:
    return "role:master" in cluster_cli(port, "info", "replication")
