"""Rate limits against the real test Redis."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from api.ratelimit import RateLimiter
from feedline.app import api_config
from feedline.settings import Settings
from graph.errors import RateLimited


def limiter_for(redis: aioredis.Redis, settings: Settings) -> RateLimiter:
    return RateLimiter(redis, settings.key_prefix, api_config(settings).rate_limits)


async def test_per_subject_limit(redis: aioredis.Redis, settings: Settings) -> None:
    limiter = limiter_for(redis, settings.model_copy(update={"rate_limit_posts_per_user": 3}))
    for _ in range(3):
        await limiter.check("postTweet", "10.0.0.1", "42")
    with pytest.raises(RateLimited):
        await limiter.check("postTweet", "10.0.0.1", "42")
    await limiter.check("postTweet", "10.0.0.1", "43")  # another user is unaffected


async def test_per_ip_limit_is_shared_by_login_and_signup(redis: aioredis.Redis, settings: Settings) -> None:
    limiter = limiter_for(redis, settings.model_copy(update={"rate_limit_auth_per_ip": 4}))
    for i in range(2):
        await limiter.check("logIn", "10.0.0.2", f"alice{i}")
        await limiter.check("signUp", "10.0.0.2", f"bob{i}")
    with pytest.raises(RateLimited):
        await limiter.check("logIn", "10.0.0.2", "carol")
    await limiter.check("logIn", "10.0.0.3", "carol")  # another IP is unaffected


async def test_window_expires(redis: aioredis.Redis, settings: Settings) -> None:
    limiter = limiter_for(
        redis, settings.model_copy(update={"rate_limit_posts_per_user": 1, "rate_limit_window_seconds": 1})
    )
    await limiter.check("postTweet", "10.0.0.4", "7")
    with pytest.raises(RateLimited):
        await limiter.check("postTweet", "10.0.0.4", "7")
    key = f"{settings.key_prefix}rl:postTweet:s:7"
    assert 0 < await redis.pttl(key) <= 1000
    deadline = time.monotonic() + 10
    while await redis.exists(key):  # the window ends when Redis expires its counter (about a second)
        assert time.monotonic() < deadline, "the window did not end"
        await asyncio.sleep(0.05)
    await limiter.check("postTweet", "10.0.0.4", "7")  # allowed again after the window
    with pytest.raises(RateLimited):
        await limiter.check("postTweet", "10.0.0.4", "7")  # ... and limited again within the new one
