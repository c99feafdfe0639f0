"""Replies, reposts, mutes and blocks over the API (real API + worker processes, Redis, Neo4j), live events
included, and the error codes of the new mutations (each failed write leaves nothing behind)."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
import redis.asyncio as aioredis
from neo4j import AsyncDriver

from graph.driver import DATABASE
from tests.api.gqlclient import Account, Gql, WsClient, eventually, new_handle, until_all
from tests.api.test_subscriptions import make_celebrity
from tests.support.processes import Stack

REPLY = "mutation($t: String!, $r: ID) { postTweet(text: $t, inReplyTo: $r) { id inReplyTo { id } } }"
REPOST = "mutation($id: ID!) { repost(id: $id) { id repostCount viewerHasReposted } }"
UNREPOST = "mutation($id: ID!) { unrepost(id: $id) { id repostCount viewerHasReposted } }"
FOLLOW = (
    "mutation($h: String!, $s: Boolean) { follow(handle: $h, showReposts: $s) { id viewerFollows "
    "viewerShowsReposts } }"
)
USER_FLAGS = (
    "query($h: String!) { user(handle: $h) { followerCount followingCount viewerFollows followsViewer "
    "viewerMutes viewerBlocks viewerShowsReposts tweets { edges { node { id } } } } }"
)
HOME = (
    "{ homeTimeline(first: 100) { edges { cursor source node { id replyCount repostCount "
    "inReplyTo { id } } repostedBy { handle } } } }"
)
EVENTS = (
    "subscription($after: String) { homeTimelineEvents(after: $after) "
    "{ kind tweetId cursor source tweet { id } repostedBy { handle } } }"
)
RELATION = "mutation($h: String!) {{ {name}(handle: $h) {{ id viewerMutes viewerBlocks viewerFollows }} }}"


async def home(gql: Gql, who: Account) -> list[dict[str, Any]]:
    data = await gql.data(HOME, who.token)
    return [e for e in data["homeTimeline"]["edges"] if e["source"] != "SUGGESTED"]


# The viewer's own probe tweets of a live subscription (see ``live``): left out of what tests compare.
_probes: set[str] = set()


async def home_shows(gql: Gql, who: Account) -> list[tuple[str, str | None]]:
    """(shown tweet id, reposted by handle) of every entry of the viewer's home, newest first (probes aside)."""
    return [
        (e["node"]["id"], (e["repostedBy"] or {}).get("handle"))
        for e in await home(gql, who)
        if e["node"]["id"] not in _probes
    ]


async def eventually_home(gql: Gql, who: Account, want: list[tuple[str, str | None]], what: str) -> None:
    async def matches() -> bool:
        return await home_shows(gql, who) == want

    await eventually(matches, what=what)


class LiveView:
    """What an open client shows: the home it read, then every live event applied (NEW puts an entry in, or
    replaces the one of the same tweet; DELETED takes it out). Probes are left out, as in ``home_shows``."""

    def __init__(self, home: list[tuple[str, str | None]]) -> None:
        self.shows: dict[str, str | None] = dict(home)

    def apply(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            if e["tweetId"] in _probes:
                continue
            if e["kind"] == "NEW":
                self.shows[e["tweetId"]] = (e["repostedBy"] or {}).get("handle")
            else:
                self.shows.pop(e["tweetId"], None)

    async def settles(self, ws: WsClient, op: str, gql: Gql, who: Account, within: float = 10.0) -> None:
        """Apply the events that keep coming until the view equals a fresh read of the home."""
        deadline = time.monotonic() + within
        while True:
            home_now = await home_shows(gql, who)
            assert len(home_now) == len(dict(home_now)), home_now  # each tweet shown once
            if self.shows == dict(home_now):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the live view {self.shows!r} never equalled the home {home_now!r}")
            with contextlib.suppress(pytest.fail.Exception):  # nothing came: read the home again
                self.apply([await ws.next_event(op, within=0.3)])


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(e["kind"], e["tweetId"], (e["repostedBy"] or {}).get("handle")) for e in events]


async def relation(gql: Gql, name: str, who: Account, whom: Account) -> dict[str, Any]:
    return dict((await gql.data(RELATION.format(name=name), who.token, h=whom.handle))[name])


async def reply(gql: Gql, who: Account, text: str, to: str) -> str:
    return str((await gql.data(REPLY, who.token, t=text, r=to))["postTweet"]["id"])


async def live(gql: Gql, stack: Stack, viewer: Account) -> tuple[WsClient, str]:
    """A running subscription of ``viewer`` (started below a probe tweet: see test_subscriptions.py)."""
    ws = await WsClient.open(stack.base_url, viewer.token)
    _probes.add(await gql.post_tweet(viewer, "before the probe"))
    probe = await gql.post_tweet(viewer, "probe")
    _probes.add(probe)
    after = await gql.cursor_below(viewer, probe)
    op = await ws.subscribe(EVENTS, {"after": after})
    await ws.events_until(op, lambda e: e["tweetId"] == probe)
    return ws, op


async def test_a_reply_reaches_only_followers_of_the_account_replied_to(gql: Gql, stack: Stack) -> None:
    viewer, friend, stranger = await gql.sign_up(), await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, friend)
    ws, op = await live(gql, stack, viewer)
    try:
        top = await gql.post_tweet(stranger, "a stranger's tweet")
        to_stranger = await reply(gql, friend, "@stranger hi", top)
        own = await gql.post_tweet(friend, "a thread")
        thread = await reply(gql, friend, "the thread goes on", own)
        # Live: the thread arrives; the reply to an account the viewer does not follow never does.
        events = await ws.events_until(op, lambda e: e["tweetId"] == thread)
        assert to_stranger not in {e["tweetId"] for e in events}
        await eventually_home(gql, viewer, [(thread, None), (own, None)], "the thread in the home")
        entry = (await home(gql, viewer))[0]["node"]
        assert entry["inReplyTo"] == {"id": own}
        # Following the account replied to brings the reply in (fan-out skipped it: the follow backfills it).
        await gql.follow(viewer, stranger)
        want = [(thread, None), (own, None), (to_stranger, None), (top, None)]
        await eventually_home(gql, viewer, want, "the reply after following the account replied to")
        replies = await gql.data(
            "query($id: ID!) { tweet(id: $id) { replyCount replies { edges { node { id } } } } }", id=top
        )
        assert replies["tweet"] == {"replyCount": 1, "replies": {"edges": [{"node": {"id": to_stranger}}]}}
    finally:
        await ws.close()


async def test_a_repost_shows_its_original_once_with_reposted_by_live_too(gql: Gql, stack: Stack) -> None:
    viewer, reposter, other, author = [await gql.sign_up() for _ in range(4)]
    await gql.follow(viewer, reposter)
    await gql.follow(viewer, other)
    original = await gql.post_tweet(author, "worth reposting")
    ws, op = await live(gql, stack, viewer)
    try:
        first = (await gql.data(REPOST, reposter.token, id=original))["repost"]
        assert first == {"id": original, "repostCount": 1, "viewerHasReposted": True}
        again = (await gql.data(REPOST, reposter.token, id=original))["repost"]
        assert again["repostCount"] == 1  # idempotent
        events = await ws.events_until(op, lambda e: e["tweetId"] == original)
        assert events[-1]["repostedBy"] == {"handle": reposter.handle} and events[-1]["tweet"] == {
            "id": original
        }
        await eventually_home(gql, viewer, [(original, reposter.handle)], "the repost in the home")
        # A second repost of the same original (the newer one) does not show it twice.
        await gql.data(REPOST, other.token, id=original)
        await gql.post_tweet(other, "after the second repost")
        home_now = await home_shows(gql, viewer)
        assert [t for t, _ in home_now].count(original) == 1 and (original, reposter.handle) in home_now
        # Unreposting the shown one: the other repost takes its place; the client got a DELETED event.
        await gql.data(UNREPOST, reposter.token, id=original)
        events = await ws.events_until(op, lambda e: e["kind"] == "DELETED")
        assert events[-1]["tweetId"] == original
        await eventually(
            lambda: _contains(gql, viewer, (original, other.handle)), what="the other repost shown instead"
        )
        # Deleting the original hides every repost of it.
        await gql.delete_tweet(author, original)
        await eventually(
            lambda: _lacks(gql, viewer, original), what="the reposts of a deleted original hidden"
        )
    finally:
        await ws.close()


async def test_an_unrepost_brings_in_the_next_repost_of_the_original_live(gql: Gql, stack: Stack) -> None:
    """A feed shows each original once, where it first appears: when that repost goes, an open client is told
    to drop the entry and gets the one of the next repost; a repost that did not show changes nothing."""
    viewer, first, second, third, author, followed = [await gql.sign_up() for _ in range(6)]
    for whom in (first, second, third, followed):
        await gql.follow(viewer, whom)
    original = await gql.post_tweet(author, "reposted three times")
    own = await gql.post_tweet(followed, "shows by itself")
    for who in (first, second, third):
        await gql.data(REPOST, who.token, id=original)
    await gql.data(REPOST, first.token, id=own)
    marker = await gql.post_tweet(third, "after the reposts")
    want = [(marker, None), (original, first.handle), (own, None)]  # the original stands at the repost
    await eventually_home(gql, viewer, want, "the reposts fanned out")
    ws, op = await live(gql, stack, viewer)
    try:
        view = LiveView(await home_shows(gql, viewer))
        # Reposts the feed does not show: the second one of the original (the first shows it), and one of a
        # tweet that shows by itself. Their removal sends no event.
        await gql.data(UNREPOST, second.token, id=original)
        await gql.data(UNREPOST, first.token, id=own)
        barrier = await gql.post_tweet(third, "barrier")
        events = await ws.events_until(op, lambda e: e["tweetId"] == barrier)
        assert kinds(events) == [("NEW", barrier, None)]
        view.apply(events)
        await view.settles(ws, op, gql, viewer)
        # The shown repost goes: the entry leaves and comes back with the next repost (the third's).
        await gql.data(UNREPOST, first.token, id=original)
        events = await ws.events_until(op, lambda e: e["kind"] == "NEW" and e["tweetId"] == original)
        assert kinds(events) == [("DELETED", original, None), ("NEW", original, third.handle)]
        view.apply(events)
        await view.settles(ws, op, gql, viewer)
        assert view.shows[original] == third.handle
        # The last repost goes: so does the original.
        await gql.data(UNREPOST, third.token, id=original)
        events = await ws.events_until(op, lambda e: e["kind"] == "DELETED")
        assert kinds(events) == [("DELETED", original, None)]
        view.apply(events)
        await view.settles(ws, op, gql, viewer)
        assert original not in view.shows
    finally:
        await ws.close()


async def _contains(gql: Gql, who: Account, entry: tuple[str, str | None]) -> bool:
    return entry in await home_shows(gql, who)


async def _lacks(gql: Gql, who: Account, tweet_id: str) -> bool:
    return tweet_id not in [t for t, _ in await home_shows(gql, who)]


async def test_show_reposts_false_drops_that_accounts_reposts_also_stored(gql: Gql, stack: Stack) -> None:
    viewer, reposter, other, author = [await gql.sign_up() for _ in range(4)]
    await gql.follow(viewer, reposter)
    await gql.follow(viewer, other)
    original = await gql.post_tweet(author, "reposted")
    alone = await gql.post_tweet(author, "reposted by the reposter alone")
    await gql.data(REPOST, reposter.token, id=original)
    await gql.data(REPOST, reposter.token, id=alone)
    await gql.data(REPOST, other.token, id=original)  # newer: hidden while the reposter's shows it
    own = await gql.post_tweet(reposter, "an own tweet")
    want = [(own, None), (alone, reposter.handle), (original, reposter.handle)]
    await eventually_home(gql, viewer, want, "the reposts stored")
    ws, op = await live(gql, stack, viewer)
    try:
        view = LiveView(await home_shows(gql, viewer))
        changed = (await gql.data(FOLLOW, viewer.token, h=reposter.handle, s=False))["follow"]
        assert changed == {"id": reposter.id, "viewerFollows": True, "viewerShowsReposts": False}
        # At once, for what was stored too; the open client drops them, and the original comes back with the
        # other account's repost.
        assert await home_shows(gql, viewer) == [(own, None), (original, other.handle)]
        events = await ws.events_until(op, lambda e: e["kind"] == "NEW" and e["tweetId"] == original)
        assert sorted(kinds(events)) == sorted(
            [("DELETED", alone, None), ("DELETED", original, None), ("NEW", original, other.handle)]
        )
        view.apply(events)
        await view.settles(ws, op, gql, viewer)
        # Back on: they come back, live too.
        await gql.data(FOLLOW, viewer.token, h=reposter.handle, s=True)
        assert await home_shows(gql, viewer) == want
        pending = {alone, original}

        def both_back(event: dict[str, Any]) -> bool:
            if event["kind"] == "NEW" and (event["repostedBy"] or {}).get("handle") == reposter.handle:
                pending.discard(event["tweetId"])
            return not pending

        view.apply(await ws.events_until(op, both_back))
        await view.settles(ws, op, gql, viewer)
        assert view.shows == dict(want)
    finally:
        await ws.close()


async def test_a_mute_hides_stored_entries_and_live_events_at_once(gql: Gql, stack: Stack) -> None:
    viewer, muted, friend = [await gql.sign_up() for _ in range(3)]
    await gql.follow(viewer, muted)
    await gql.follow(viewer, friend)
    before = await gql.post_tweet(muted, "stored before the mute")
    await eventually_home(gql, viewer, [(before, None)], "the tweet stored")
    ws, op = await live(gql, stack, viewer)
    try:
        flags = await relation(gql, "mute", viewer, muted)
        assert flags == {"id": muted.id, "viewerMutes": True, "viewerBlocks": False, "viewerFollows": True}
        # The open client is told to drop the stored entry; the feed no longer has it.
        events = await ws.events_until(op, lambda e: e["kind"] == "DELETED")
        assert events[-1]["tweetId"] == before
        assert before not in [t for t, _ in await home_shows(gql, viewer)]
        hidden = await gql.post_tweet(muted, "while muted")
        shown = await gql.post_tweet(friend, "from a friend")
        events = await ws.events_until(op, lambda e: e["tweetId"] == shown)
        assert hidden not in {e["tweetId"] for e in events}
        assert hidden not in [t for t, _ in await home_shows(gql, viewer)]
        # Unmuting brings both back (still followed all along), live too.
        view = LiveView(await home_shows(gql, viewer))
        assert (await relation(gql, "unmute", viewer, muted))["viewerMutes"] is False
        want = [(shown, None), (hidden, None), (before, None)]
        assert [e for e in await home_shows(gql, viewer) if e[0] in {shown, hidden, before}] == want
        view.apply(await ws.events_until(op, until_all("NEW", {hidden, before})))
        await view.settles(ws, op, gql, viewer)
    finally:
        await ws.close()


async def test_a_block_removes_follows_both_ways_and_forbids_across_it(gql: Gql, stack: Stack) -> None:
    blocker, blocked = await gql.sign_up(), await gql.sign_up()
    await gql.follow(blocker, blocked)
    await gql.follow(blocked, blocker)
    theirs = await gql.post_tweet(blocked, "seen by the blocker until the block")
    mine = await gql.post_tweet(blocker, "the blocker's tweet")
    await eventually_home(gql, blocker, [(mine, None), (theirs, None)], "the follow's tweets")
    answer = await reply(gql, blocker, "a reply before the block", theirs)
    await eventually_home(gql, blocker, [(answer, None), (mine, None), (theirs, None)], "the own reply")
    ws, op = await live(gql, stack, blocker)
    try:
        flags = await relation(gql, "block", blocker, blocked)
        assert flags == {"id": blocked.id, "viewerMutes": False, "viewerBlocks": True, "viewerFollows": False}
        events = await ws.events_until(op, lambda e: e["kind"] == "DELETED" and e["tweetId"] == theirs)
        assert events[-1]["tweetId"] == theirs
    finally:
        await ws.close()
    seen = (await gql.data(USER_FLAGS, blocked.token, h=blocker.handle))["user"]
    assert (seen["viewerFollows"], seen["followsViewer"], seen["followerCount"], seen["followingCount"]) == (
        False, False, 0, 0,
    )  # fmt: skip
    assert seen["tweets"]["edges"] == []  # profiles hide each other's tweets
    # Follow, reply and repost across the block are refused, both ways; nothing is written.
    for who, whom, tweet in ((blocked, blocker, mine), (blocker, blocked, theirs)):
        assert await gql.codes(FOLLOW, who.token, h=whom.handle) == ["FORBIDDEN"]
        assert await gql.codes(REPLY, who.token, t="no", r=tweet) == ["FORBIDDEN"]
        assert await gql.codes(REPOST, who.token, id=tweet) == ["FORBIDDEN"]
    search = await gql.data(
        "query($q: String!) { searchUsers(query: $q) { id } }", blocked.token, q=blocker.handle
    )
    assert search["searchUsers"] == []
    # The blocked account's tweets are gone from the blocker's home; the blocker's own reply stays (one's own
    # tweets always show) but no longer shows what it replied to, and the blocked account does not see it
    # among the replies.
    assert await home_shows(gql, blocker) == [(answer, None), (mine, None)]
    seen_reply = await gql.data(
        "query($id: ID!) { tweet(id: $id) { inReplyTo { id } } }", blocker.token, id=answer
    )
    assert seen_reply["tweet"] == {"inReplyTo": None}
    replies = await gql.data(
        "query($id: ID!) { tweet(id: $id) { replyCount replies { edges { node { id } } } } }",
        blocked.token,
        id=theirs,
    )
    assert replies["tweet"] == {"replyCount": 1, "replies": {"edges": []}}
    # Unblocking does not restore the follows.
    assert (await relation(gql, "unblock", blocker, blocked))["viewerFollows"] is False
    assert (await gql.data(FOLLOW, blocked.token, h=blocker.handle, s=True))["follow"][
        "viewerFollows"
    ] is True


async def test_unfollow_emits_deleted_events_for_the_entries_it_removes(gql: Gql, stack: Stack) -> None:
    viewer, followee = await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, followee)
    gone = {await gql.post_tweet(followee, f"tweet {i}") for i in range(2)}
    await eventually(lambda: _has_all(gql, viewer, gone), what="the followee's tweets stored")
    ws, op = await live(gql, stack, viewer)
    try:
        await gql.data(
            "mutation($h: String!) { unfollow(handle: $h) { id } }", viewer.token, h=followee.handle
        )
        pending = set(gone)

        def all_deleted(event: dict[str, Any]) -> bool:
            if event["kind"] == "DELETED":
                pending.discard(event["tweetId"])
            return not pending

        await ws.events_until(op, all_deleted)
    finally:
        await ws.close()


async def _has_all(gql: Gql, who: Account, ids: set[str]) -> bool:
    return ids <= {t for t, _ in await home_shows(gql, who)}


async def _count(driver: AsyncDriver, query: str, **params: Any) -> int:
    records, _, _ = await driver.execute_query(query, database_=DATABASE, **params)
    return int(records[0]["n"])


async def test_bad_input_of_the_new_mutations_gets_its_code_and_writes_nothing(
    gql: Gql, neo4j: AsyncDriver
) -> None:
    me, other = await gql.sign_up(), await gql.sign_up()
    tweet = await gql.post_tweet(other, "to be deleted")
    await gql.delete_tweet(other, tweet)
    tweets = "MATCH (t:Tweet) RETURN count(t) AS n"
    edges = "MATCH ()-[r:MUTES|BLOCKS|FOLLOWS]->() RETURN count(r) AS n"
    before_tweets, before_edges = await _count(neo4j, tweets), await _count(neo4j, edges)
    unknown_id, unknown_handle = "9007199254740000", new_handle("nobody")
    cases: list[tuple[str, dict[str, Any], str]] = [
        (REPLY, {"t": "to nothing", "r": unknown_id}, "NOT_FOUND"),
        (REPLY, {"t": "to a deleted tweet", "r": tweet}, "NOT_FOUND"),
        (REPLY, {"t": "bad id", "r": "not-an-id"}, "BAD_USER_INPUT"),
        (REPOST, {"id": unknown_id}, "NOT_FOUND"),
        (REPOST, {"id": tweet}, "NOT_FOUND"),  # reposting a deleted tweet
        (REPOST, {"id": "-1"}, "BAD_USER_INPUT"),
        (UNREPOST, {"id": unknown_id}, "NOT_FOUND"),
        (RELATION.format(name="mute"), {"h": me.handle}, "BAD_USER_INPUT"),  # muting oneself
        (RELATION.format(name="block"), {"h": me.handle}, "BAD_USER_INPUT"),
        (RELATION.format(name="mute"), {"h": unknown_handle}, "NOT_FOUND"),
        (RELATION.format(name="block"), {"h": unknown_handle}, "NOT_FOUND"),
        (RELATION.format(name="unmute"), {"h": unknown_handle}, "NOT_FOUND"),
        (RELATION.format(name="unblock"), {"h": unknown_handle}, "NOT_FOUND"),
        (FOLLOW, {"h": unknown_handle, "s": False}, "NOT_FOUND"),
    ]
    for query, variables, code in cases:
        assert await gql.codes(query, me.token, **variables) == [code], (query, variables)
        assert await gql.codes(query, None, **variables) == ["UNAUTHENTICATED"], (query, variables)
    assert (await _count(neo4j, tweets), await _count(neo4j, edges)) == (before_tweets, before_edges)
    # Blocking twice (and muting twice) is idempotent: one edge, no error.
    for name in ("block", "block", "mute", "mute"):
        await relation(gql, name, me, other)
    assert await _count(neo4j, edges) == before_edges + 2


async def test_a_muted_celebritys_posts_and_replies_are_filtered_from_live_events(
    gql: Gql, stack: Stack, redis_client: aioredis.Redis
) -> None:
    """Celebrities are not fanned out: their live events reach every follower's subscription, which applies the
    mute and the replies rule itself (and the read merge does the same)."""
    viewer, celeb, friend, stranger = [await gql.sign_up() for _ in range(4)]
    await gql.follow(viewer, celeb)
    await gql.follow(viewer, friend)
    await make_celebrity(gql, redis_client, stack, celeb)
    top = await gql.post_tweet(stranger, "someone the viewer does not follow")
    ws, op = await live(gql, stack, viewer)
    try:
        to_stranger = await reply(gql, celeb, "a celebrity's reply to a stranger", top)
        shown = await gql.post_tweet(celeb, "a celebrity's post")
        events = await ws.events_until(op, lambda e: e["tweetId"] == shown)
        assert events[-1]["source"] == "CELEBRITY"
        assert to_stranger not in {e["tweetId"] for e in events}
        await relation(gql, "mute", viewer, celeb)
        hidden = await gql.post_tweet(celeb, "while muted")
        marker = await gql.post_tweet(friend, "from a friend")
        events = await ws.events_until(op, lambda e: e["tweetId"] == marker)
        assert hidden not in {e["tweetId"] for e in events}
        assert {shown, hidden, to_stranger}.isdisjoint(t for t, _ in await home_shows(gql, viewer))
    finally:
        await ws.close()


# The fields homeTimeline loads ahead for its page (Loaders.prefetch), through an alias and a fragment as a
# client writes them: each answer must be the one the field gives when it loads alone (the tweet query).
PAGE_FIELDS = (
    "fragment T on Tweet { id writer: author { handle displayName } viewerHasLiked viewerHasReposted "
    "inReplyTo { id author { handle } } }"
)
PREFETCHED_HOME = (
    "{ homeTimeline(first: 50) { edges { repostedBy { handle } node { ...T } } } } " + PAGE_FIELDS
)
ALONE = "query($id: ID!) { tweet(id: $id) { ...T } } " + PAGE_FIELDS


async def test_the_fields_a_home_page_loads_ahead_answer_as_each_loads_alone(gql: Gql) -> None:
    viewer, friend, reposter, author = [await gql.sign_up() for _ in range(4)]
    for whom in (friend, reposter):
        await gql.follow(viewer, whom)
    top = await gql.post_tweet(friend, "a thread")
    answer = await reply(gql, friend, "goes on", top)
    original = await gql.post_tweet(author, "worth reposting")
    await gql.data(REPOST, reposter.token, id=original)
    await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", viewer.token, id=top)
    await gql.data(REPOST, viewer.token, id=answer)
    want = {top, answer, original}

    async def page() -> list[dict[str, Any]]:
        data = await gql.data(PREFETCHED_HOME, viewer.token)
        return list(data["homeTimeline"]["edges"])

    await eventually(lambda: _has_all(gql, viewer, want), what="the page holding the thread and the repost")
    edges = [e for e in await page() if e["node"]["id"] in want]
    for edge in edges:
        alone = (await gql.data(ALONE, viewer.token, id=edge["node"]["id"]))["tweet"]
        assert edge["node"] == alone
    by_id = {e["node"]["id"]: e for e in edges}
    assert by_id[top]["node"]["viewerHasLiked"] and not by_id[answer]["node"]["viewerHasLiked"]
    assert by_id[answer]["node"]["viewerHasReposted"] and by_id[answer]["node"]["inReplyTo"]["id"] == top
    assert by_id[original]["repostedBy"] == {"handle": reposter.handle}
    assert by_id[original]["node"]["writer"]["handle"] == author.handle


LIVE_FIELDS = (
    "subscription($after: String) { homeTimelineEvents(after: $after) { kind tweetId repostedBy { handle } "
    "tweet { ...T } } } " + PAGE_FIELDS
)


async def test_the_fields_a_live_event_loads_ahead_answer_as_each_loads_alone(gql: Gql, stack: Stack) -> None:
    """A live event loads what its subscription selects of the tweet ahead (Loaders.prefetch, the engine's
    batchers across subscribers): the event's tweet must be the one the tweet query answers."""
    viewer, friend = await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, friend)
    top = await gql.post_tweet(friend, "the top of a thread")
    await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", viewer.token, id=top)
    ws = await WsClient.open(stack.base_url, viewer.token)
    try:
        probe, after = await gql.replay_point(viewer)
        op = await ws.subscribe(LIVE_FIELDS, {"after": after})
        await ws.events_until(op, lambda e: e["tweetId"] == probe)
        answer = await reply(gql, friend, "and its answer", top)
        events = await ws.events_until(op, lambda e: e["tweetId"] == answer)
        event = events[-1]
        assert event["kind"] == "NEW" and event["repostedBy"] is None
        assert event["tweet"] == (await gql.data(ALONE, viewer.token, id=answer))["tweet"]
        assert (
            event["tweet"]["inReplyTo"]["id"] == top and event["tweet"]["writer"]["handle"] == friend.handle
        )
    finally:
        await ws.close()


def _live_tweets_completed(metrics: str) -> dict[str, float]:
    """feedline_live_tweet_completions_total by outcome, from /metrics."""
    found = {}
    for line in metrics.splitlines():
        if line.startswith("feedline_live_tweet_completions_total{"):
            labels, value = line.rsplit(" ", 1)
            found[labels.split('outcome="')[1].split('"')[0]] = float(value)
    return found


async def test_a_live_tweet_completed_once_is_shared_only_with_the_same_values(
    gql: Gql, stack: Stack
) -> None:
    """Subscribers of one document that get the same tweet share its completion (resolvers/shared_tweets.py)
    only when their values agree: a viewer who liked the tweet gets it liked, the others not, each event's
    tweet the one the tweet query answers that viewer; a reply's target (whether the viewer may see it) is
    never shared."""
    likes, *others = [await gql.sign_up() for _ in range(3)]
    friend, author = await gql.sign_up(), await gql.sign_up()
    for viewer in (likes, *others):
        await gql.follow(viewer, friend)
    original = await gql.post_tweet(author, "worth reposting")
    await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", likes.token, id=original)
    sockets = [await WsClient.open(stack.base_url, v.token) for v in (likes, *others)]
    try:
        ops = []
        for viewer, ws in zip((likes, *others), sockets, strict=True):
            probe, after = await gql.replay_point(viewer)
            ops.append(await ws.subscribe(LIVE_FIELDS, {"after": after}))
            await ws.events_until(ops[-1], lambda e, probe=probe: e["tweetId"] == probe)
        before = _live_tweets_completed((await gql.http.get("/metrics")).text)
        await gql.data(REPOST, friend.token, id=original)
        top = await gql.post_tweet(friend, "a thread")
        answer = await reply(gql, friend, "goes on", top)
        for viewer, ws, op in zip((likes, *others), sockets, ops, strict=True):
            events = await ws.events_until(op, lambda e: e["tweetId"] == answer)
            reposted = next(e for e in events if e["tweetId"] == original)
            assert reposted["repostedBy"] == {"handle": friend.handle}
            assert reposted["tweet"]["viewerHasLiked"] is (viewer is likes)
            for event in events:
                alone = await gql.data(ALONE, viewer.token, id=event["tweetId"])
                assert event["tweet"] == alone["tweet"]
        after_ = _live_tweets_completed((await gql.http.get("/metrics")).text)
        grew = {k: after_.get(k, 0) - before.get(k, 0) for k in ("shared", "completed", "alone")}
        # The repost: completed for the liker and for the first of the two others, shared with the second.
        # The thread's top: completed once, shared twice. The reply: its target is the viewer's business.
        assert grew == {"shared": 3, "completed": 3, "alone": 3}
    finally:
        for ws in sockets:
            await ws.close()
