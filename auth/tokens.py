"""Opaque bearer tokens: the client holds a random secret; the server keeps only its sha256.

Sessions are durable (DESIGN.md §2): with a SessionRepo, each lives in Neo4j (graph/sessions.py) and Redis
caches it, so losing Redis logs nobody out: a cache miss is looked up in Neo4j and cached again for the rest of
its lifetime. Without one (unit tests, the benchmark's pre-issued tokens) Redis alone holds them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable
from typing import Any, Protocol

from graph.sessions import SessionRepo

log = logging.getLogger("feedline.auth.tokens")

# A token found nowhere is remembered as such this long, so a client repeating a forged or revoked token costs
# one Neo4j lookup per interval, not one per request.
UNKNOWN_CACHE_S = 10
_UNKNOWN = b"-"


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


class TokenCache(Protocol):
    """The Redis commands the token store uses: a single server's client and the cluster's both meet it
    (auth sits beside fanout/, so it names its own few commands rather than importing fanout.client)."""

    def get(self, *args: Any, **kwargs: Any) -> Any: ...
    def set(self, *args: Any, **kwargs: Any) -> Any: ...
    def pttl(self, *args: Any, **kwargs: Any) -> Any: ...
    def spublish(self, *args: Any, **kwargs: Any) -> Any: ...


class TokenStore:
    """Opaque tokens: the client holds secrets.token_urlsafe; Neo4j (when given ``sessions``) holds the
    session under the token's sha256, Redis caches sha256 -> user id."""

    def __init__(
        self,
        redis: TokenCache,
        key_prefix: str,
        ttl_seconds: int,
        sessions: SessionRepo | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._ttl = ttl_seconds
        self._sessions = sessions
        self.revocation_channel = revocation_channel(key_prefix)

    def _key(self, token: str) -> str:
        return f"{self._prefix}auth:tok:{token_digest(token)}"

    async def issue(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        await self._store(token, user_id)
        return token

    async def issue_if(self, user_id: int, check: Awaitable[bool]) -> str | None:
        """A token for ``user_id`` if ``check`` comes out true; else None, and no session is left behind.

        The session is written while ``check`` runs: a log-in's password verification (argon2, about 25 ms of
        a core) and its session's Neo4j write transaction (about 15 ms, mostly the commit's flush) were the
        two largest steps of the log-in, one after the other. When the check fails or raises, the session is
        deleted once written (its token was never given out); a failed write with a passing check fails the
        log-in, as ``issue`` does."""
        token = secrets.token_urlsafe(32)
        write = asyncio.ensure_future(self._store(token, user_id))
        try:
            passed = await check
        except BaseException:
            await self._discard(token, write)
            raise
        if not passed:
            await self._discard(token, write)
            return None
        await write
        return token

    async def _store(self, token: str, user_id: int) -> None:
        if self._sessions is not None:
            await self._sessions.create(token_digest(token), user_id, self._ttl)
        await self._redis.set(self._key(token), str(user_id).encode(), ex=self._ttl)

    async def _discard(self, token: str, write: asyncio.Future[None]) -> None:
        """Undo a session written for a check that failed. Nobody holds its token, so nothing is announced;
        a session this cannot delete (Neo4j down) is one no client can use, and expires with its TTL."""
        with contextlib.suppress(Exception):
            await asyncio.shield(write)  # whatever it wrote is deleted below; its error concerns nobody now
        try:
            if self._sessions is not None:
                await self._sessions.delete(token_digest(token))
            await self._redis.set(self._key(token), _UNKNOWN, ex=UNKNOWN_CACHE_S)
        except Exception as exc:
            log.warning("could not delete the session of a failed log-in (%r); it expires unused", exc)

    async def resolve(self, token: str) -> int | None:
        """The user id the token belongs to, or None when unknown, revoked or expired."""
        if len(token) > MAX_TOKEN_CHARS:  # never hash attacker-sized input
            return None
        value = await self._redis.get(self._key(token))
        if value is not None:
            return None if value == _UNKNOWN else int(value)
        if self._sessions is None:
            return None
        found = await self._sessions.get(token_digest(token))  # not cached (Redis lost it, or never had it)
        if found is None:
            await self._redis.set(self._key(token), _UNKNOWN, ex=UNKNOWN_CACHE_S, nx=True)
            return None
        user_id, left_ms = found
        await self._redis.set(self._key(token), str(user_id).encode(), px=max(1, left_ms), nx=True)
        return user_id

    async def lifetime(self, token: str) -> tuple[int, float] | None:
        """(user id, seconds until expiry) of a valid token; None when unknown, revoked or expired."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        # Through resolve: a session whose cache Redis lost (a flush) is read back from Neo4j, not taken for
        # a revoked one (which would close the viewer's live connections).
        user_id = await self.resolve(token)
        if user_id is None:
            return None
        pttl = int(await self._redis.pttl(self._key(token)))
        return user_id, (pttl / 1000 if pttl >= 0 else NO_EXPIRY_SECONDS)

    async def revoke(self, token: str) -> bool:
        """Delete the session and announce it, so live connections that use it are closed on every process."""
        revoked = False
        if self._sessions is not None:
            revoked = await self._sessions.delete(token_digest(token))
        # Not a DEL: a tombstone, which a resolve that read the session just before it was deleted cannot
        # overwrite (it caches with NX), so a revoked token is never cached as valid again.
        previous = await self._redis.set(self._key(token), _UNKNOWN, ex=UNKNOWN_CACHE_S, get=True)
        # Sharded pub/sub, as every live channel (api/hub.py subscribes with SSUBSCRIBE).
        await self._redis.spublish(self.revocation_channel, token_digest(token).encode())
        return (previous is not None and previous != _UNKNOWN) or revoked
