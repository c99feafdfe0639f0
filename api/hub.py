"""Sharded pub/sub for the whole process: one subscriber connection per Redis node (one on a single server, one
per primary on a cluster), shared by every websocket subscriber.

Live channels are shard channels (SPUBLISH / SSUBSCRIBE, fanout/functions.py): on a cluster an event is sent
only to connections on the node that owns the channel's slot, so each channel is subscribed on the
connection of its slot's primary, and each connection has its own reader task (redis-py's cluster pub/sub
reader polls the nodes in turn: seconds of latency). When a slot moves (resharding, a failover) the node
drops its shard channels (an unrequested SUNSUBSCRIBE) or the connection fails: the subscribers of those
channels are cut off like slow ones (1013), and their clients resume with ``after`` (nothing lost), the
channels being subscribed afresh on the new owner. A failed connection to a single server is handled the same
way (a Redis restart): events published while it was down never reach it, so its subscribers resume too.

Channels are reference-counted: the first subscriber of a channel SSUBSCRIBEs, the last one to leave
SUNSUBSCRIBEs. Each subscriber has a bounded queue; a subscriber that falls behind is cut off (its iterator
raises SlowConsumer) rather than letting memory grow or slowing everyone else down.

The same connection carries token revocations (``auth.tokens.revocation_channel``): websocket connections
watch the digest of their token and are told at once when any process revokes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.crc import key_slot

from fanout.client import RedisClient, is_cluster
from resolvers.live import SLOW_CLOSE_REASON, SlowConsumer

log = logging.getLogger("feedline.api.hub")

SINGLE_SERVER = "redis"  # the one connection's name (and key in the hub's shards) on a single server

DEFAULT_QUEUE_SIZE = 256
ACK_TIMEOUT_SECONDS = 5.0


class Subscriber:
    def __init__(self, hub: LiveHub, max_queue: int) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue(max_queue)
        self.channels: set[str] = set()
        self.overflowed = False
        self.lost_reason = SLOW_CLOSE_REASON  # sent to the client as the close reason

    def offer(self, channel: bytes, data: bytes) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait((channel, data))
        except asyncio.QueueFull:
            self.cut_off()

    def cut_off(self, reason: str | None = None) -> None:
        """End this subscriber: its next ``get`` raises SlowConsumer (the connection closes with 1013 and the
        client resumes with ``after``)."""
        if self.overflowed:
            return
        self.overflowed = True
        if reason is not None:
            self.lost_reason = reason
        # Wake the reader so it notices at once.
        with contextlib.suppress(asyncio.QueueFull, asyncio.QueueEmpty):
            if self.queue.full():
                self.queue.get_nowait()
            self.queue.put_nowait((b"", b""))

    def nudge(self) -> None:
        """Wake the reader: ``get`` returns ("", b"") (a full queue has messages to return anyway)."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait((b"", b""))

    async def add(self, channels: Iterable[str]) -> None:
        await self._hub._add(self, set(channels) - self.channels)

    async def remove(self, channels: Iterable[str]) -> None:
        await self._hub._remove(self, set(channels) & self.channels)

    async def get(self) -> tuple[str, bytes]:
        channel, data = await self.queue.get()
        if self.overflowed:
            raise SlowConsumer(self.lost_reason)
        return channel.decode(), data

    async def close(self) -> None:
        await self._hub._remove(self, set(self.channels))


class _RevocationListener(Subscriber):
    """The hub's member of the revocation channel: calls the watchers of each revoked token digest."""

    def cut_off(self, reason: str | None = None) -> None:
        # The revocation channel's node changed or failed: subscribe it again on the next watch (websockets
        # already watching keep their session check through the periodic expiry check).
        self._hub._revocations_subscribed = None
        self.channels.clear()

    def offer(self, channel: bytes, data: bytes) -> None:
        digest = data.decode("ascii", "replace") if isinstance(data, bytes) else str(data)
        for on_revoked in list(self._hub._watchers.get(digest, ())):
            try:
                on_revoked()
            except Exception:
                log.exception("revocation watcher failed")


class _Shard:
    """One subscriber connection (to a single server, or to one cluster primary) and its reader task."""

    def __init__(self, hub: LiveHub, name: str, pubsub: Any) -> None:
        self.hub = hub
        self.name = name
        self.pubsub = pubsub
        self.channels: set[str] = set()
        self.reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self._read(), name=f"live-hub-reader {self.name}")

    async def _read(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The connection failed (a Redis restart, a failover): whatever was published until it is
                # back never reaches it. Cut its subscribers off, so that they resume with `after` (the replay
                # has what they missed) on a new connection, to the slot's owner on a cluster; an open socket
                # that just resumed receiving would silently skip the gap.
                log.warning("live hub connection to %s failed (%r); its subscribers resume", self.name, exc)
                await self.hub._drop_shard(
                    self, f"live events interrupted ({self.name} failed); resubscribe with after"
                )
                return
            if message is None:
                continue
            kind = message.get("type")
            raw = message.get("channel")
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            if kind == "ssubscribe":
                ack = self.hub._acks.pop(name, None)
                if ack is not None:
                    ack.set()
                elif name in self.channels:
                    # Not asked for: redis-py reconnected this connection (it retries a broken read) and
                    # subscribed again. What was published in between never reached it.
                    self.hub._interrupted(name)
                continue
            if kind == "sunsubscribe":
                if name in self.channels:  # not asked for: the channel's slot left this node
                    self.pubsub.shard_channels.pop(raw, None)
                    self.channels.discard(name)
                    self.hub._moved(name)
                continue
            if kind != "smessage":
                continue
            for sub in list(self.hub._members.get(name, ())):
                sub.offer(raw if isinstance(raw, bytes) else name.encode(), message["data"])
            # Let subscribers run between messages: a burst that arrived in one read is parsed from the
            # client's buffer without awaiting I/O, and would otherwise fill every queue before any consumer
            # got a turn (cutting off clients that keep up perfectly well).
            await asyncio.sleep(0)

    async def aclose(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()


class LiveHub:
    def __init__(
        self,
        redis: RedisClient,
        max_queue: int = DEFAULT_QUEUE_SIZE,
        revocation_channel: str | None = None,
    ) -> None:
        self._redis = redis
        self.clustered = is_cluster(redis)
        # The cluster client's own API (slot map), only used when ``clustered``.
        self._cluster: Any = redis
        self._refresh: asyncio.Task[None] | None = None
        self._shards: dict[str, _Shard] = {}
        self._channel_shard: dict[str, _Shard] = {}
        self._node_clients: list[Any] = []
        self._acks: dict[str, asyncio.Event] = {}
        self._max_queue = max_queue
        self._members: dict[str, set[Subscriber]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._revocation_channel = revocation_channel
        self._watchers: dict[str, set[Callable[[], None]]] = defaultdict(set)
        self._revocations = _RevocationListener(self, 1)
        self._revocations_subscribed: asyncio.Future[None] | None = None

    async def watch_revocation(self, digest: str, on_revoked: Callable[[], None]) -> Callable[[], None]:
        """Call ``on_revoked`` (on the event loop, without awaiting) when the token with this digest is revoked
        by any process; returns when the revocation channel is subscribed, so no later revocation is missed.
        Returns the function that stops watching."""
        if self._revocation_channel is None:
            raise RuntimeError("this hub was built without a revocation channel")
        self._watchers[digest].add(on_revoked)
        if self._revocations_subscribed is None or (
            self._revocations_subscribed.done() and self._revocations_subscribed.exception() is not None
        ):
            self._revocations_subscribed = asyncio.ensure_future(
                self._revocations.add([self._revocation_channel])
            )
        try:
            await asyncio.shield(self._revocations_subscribed)
        except BaseException:
            self._unwatch(digest, on_revoked)
            raise
        return lambda: self._unwatch(digest, on_revoked)

    def _unwatch(self, digest: str, on_revoked: Callable[[], None]) -> None:
        watchers = self._watchers.get(digest)
        if watchers is not None:
            watchers.discard(on_revoked)
            if not watchers:
                del self._watchers[digest]

    @property
    def watched_tokens(self) -> int:
        return len(self._watchers)

    @contextlib.asynccontextmanager
    async def subscriber(self, channels: Iterable[str] = ()) -> AsyncIterator[Subscriber]:
        sub = Subscriber(self, self._max_queue)
        try:
            await sub.add(channels)
            yield sub
        finally:
            await sub.close()

    @property
    def channel_count(self) -> int:
        return len(self._members)

    def _shard_for(self, channel: str) -> _Shard:
        """The connection that must carry ``channel``: the one connection of a single server, or that of the
        primary owning the channel's slot (from the client's slot map)."""
        if not self.clustered:
            shard = self._shards.get(SINGLE_SERVER)
            if shard is None:
                shard = self._shards[SINGLE_SERVER] = _Shard(self, SINGLE_SERVER, self._redis.pubsub())
            return shard
        node = self._cluster.get_node_from_key(channel)
        shard = self._shards.get(node.name)
        if shard is None:
            kwargs = node.connection_kwargs
            client = aioredis.Redis(
                host=node.host,
                port=node.port,
                username=kwargs.get("username"),
                password=kwargs.get("password"),
                decode_responses=False,
            )
            self._node_clients.append(client)
            shard = self._shards[node.name] = _Shard(self, node.name, client.pubsub())
        return shard

    async def _add(self, sub: Subscriber, channels: set[str]) -> None:
        if not channels:
            return
        async with self._lock:
            # Not carried by any connection yet (or no longer: the connection failed, while its cut-off
            # subscribers may not have left yet).
            new = [c for c in channels if c not in self._channel_shard]
            for channel in channels:
                self._members[channel].add(sub)
                sub.channels.add(channel)
            if not new:
                return
            acks = {c: self._acks.setdefault(c, asyncio.Event()) for c in new}
            if self.clustered:
                await self._cluster.initialize()  # the slot map (a no-op once the client has it)
            by_shard: dict[_Shard, list[str]] = defaultdict(list)
            for channel in new:
                by_shard[self._shard_for(channel)].append(channel)
            for shard, shard_channels in by_shard.items():
                for group in self._slot_groups(shard_channels):  # a cluster refuses one spanning slots
                    await shard.pubsub.ssubscribe(*group)
                shard.channels.update(shard_channels)
                self._channel_shard.update((c, shard) for c in shard_channels)
                shard.start()
            # Wait for Redis to confirm the SSUBSCRIBE, so the caller may replay history knowing that
            # anything published from now on reaches its queue (no gap at the replay/live seam).
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in acks.values())), ACK_TIMEOUT_SECONDS)

    async def _remove(self, sub: Subscriber, channels: set[str]) -> None:
        if not channels:
            return
        async with self._lock:
            gone: dict[_Shard, list[str]] = defaultdict(list)
            for channel in channels:
                sub.channels.discard(channel)
                members = self._members.get(channel)
                if members is not None:
                    members.discard(sub)
                    if not members:
                        del self._members[channel]
                        shard = self._channel_shard.pop(channel, None)
                        if shard is not None and channel in shard.channels:
                            shard.channels.discard(channel)
                            gone[shard].append(channel)
            for shard, shard_channels in gone.items():
                try:
                    for group in self._slot_groups(shard_channels):
                        await shard.pubsub.sunsubscribe(*group)
                except Exception as exc:  # Redis unreachable: nothing the leaving subscriber can do about it
                    # Forget the channels, so the reconnect does not subscribe to them again.
                    encoder = shard.pubsub.encoder
                    for channel in shard_channels:
                        shard.pubsub.shard_channels.pop(encoder.encode(channel), None)
                    log.warning("unsubscribe failed (%r); the channels are dropped", exc)

    def _slot_groups(self, channels: list[str]) -> list[list[str]]:
        if not self.clustered:
            return [channels]
        groups: dict[int, list[str]] = defaultdict(list)
        for channel in channels:
            groups[key_slot(channel.encode())].append(channel)
        return list(groups.values())

    def _cut_off(self, channel: str, reason: str) -> None:
        """End every subscriber of ``channel``: each closes with 1013 and ``reason``, and resumes with ``after``."""
        for sub in list(self._members.get(channel, ())):
            sub.cut_off(reason)

    def _interrupted(self, channel: str) -> None:
        """``channel``'s connection was down for a while: cut its subscribers off (they resume with ``after``;
        the channel stays subscribed for those who come back)."""
        log.debug("live events of %s were interrupted (a reconnect); its subscribers resume", channel)
        self._cut_off(channel, "live events interrupted (Redis reconnected); resubscribe with after")

    def _moved(self, channel: str) -> None:
        """``channel``'s slot left the node it was subscribed on: cut its subscribers off (they resume with
        ``after``; their next subscription goes to the new owner)."""
        self._channel_shard.pop(channel, None)
        self._cut_off(channel, "live events moved to another Redis node; resubscribe with after")
        if self.clustered:
            self._refresh_slots()

    def _refresh_slots(self) -> None:
        """Reload the slot map in the background: the next subscription of a moved channel goes to the new
        owner (redis-py refreshes it on MOVED replies to commands, which a subscriber connection never sees)."""
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(
                self._cluster.nodes_manager.initialize(), name="hub-slot-refresh"
            )

    async def _drop_shard(self, shard: _Shard, reason: str) -> None:
        if self.clustered:
            self._refresh_slots()
        self._shards.pop(shard.name, None)  # the next subscription opens a new connection
        for channel in list(shard.channels):
            self._channel_shard.pop(channel, None)
            self._cut_off(channel, reason)
        shard.channels.clear()
        with contextlib.suppress(Exception):
            await shard.pubsub.aclose()

    async def aclose(self) -> None:
        for shard in list(self._shards.values()):
            await shard.aclose()
        for client in self._node_clients:
            with contextlib.suppress(Exception):
                await client.aclose()
