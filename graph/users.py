"""Users in Neo4j: create, look up (by id, by handle case-insensitively, in batches), search, activity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, LiteralString

from neo4j import AsyncDriver, Record
from neo4j.exceptions import ConstraintError

from graph.convert import USER_FIELDS, user_from
from graph.driver import DATABASE, write_single
from graph.errors import BadInput, NotFound
from graph.ids import IdGenerator, timestamp_ms
from graph.records import UserRecord

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{3,15}$")
DISPLAY_NAME_MAX = 50
BIO_MAX = 160

_CREATE: LiteralString = (
    "CREATE (u:User {id: $id, handle: $handle, handleLower: toLower($handle), displayName: $name, "
    "displayNameLower: toLower($name), bio: '', passwordHash: $hash, followerCount: 0, "
    "followingCount: 0, tweetCount: 0, createdAt: datetime({epochMillis: $ms}), "
    "lastActiveAt: datetime({epochMillis: $ms})}) RETURN u " + USER_FIELDS + " AS u"
)
_BY_ID: LiteralString = "MATCH (u:User {id: $id}) RETURN u " + USER_FIELDS + " AS u"
_BY_IDS: LiteralString = "UNWIND $ids AS uid MATCH (u:User {id: uid}) RETURN u " + USER_FIELDS + " AS u"
_BY_HANDLE: LiteralString = (
    "MATCH (u:User {handleLower: toLower($handle)}) RETURN u " + USER_FIELDS + " AS u, u.passwordHash AS hash"
)
# Compare-and-set: a password changed between the log-in's read and this write is not overwritten.
_REHASH: LiteralString = "MATCH (u:User {id: $id}) WHERE u.passwordHash = $old SET u.passwordHash = $new"
_SEARCH: LiteralString = (
    "CALL () { MATCH (u:User) WHERE u.handleLower STARTS WITH $q RETURN u "
    "UNION MATCH (u:User) WHERE u.displayNameLower STARTS WITH $q RETURN u } "
    "WITH u ORDER BY u.followerCount DESC, u.id LIMIT $n RETURN u " + USER_FIELDS + " AS u"
)
_UPDATE_PROFILE: LiteralString = (
    "MATCH (u:User {id: $id}) WITH u, coalesce($name, u.displayName) AS name "
    "SET u.displayName = name, u.displayNameLower = toLower(name), u.bio = coalesce($bio, u.bio) "
    "RETURN u " + USER_FIELDS + " AS u"
)
_TOUCH: LiteralString = "MATCH (u:User {id: $id}) SET u.lastActiveAt = datetime({epochMillis: $ms})"


def _user_row(record: Record) -> dict[str, Any]:
    return dict(record["u"])


def validate_handle(handle: str) -> str:
    if not isinstance(handle, str) or not HANDLE_RE.match(handle):
        raise BadInput("handle must be 3-15 letters, digits or underscores")
    return handle


def validate_display_name(name: str | None, handle: str) -> str:
    cleaned = (name or "").strip() or handle
    if len(cleaned) > DISPLAY_NAME_MAX:
        raise BadInput(f"display name longer than {DISPLAY_NAME_MAX} characters")
    return cleaned


def validate_profile(display_name: str | None, bio: str | None) -> tuple[str | None, str | None]:
    """updateProfile's arguments, trimmed: displayName 1..50 and bio 0..160 characters; None = unchanged."""
    name = display_name.strip() if display_name is not None else None
    if name is not None and not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise BadInput(f"display name must be 1-{DISPLAY_NAME_MAX} characters")
    cleaned_bio = bio.strip() if bio is not None else None
    if cleaned_bio is not None and len(cleaned_bio) > BIO_MAX:
        raise BadInput(f"bio longer than {BIO_MAX} characters")
    return name, cleaned_bio


class UserRepo:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator) -> None:
        self.driver = driver
        self.ids = ids

    async def create(self, handle: str, display_name: str | None, password_hash: str) -> UserRecord:
        validate_handle(handle)
        name = validate_display_name(display_name, handle)
        if not password_hash:
            raise BadInput("password hash missing")
        uid = self.ids.next_id()
        try:
            row = await write_single(
                self.driver, _CREATE, _user_row, id=uid, handle=handle, name=name, hash=password_hash,
                ms=timestamp_ms(uid),
            )  # fmt: skip
        except ConstraintError as exc:
            raise BadInput("handle taken") from exc
        if row is None:  # CREATE always returns its node
            raise RuntimeError("user creation returned nothing")
        return user_from(row)

    async def by_id(self, uid: int) -> UserRecord | None:
        records, _, _ = await self.driver.execute_query(_BY_ID, id=uid, database_=DATABASE, routing_="r")
        return user_from(records[0]["u"]) if records else None

    async def by_ids(self, ids: Sequence[int]) -> dict[int, UserRecord]:
        if not ids:
            return {}
        records, _, _ = await self.driver.execute_query(
            _BY_IDS, ids=list(dict.fromkeys(ids)), database_=DATABASE, routing_="r"
        )
        users = (user_from(r["u"]) for r in records)
        return {u.id: u for u in users}

    async def credentials(self, handle: str) -> tuple[UserRecord, str] | None:
        if not isinstance(handle, str) or not handle:
            return None
        records, _, _ = await self.driver.execute_query(
            _BY_HANDLE, handle=handle, database_=DATABASE, routing_="r"
        )
        if not records:
            return None
        return user_from(records[0]["u"]), records[0]["hash"]

    async def replace_password_hash(self, uid: int, old: str, new: str) -> None:
        """The same password hashed with current parameters (a no-op if the hash changed meanwhile)."""
        await self.driver.execute_query(_REHASH, id=uid, old=old, new=new, database_=DATABASE)

    async def by_handle(self, handle: str) -> UserRecord | None:
        found = await self.credentials(handle)
        return found[0] if found else None

    async def search(self, query: str, first: int) -> list[UserRecord]:
        q = (query or "").strip().lower()
        if not q:
            return []
        records, _, _ = await self.driver.execute_query(
            _SEARCH, q=q, n=max(1, min(first, 100)), database_=DATABASE, routing_="r"
        )
        return [user_from(r["u"]) for r in records]

    async def follower_counts_to_reconcile(
        self, threshold: int, mode: Sequence[int]
    ) -> list[tuple[int, int]]:
        """(id, followerCount) of every author at or above the threshold or currently fanned out on read:
        the only ones whose fan-out mode can disagree with their count."""
        records, _, _ = await self.driver.execute_query(
            "MATCH (u:User) WHERE u.followerCount >= $t OR u.id IN $mode RETURN u.id AS id, u.followerCount AS n",
            t=threshold,
            mode=list(mode),
            routing_="r",
            database_=DATABASE,
        )
        return [(record["id"], record["n"]) for record in records]

    async def update_profile(self, uid: int, display_name: str | None, bio: str | None) -> UserRecord:
        """Set the given profile fields (validated; None leaves a field as it is); NotFound if no such user."""
        name, cleaned_bio = validate_profile(display_name, bio)
        records, _, _ = await self.driver.execute_query(
            _UPDATE_PROFILE, id=uid, name=name, bio=cleaned_bio, database_=DATABASE
        )
        if not records:
            raise NotFound("user not found")
        return user_from(records[0]["u"])

    async def touch(self, uid: int, epoch_ms: int) -> None:
        await self.driver.execute_query(_TOUCH, id=uid, ms=epoch_ms, database_=DATABASE)
