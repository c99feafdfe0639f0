"""Passwords: argon2id, hashed and verified off the event loop (hashing costs tens of milliseconds).

The one owner of the hashing parameters: the seed hashes the demo password with PASSWORD_HASHER too."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from graph.errors import BadInput

PASSWORD_MIN = 8
PASSWORD_MAX = 128

# argon2id at one of OWASP's five equivalent minimum settings: 7 MiB, 5 passes, 1 lane. argon2-cffi's default
# (64 MiB, 3 passes, 4 lanes) cost ~200 ms per log-in on this 2-core machine, the most of the issue-15 budget of
# 300 ms from the log-in click to the first feed on screen, and its 4 lanes took both cores from every other
# request meanwhile. Of OWASP's list (46 MiB x 1, 19 x 2, 12 x 3, 9 x 4, 7 x 5), the smallest memory is the
# fastest here: 22 ms per verify against 31 ms for 19 MiB x 2 and 88 ms for 46 MiB x 1 (fewer pages to fault
# in, more of it in the CPU's cache), and a log-in storm holds 7 MiB per concurrent log-in, not 19. Hashes carry
# their own parameters, so older ones still verify and are upgraded at the next successful log-in (needs_rehash).
PASSWORD_HASHER = PasswordHasher(time_cost=5, memory_cost=7 * 1024, parallelism=1)


def check_password_policy(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise BadInput(f"password must be {PASSWORD_MIN}..{PASSWORD_MAX} characters")


async def hash_password(password: str) -> str:
    check_password_policy(password)
    return await asyncio.to_thread(PASSWORD_HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return PASSWORD_HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than PASSWORD_HASHER's (e.g. before they changed)."""
    try:
        return PASSWORD_HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False
