"""The demo world's conversations: replies and threads, reposts, mutes and blocks, added through the graph
repositories after the bulk load (so they obey the same rules and counters as the API's writes).

Deterministic (one random seed) and small: it runs for the demo preset only. It is aimed at the ``demo`` login,
whose first feed then shows replies (to accounts demo follows, and threads), reposts with their "reposted by"
line, and whose profile views show a mute and a block; a few other users mute and block each other too. The
timelines in Redis are rebuilt from the graph on first read, so nothing else needs writing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from neo4j import AsyncDriver

from graph.driver import DATABASE
from graph.errors import FeedlineError
from graph.follows import FollowRepo
from graph.ids import IdGenerator
from graph.tweets import TweetRepo

REPLY_TEXTS = (
    "Agreed, and the numbers back it up.",
    "Interesting, how does it behave under load?",
    "This is the part people usually miss.",
    "Same here, we switched last month.",
    "Do you have a write-up of that?",
)
THREAD_TEXTS = ("More on this below.", "And one more thing:", "Last part of the thread.")

_FOLLOWEES: LiteralString = (
    "MATCH (:User {handleLower: $h})-[:FOLLOWS]->(f:User) RETURN f.id AS id, f.handle AS handle ORDER BY id"
)
_RECENT: LiteralString = (
    "UNWIND $ids AS uid MATCH (a:User {id: uid})-[:POSTED]->(t:Tweet) WHERE NOT t.deleted "
    "  AND t.repostOf IS NULL AND t.replyTo IS NULL "
    "WITH a, t ORDER BY t.id DESC WITH a, collect(t.id)[0..3] AS ids "
    "RETURN a.id AS author, ids"
)
_STRANGERS: LiteralString = (
    "MATCH (d:User {handleLower: $h}) MATCH (u:User) WHERE u <> d AND NOT (d)-[:FOLLOWS]->(u) "
    "RETURN u.id AS id, u.handle AS handle ORDER BY id LIMIT 60"
)


@dataclass
class SocialResult:
    replies: int = 0
    reposts: int = 0
    mutes: int = 0
    blocks: int = 0


async def _rows(driver: AsyncDriver, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = await driver.execute_query(query, database_=DATABASE, **params)
    return [dict(r) for r in records]


async def add_conversations(driver: AsyncDriver, *, seed: int, viewer_handle: str = "demo") -> SocialResult:
    """Replies, threads, reposts, mutes and blocks around ``viewer_handle`` (see the module docstring)."""
    rng = random.Random(seed)
    ids = IdGenerator(0)  # worker 0, like the rest of the seed: serving processes use other worker ids
    tweets, follows = TweetRepo(driver, ids), FollowRepo(driver)
    result = SocialResult()
    followees = await _rows(driver, _FOLLOWEES, h=viewer_handle.lower())
    strangers = await _rows(driver, _STRANGERS, h=viewer_handle.lower())
    if len(followees) < 4 or len(strangers) < 4:
        return result
    recent = {
        int(r["author"]): [int(i) for i in r["ids"]]
        for r in await _rows(driver, _RECENT, ids=[f["id"] for f in followees + strangers])
    }

    def pick_tweet(among: Sequence[dict[str, Any]]) -> tuple[int, int] | None:
        candidates = [(int(u["id"]), t) for u in among for t in recent.get(int(u["id"]), [])]
        return rng.choice(candidates) if candidates else None

    now_ms = int(time.time() * 1000)
    # Replies between accounts the viewer follows (the viewer follows both: they reach the home).
    for _ in range(10):
        who, target = rng.choice(followees), pick_tweet(followees)
        if target is None or target[0] == who["id"]:
            continue
        try:
            await tweets.post(int(who["id"]), rng.choice(REPLY_TEXTS), reply_to=target[1])
            result.replies += 1
        except FeedlineError:
            continue
    # Threads: a followee replies to their own tweet, twice.
    for who in rng.sample(followees, 3):
        own = recent.get(int(who["id"]), [])
        parent = own[0] if own else None
        for text in THREAD_TEXTS[: 1 + rng.randrange(2)]:
            if parent is None:
                break
            reply, _ = await tweets.post(int(who["id"]), text, reply_to=parent)
            parent = reply.id
            result.replies += 1
    # Reposts by followees of strangers' tweets: shown with "reposted by" (the viewer does not follow the author).
    for who in rng.sample(followees, min(8, len(followees))):
        target = pick_tweet(strangers)
        if target is None:
            continue
        try:
            original, author, blocked, mine = await tweets.repost_target(int(who["id"]), target[1])
            if not blocked and mine is None:
                await tweets.repost(int(who["id"]), original, author, ids.next_id(), None)
                result.reposts += 1
        except FeedlineError:
            continue
    # The viewer mutes one account they follow and blocks a stranger; a few others mute and block each other.
    viewer = await _rows(
        driver, "MATCH (u:User {handleLower: $h}) RETURN u.id AS id", h=viewer_handle.lower()
    )
    me = int(viewer[0]["id"])
    await follows.mute(me, str(followees[-1]["handle"]), now_ms)
    await follows.block(me, str(strangers[-1]["handle"]), now_ms)
    result.mutes, result.blocks = 1, 1
    others = strangers[:-1]
    for _ in range(6):
        a, b = rng.sample(others, 2)
        if rng.random() < 0.5:
            await follows.mute(int(a["id"]), str(b["handle"]), now_ms)
            result.mutes += 1
        else:
            await follows.block(int(a["id"]), str(b["handle"]), now_ms)
            result.blocks += 1
    return result
