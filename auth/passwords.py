"""Passwords: argon2id, hashed and verified off the event loop (hashing costs tens of milliseconds)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from graph.errors import BadInput

PASSWORD_MIN = 8
PASSWORD_MAX = 128

# argon2id with the library's RFC 9106 low-memory defaults; hashing costs tens of ms, so it runs in a thread.
_hasher = PasswordHasher()


def check_password_policy(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise BadInput(f"password must be {PASSWORD_MIN}..{PASSWORD_MAX} characters")


async def hash_password(password: str) -> str:
    check_password_policy(password)
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
