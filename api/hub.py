"""One Redis pub/sub connection per process, shared by every websocket subscriber.

Channels are reference-counted: the first subscriber of a channel SUBSCRIBEs, the last one to leave
UNSUBSCRIBEs. Each subscriber has a bounded queue; a subscriber that falls behind is cut off (its iterator
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

from fanout.backoff import Backoff
from fanout.client import RedisClient
from resolvers.live import SlowConsumer

log = logging.getLogger("feedline.api.hub")

DEFAULT_QUEUE_SIZE = 256
ACK_TIMEOUT_SECONDS = 5.0


class Subscriber:
    def __init__(self, hub: LiveHub, max_queue: int) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue(max_queue)
        self.channels: set[str] = set()
        self.overflowed = False

    def offer(self, channel: bytes, data: bytes) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait((channel, data))
        except asyncio.QueueFull:
            self.overflowed = True
            # Wake the reader so it notices at once.
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.get_nowait()
                self.queue.put_nowait((b"", b""))

    async def add(self, channels: Iterable[str]) -> None:
        await self._hub._add(self, set(channels) - self.channels)

    async def remove(self, channels: Iterable[str]) -> None:
        await self._hub._remove(self, set(channels) & self.channels)

    async def get(self) -> tuple[str, bytes]:
        channel, data = await self.queue.get()
        if self.overflowed:
            raise SlowConsumer("subscriber too slow: live event queue overflowed")
        return channel.decode(), data

    async def close(self) -> None:
        await self._hub._remove(self, set(self.channels))


class _RevocationListener(Subscriber):
    """The hub's member of the revocation channel: calls the watchers of each revoked token digest."""

    def offer(self, channel: bytes, data: bytes) -> None:
        digest = data.decode("ascii", "replace") if isinstance(data, bytes) else str(data)
        for on_revoked in list(self._hub._watchers.get(digest, ())):
            try:
                on_revoked()
            except Exception:
                log.exception("revocation watcher failed")


class LiveHub:
    def __init__(
        self,
        redis: RedisClient,
        max_queue: int = DEFAULT_QUEUE_SIZE,
        revocation_channel: str | None = None,
    ) -> None:
        self._pubsub = redis.pubsub()  # subscribe acks are needed: see _add
        self._acks: dict[str, asyncio.Event] = {}
        self._max_queue = max_queue
        self._members: dict[str, set[Subscriber]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
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

    async def _add(self, sub: Subscriber, channels: set[str]) -> None:
        if not channels:
            return
        async with self._lock:
            new = [c for c in channels if not self._members.get(c)]
            for channel in channels:
                self._members[channel].add(sub)
                sub.channels.add(channel)
            if new:
                acks = {c: self._acks.setdefault(c, asyncio.Event()) for c in new}
                await self._pubsub.subscribe(*new)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="live-hub-reader")
            if new:
                # Wait for Redis to confirm the SUBSCRIBE, so the caller may replay history knowing that
                # anything published from now on reaches its queue (no gap at the replay/live seam).
                await asyncio.wait_for(
                    asyncio.gather(*(e.wait() for e in acks.values())), ACK_TIMEOUT_SECONDS
                )

    async def _remove(self, sub: Subscriber, channels: set[str]) -> None:
        if not channels:
            return
        async with self._lock:
            gone = []
            for channel in channels:
                sub.channels.discard(channel)
                members = self._members.get(channel)
                if members is not None:
                    members.discard(sub)
                    if not members:
                        del self._members[channel]
                        gone.append(channel)
            if gone:
                try:
                    await self._pubsub.unsubscribe(*gone)
                except Exception as exc:  # Redis unreachable: nothing the leaving subscriber can do about it
                    # Forget the channels, so the reconnect does not subscribe to them again.
                    encoder = self._pubsub.encoder
                    for channel in gone:
                        self._pubsub.channels.pop(encoder.decode(encoder.encode(channel)), None)
                    log.warning("unsubscribe failed (%r); the channels are dropped", exc)

    async def _read(self) -> None:
        backoff = Backoff(log, "live hub read")  # one log line per outage, not one per attempt
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                backoff.ok()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await asyncio.sleep(backoff.failed(exc))
                continue
            if message is None:
                continue
            if message.get("type") == "subscribe":
                raw = message["channel"]
                ack = self._acks.pop(raw.decode() if isinstance(raw, bytes) else str(raw), None)
                if ack is not None:
                    ack.set()
                continue
            if message.get("type") != "message":
                continue
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            for sub in list(self._members.get(name, ())):
                sub.offer(channel if isinstance(channel, bytes) else name.encode(), message["data"])
            # Let subscribers run between messages: a burst that arrived in one read is parsed from the
            # client's buffer without awaiting I/O, and would otherwise fill every queue before any consumer
            # got a turn (cutting off clients that keep up perfectly well).
            await asyncio.sleep(0)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
