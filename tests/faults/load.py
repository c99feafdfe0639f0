"""What the fault tests share: a small social world on real processes, mixed load, and the pull oracle.

``World`` signs up authors and followers through the API (each follower follows a few authors); ``Load``
posts and reads feeds concurrently until stopped and records every tweet the API said it created and every
error code it answered; ``feeds_match_oracle`` compares each user's home timeline (through the API) with
``graph/pull.py``'s ``pull_home`` computed straight from Neo4j.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from neo4j import AsyncDriver

from graph.pull import pull_home
from tests.api.gqlclient import PASSWORD, Account, Gql, codes

POST = "mutation($t: String!) { postTweet(text: $t) { id } }"
LOG_IN = "mutation($h: String!, $p: String!) { logIn(handle: $h, password: $p) { token } }"
HOME = "query { homeTimeline(first: 100) { edges { source node { id } } } }"


@dataclass
class World:
    authors: list[Account]
    followers: list[Account]

    @property
    def everyone(self) -> list[Account]:
        return [*self.authors, *self.followers]


async def build_world(gql: Gql, authors: int = 4, followers: int = 6, follows_each: int = 3) -> World:
    made_authors = [await gql.sign_up() for _ in range(authors)]
    made_followers = [await gql.sign_up() for _ in range(followers)]
    for i, follower in enumerate(made_followers):
        for k in range(follows_each):
            await gql.follow(follower, made_authors[(i + k) % authors])
    return World(made_authors, made_followers)


@dataclass
class Load:
    """Posts (round robin over the authors) and feed reads (over everyone) until ``stop``."""

    gql: Gql
    world: World
    posted: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    reads: int = 0
    relogins: int = 0  # sessions the API forgot (each UNAUTHENTICATED answer logs that user in again)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def start(self, posters: int = 2, readers: int = 2) -> None:
        self._tasks += [asyncio.create_task(self._post(i)) for i in range(posters)]
        self._tasks += [asyncio.create_task(self._read(i)) for i in range(readers)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _call(self, query: str, who: Account, variables: dict[str, str] | None = None) -> dict | None:
        try:
            response = await self.gql.post(query, variables, who.token)
            body = response.json()
        except (httpx.TransportError, ValueError) as exc:
            self.errors[type(exc).__name__] += 1
            return None
        found = codes(body)
        for code in found:
            self.errors[code] += 1
        if "UNAUTHENTICATED" in found:
            await self._log_in_again(who)
        return body.get("data") if not body.get("errors") else None

    async def _log_in_again(self, who: Account) -> None:
        with contextlib.suppress(httpx.TransportError, ValueError):
            response = await self.gql.post(LOG_IN, {"h": who.handle, "p": PASSWORD})
            token = (response.json().get("data") or {}).get("logIn", {}).get("token")
            if token:
                who.token = token
                self.relogins += 1

    async def _post(self, index: int) -> None:
        authors = self.world.authors
        while not self._stop.is_set():
            n = next(self._seq)
            author = authors[n % len(authors)]
            data = await self._call(POST, author, {"t": f"load {index}.{n}"})
            if data is not None:
                self.posted.append(data["postTweet"]["id"])
            await asyncio.sleep(0.02)

    async def _read(self, index: int) -> None:
        everyone = self.world.everyone
        for n in itertools.count(index):
            if self._stop.is_set():
                return
            await self._call(HOME, everyone[n % len(everyone)])
            self.reads += 1
            await asyncio.sleep(0.01)


async def home_ids(gql: Gql, who: Account) -> list[int] | None:
    response = await gql.post(HOME, None, who.token)
    body = response.json()
    if body.get("errors"):
        return None
    return [int(e["node"]["id"]) for e in body["data"]["homeTimeline"]["edges"] if e["source"] != "SUGGESTED"]


async def oracle_ids(driver: AsyncDriver, who: Account) -> list[int]:
    return [t.id for t in await pull_home(driver, int(who.id), None, 100)]


async def mismatches(gql: Gql, driver: AsyncDriver, world: World) -> dict[str, tuple[set[int], set[int]]]:
    """Users whose feed differs from the oracle: handle -> (missing from the feed, extra in the feed)."""
    found: dict[str, tuple[set[int], set[int]]] = {}
    for who in world.everyone:
        feed = await home_ids(gql, who)
        want = await oracle_ids(driver, who)
        if feed != want:
            have = set(feed or [])
            found[who.handle] = (set(want) - have, have - set(want))
    return found


async def wait_feeds_match_oracle(gql: Gql, driver: AsyncDriver, world: World, within: float = 45.0) -> None:
    """Every feed equals the pull oracle, eventually (the worker may still be catching up)."""
    deadline = time.monotonic() + within
    while True:
        with contextlib.suppress(httpx.TransportError):
            diff = await mismatches(gql, driver, world)
            if not diff:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"feeds differ from the oracle after {within}s: {diff}")
        await asyncio.sleep(0.5)
