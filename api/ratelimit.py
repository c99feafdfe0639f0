"""Fixed-window rate limits in Redis (INCR + EXPIRE in one pipeline) per client IP and per user/handle."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from graph.errors import RateLimited


@dataclass(frozen=True)
class RateLimits:
    window_seconds: int
    auth_per_ip: int
    auth_per_handle: int
    posts_per_user: int
    posts_per_ip: int


class RateLimiter:
    def __init__(self, redis: aioredis.Redis, key_prefix: str, limits: RateLimits) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._window = limits.window_seconds
        # action -> (limit per IP, limit per subject (handle or user id))
        self._limits = {
            "logIn": (limits.auth_per_ip, limits.auth_per_handle),
            "signUp": (limits.auth_per_ip, limits.auth_per_handle),
            "postTweet": (limits.posts_per_ip, limits.posts_per_user),
        }

    async def check(self, action: str, client_ip: str, subject: str) -> None:
        """Count one attempt; raise RateLimited when either the IP or the subject is over its limit."""
        per_ip, per_subject = self._limits[action]
        # logIn and signUp share the per-IP budget: both are password-guessing/account-farming surfaces.
        ip_bucket = "auth" if action in ("logIn", "signUp") else action
        ip_key = f"{self._prefix}rl:{ip_bucket}:ip:{client_ip}"
        subject_key = f"{self._prefix}rl:{action}:s:{subject}"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(ip_key)
            pipe.expire(ip_key, self._window, nx=True)
            pipe.ttl(ip_key)
            pipe.incr(subject_key)
            pipe.expire(subject_key, self._window, nx=True)
            pipe.ttl(subject_key)
            ip_count, _, ip_ttl, subject_count, _, subject_ttl = await pipe.execute()
        over = [
            ttl
            for count, limit, ttl in ((ip_count, per_ip, ip_ttl), (subject_count, per_subject, subject_ttl))
            if int(count) > limit
        ]
        if over:
            # Seconds until every exceeded window has reset (TTL is -1/-2 only in a race with expiry: retry now).
            retry_after = max(1, *(int(ttl) for ttl in over))
            raise RateLimited(f"too many {action} attempts; retry in {retry_after}s", retry_after)
