"""Password hashing and bearer tokens against the real test Redis."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest
import redis.asyncio as aioredis

from auth.passwords import hash_password, needs_rehash, verify_password
from auth.tokens import TokenStore, parse_bearer
from feedline.settings import Settings
from graph.errors import BadInput


async def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = await hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert await verify_password(hashed, "correct horse")
    assert not await verify_password(hashed, "wrong horse!")
    assert not await verify_password("not-a-hash", "correct horse")
    # One of OWASP's minimum settings for argon2id: 7 MiB, 5 passes, 1 lane (auth/passwords.py says why).
    assert hashed.startswith("$argon2id$v=19$m=7168,t=5,p=1$")
    assert not needs_rehash(hashed)
    assert not needs_rehash("not-a-hash")


@pytest.mark.parametrize("password", ["short", "x" * 129])
async def test_password_policy(password: str) -> None:
    with pytest.raises(BadInput):
        await hash_password(password)


def test_parse_bearer() -> None:
    assert parse_bearer(None) is None
    assert parse_bearer("Bearer abc") == "abc"
    assert parse_bearer("bearer  abc ") == "abc"
    for bad in ("Basic abc", "Bearer", "abc"):
        with pytest.raises(ValueError):
            parse_bearer(bad)


async def test_token_issue_resolve_revoke(redis: aioredis.Redis, settings: Settings) -> None:
    store = TokenStore(redis, settings.key_prefix, ttl_seconds=60)
    token = await store.issue(42)
    assert await store.resolve(token) == 42
    assert await store.resolve(token + "x") is None
    # Only the hash is stored: the raw token appears in no key or value.
    keys = [k async for k in redis.scan_iter(match=f"{settings.key_prefix}auth:*")]
    assert keys == [f"{settings.key_prefix}auth:tok:{hashlib.sha256(token.encode()).hexdigest()}".encode()]
    assert 0 < await redis.ttl(keys[0]) <= 60
    assert await store.revoke(token)
    assert await store.resolve(token) is None


async def test_token_expires(redis: aioredis.Redis, settings: Settings) -> None:
    store = TokenStore(redis, settings.key_prefix, ttl_seconds=1)
    token = await store.issue(7)
    assert await store.resolve(token) == 7
    key = f"{settings.key_prefix}auth:tok:{hashlib.sha256(token.encode()).hexdigest()}"
    deadline = time.monotonic() + 10
    while await redis.exists(key):  # until Redis expires the token (about a second), not a fixed sleep
        assert time.monotonic() < deadline, "the token did not expire"
        await asyncio.sleep(0.02)
    assert await store.resolve(token) is None
