"""Fixed-window rate limits in Redis (INCRBY + EXPIRE NX + TTL in one pipeline) per client IP and per user/handle.

Every refusal is a ``RateLimited`` carrying ``retry_after``: the seconds left in the window (or back-off) that
refused it, which the API answers as ``extensions.retryAfter``.

logIn is limited so that nobody can lock an owner out from elsewhere (see README, "Security"):
- per (handle, address) pair: ``auth_per_handle`` attempts per window, right or wrong;
- per address: ``auth_per_ip`` logIn + signUp attempts per window;
- per handle, from all addresses: past ``login_backoff_after`` attempts in a window the handle is in back-off:
  one attempt per back-off period (doubling per attempt, at most ``login_backoff_max_seconds``) is let
  through, except that an address's first attempt on the handle in the window always is. So the owner's
  first try from a new address is never refused by what others did; a guesser gets one try per address.
"""

from __future__ import annotations

from dataclasses import dataclass

from fanout.client import RedisClient
from graph.errors import RateLimited

# Root-field kinds the RequestGuards extension counts (resolvers/ratelimits.py).
OPERATION_KINDS = ("mutation", "query", "subscription")


@dataclass(frozen=True)
class RateLimits:
    window_seconds: int
    auth_per_ip: int
    auth_per_handle: int
    posts_per_user: int
    posts_per_ip: int
    login_backoff_after: int
    login_backoff_max_seconds: int
    mutations_per_user: int
    mutations_per_ip: int
    reads_per_user: int
    reads_per_ip: int
    subscriptions_per_user: int
    subscriptions_per_ip: int


class RateLimiter:
    def __init__(self, redis: RedisClient, key_prefix: str, limits: RateLimits) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}rl:"
        self._window = limits.window_seconds
        self._limits = limits
        # action -> (limit per IP, limit per subject (handle or user id))
        self._actions = {
            "signUp": (limits.auth_per_ip, limits.auth_per_handle),
            "postTweet": (limits.posts_per_ip, limits.posts_per_user),
            "mutation": (limits.mutations_per_ip, limits.mutations_per_user),
            "query": (limits.reads_per_ip, limits.reads_per_user),
            "subscription": (limits.subscriptions_per_ip, limits.subscriptions_per_user),
        }

    async def _count(self, *keys: str, cost: int = 1) -> list[tuple[int, int]]:
        """(count, seconds left) of each fixed-window counter after adding ``cost``."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.incrby(key, cost)
                pipe.expire(key, self._window, nx=True)
                pipe.ttl(key)
            replies = await pipe.execute()
        return [
            (int(replies[i]), int(replies[i + 2]) if int(replies[i + 2]) > 0 else self._window)
            for i in range(0, len(replies), 3)
        ]

    async def check(self, action: str, client_ip: str, subject: str, cost: int = 1) -> None:
        """Count ``cost`` attempts of ``action``; raise RateLimited when the IP or the subject is over its limit.
        An empty ``subject`` (an anonymous read) is limited per IP only."""
        if action == "logIn":
            await self._check_login(client_ip, subject)
            return
        per_ip, per_subject = self._actions[action]
        # logIn and signUp share the per-IP budget: both are password-guessing/account-farming surfaces.
        ip_bucket = "auth" if action == "signUp" else action
        keys = [f"{self._prefix}{ip_bucket}:ip:{client_ip}"]
        if subject:
            keys.append(f"{self._prefix}{action}:s:{subject}")
        counts = await self._count(*keys, cost=cost)
        for (count, ttl), limit in zip(counts, (per_ip, per_subject), strict=False):
            if count > limit:
                raise RateLimited(f"too many {action} requests; retry in {ttl}s", retry_after=ttl)

    async def _check_login(self, client_ip: str, handle: str) -> None:
        limits = self._limits
        handle = handle[:64]  # handles are at most 15 characters; never key on attacker-sized input
        (ip_count, ip_ttl), (pair_count, pair_ttl), (handle_count, _) = await self._count(
            f"{self._prefix}auth:ip:{client_ip}",
            f"{self._prefix}logIn:p:{handle}:{client_ip}",
            f"{self._prefix}logIn:h:{handle}",
        )
        if ip_count > limits.auth_per_ip:
            raise RateLimited(f"too many logIn attempts; retry in {ip_ttl}s", retry_after=ip_ttl)
        if pair_count > limits.auth_per_handle:
            raise RateLimited(f"too many logIn attempts; retry in {pair_ttl}s", retry_after=pair_ttl)
        excess = handle_count - limits.login_backoff_after
        if excess <= 0 or pair_count == 1:
            return  # no back-off, or this address's first attempt on the handle in this window
        delay = min(2 ** min(excess - 1, 30), limits.login_backoff_max_seconds)
        slot = f"{self._prefix}logIn:slot:{handle}"
        if await self._redis.set(slot, b"1", ex=delay, nx=True):
            return
        left = await self._redis.ttl(slot)
        wait = int(left) if int(left) > 0 else 1
        raise RateLimited(f"too many logIn attempts on this account; retry in {wait}s", retry_after=wait)


class ClientLimits:
    """The limiter bound to one client address: the request context's ``rate_limit`` hook (called by the
    resolvers as ``await rate_limit(action, subject)``) and the per-operation limits of the RequestGuards
    extension (``await rate_limit.operation(kind, subject, cost)``)."""

    def __init__(self, limiter: RateLimiter, client_ip: str) -> None:
        self._limiter = limiter
        self.client_ip = client_ip

    async def __call__(self, action: str, subject: str) -> None:
        await self._limiter.check(action, self.client_ip, subject)

    async def operation(self, kind: str, subject: str, cost: int) -> None:
        if kind not in OPERATION_KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        await self._limiter.check(kind, self.client_ip, subject, cost)
