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


MAX_TOKEN_CHARS = 256
NO_EXPIRY_SECONDS = 365 * 24 * 3600.0


def token_digest(token: str) -> str:
    """What Redis stores and revocations announce instead of the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revocation_channel(key_prefix: str) -> str:
    """The pub/sub channel every revocation is announced on (the digest of the token as the message), so
    each API process closes the websockets that use it."""
    return f"{key_prefix}auth:revoked"


class TokenStore:
    """Opaque tokens: the client holds secrets.token_urlsafe; Redis holds only its sha256 -> user id."""

    def __init__(self, redis: aioredis.Redis, key_prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._ttl = ttl_seconds
        self.revocation_channel = revocation_channel(key_prefix)

    def _key(self, token: str) -> str:
        return f"{self._prefix}auth:tok:{token_digest(token)}"

    async def issue(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        await self._redis.set(self._key(token), str(user_id).encode(), ex=self._ttl)
        return token

    async def resolve(self, token: str) -> int | None:
        """The user id the token belongs to, or None when unknown, revoked or expired."""
        if len(token) > MAX_TOKEN_CHARS:  # never hash attacker-sized input
            return None
        value = await self._redis.get(self._key(token))
        return int(value) if value is not None else None

    async def lifetime(self, token: str) -> tuple[int, float] | None:
        """(user id, seconds until expiry) of a valid token; None when unknown, revoked or expired."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        key = self._key(token)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            value, pttl = await pipe.execute()
        if value is None:
            return None
        return int(value), (int(pttl) / 1000 if int(pttl) >= 0 else NO_EXPIRY_SECONDS)

    async def revoke(self, token: str) -> bool:
        """Delete the token and announce it, so live connections that use it are closed on every process."""
        revoked = bool(await self._redis.delete(self._key(token)))
        await self._redis.publish(self.revocation_channel, token_digest(token).encode())
        return revoked
