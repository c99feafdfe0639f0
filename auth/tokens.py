"""Opaque bearer tokens: the client holds a random secret, Redis holds only its sha256 and the user id."""

from __future__ import annotations

import hashlib
import secrets

import redis.asyncio as aioredis


def parse_bearer(header_value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <t>` value; None when absent, raises on a malformed header."""
    if header_value is None or header_value.strip() == "":
        return None
    scheme, _, token = header_value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ValueError("malformed Authorization header")
    return token


class TokenStore:
    """Opaque tokens: the client holds secrets.token_urlsafe; Redis holds only its sha256 -> user id."""

    def __init__(self, redis: aioredis.Redis, key_prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._ttl = ttl_seconds

    def _key(self, token: str) -> str:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return f"{self._prefix}auth:tok:{digest}"

    async def issue(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        await self._redis.set(self._key(token), str(user_id).encode(), ex=self._ttl)
        return token

    async def resolve(self, token: str) -> int | None:
        """The user id the token belongs to, or None when unknown, revoked or expired."""
        if len(token) > 256:  # never hash attacker-sized input
            return None
        value = await self._redis.get(self._key(token))
        return int(value) if value is not None else None

    async def revoke(self, token: str) -> bool:
        return bool(await self._redis.delete(self._key(token)))
