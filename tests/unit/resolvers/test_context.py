"""The request context's pure parts: the viewer, the loaders' batching and flags, authentication, rate limits."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from graph.errors import NotFound, RateLimited, Unauthenticated
from resolvers.viewer import Viewer
from tests.unit.resolvers.fakes import FakeEngine, FakeTokens, context, user


def test_anonymous_viewer() -> None:
    viewer = Viewer()
    assert viewer.optional() is None
    with pytest.raises(Unauthenticated, match="sign in required"):
        viewer.require()


def test_signed_in_viewer() -> None:
    viewer = Viewer()
    viewer.sign_in(7, "secret")
    assert (viewer.optional(), viewer.require(), viewer.token) == (7, 7, "secret")


def test_a_bad_token_is_unauthenticated_even_where_anonymous_is_fine() -> None:
    viewer = Viewer(bad_token=True)
    for check in (viewer.optional, viewer.require):
        with pytest.raises(Unauthenticated, match="invalid or expired token"):
            check()


async def test_authenticate_signs_in_or_marks_the_token_bad() -> None:
    ctx = context(tokens=FakeTokens({"good": 1}))
    assert await ctx.accounts.authenticate("good")
    assert (ctx.viewer.id, ctx.viewer.token, ctx.viewer.bad_token) == (1, "good", False)
    ctx = context(tokens=FakeTokens({"good": 1}))
    assert not await ctx.accounts.authenticate("forged")
    assert (ctx.viewer.id, ctx.viewer.bad_token) == (None, True)


async def test_log_out_revokes_this_requests_token() -> None:
    tokens = FakeTokens({"good": 1})
    ctx = context(tokens=tokens)
    with pytest.raises(Unauthenticated):
        await ctx.accounts.log_out()
    await ctx.accounts.authenticate("good")
    assert await ctx.accounts.log_out()
    assert tokens.revoked == ["good"]


async def test_loads_in_one_tick_are_one_batch() -> None:
    engine = FakeEngine()
    ctx = context(engine)
    first, second, missing = await asyncio.gather(
        ctx.loaders.user(1), ctx.loaders.user(2), ctx.loaders.user(99), return_exceptions=True
    )
    assert engine.calls == [("users", [1, 2, 99])]
    assert [u.record.id for u in (first, second)] == [1, 2]  # type: ignore[union-attr]
    assert isinstance(missing, NotFound)


async def test_primed_users_need_no_engine_call_until_cleared() -> None:
    engine = FakeEngine()
    ctx = context(engine)
    record = user(3)
    assert ctx.loaders.prime_user(record).record is record
    assert (await ctx.loaders.user(3)).record is record
    assert engine.calls == []
    ctx.loaders.clear()
    await ctx.loaders.user(3)
    assert engine.calls == [("users", [3])]


async def _answer(value: Any) -> Any:
    """A field's answer: given at once (``*_now`` from the loaders' cache, or anonymous) or to await."""
    return await value if inspect.isawaitable(value) else value


async def test_viewer_flags_are_false_without_asking_when_anonymous_or_self() -> None:
    engine = FakeEngine()
    anonymous = context(engine)
    assert not await anonymous.loaders.viewer_follows(2)
    assert not await anonymous.loaders.follows_viewer(2)
    assert anonymous.loaders.liked_now(100) is False  # at once, nothing to await
    me = context(engine, FakeTokens({"t": 1}))
    await me.accounts.authenticate("t")
    assert not await me.loaders.viewer_follows(1)
    assert engine.calls == []
    assert await me.loaders.viewer_follows(2)
    assert not await me.loaders.follows_viewer(2)  # the same batch answers both directions
    assert await _answer(me.loaders.liked_now(100))
    assert not await _answer(me.loaders.liked_now(101))
    assert engine.calls == [("follow_flags", [2]), ("liked", [100]), ("liked", [101])]


async def test_rate_limits_are_asked_before_the_action() -> None:
    asked: list[tuple[str, str]] = []

    async def rate_limit(action: str, subject: str) -> None:
        asked.append((action, subject))
        raise RateLimited("slow down")

    ctx = context(tokens=FakeTokens({"t": 5}), rate_limit=rate_limit)
    with pytest.raises(RateLimited):
        await ctx.accounts.log_in("SomeOne", "password")
    with pytest.raises(RateLimited):
        await ctx.accounts.sign_up("NewOne", "password", None)
    with pytest.raises(Unauthenticated):  # the viewer first: anonymous posts are not counted
        await ctx.writer.post_tweet("hi")
    await ctx.accounts.authenticate("t")
    with pytest.raises(RateLimited):
        await ctx.writer.post_tweet("hi")
    assert asked == [("logIn", "someone"), ("signUp", "newone"), ("postTweet", "5")]


async def test_viewer_requiring_reads_refuse_anonymous() -> None:
    ctx = context()
    with pytest.raises(Unauthenticated):
        await ctx.feeds.home(20, None, None)
    with pytest.raises(Unauthenticated):
        await ctx.people.suggested(10)
    assert await ctx.people.signed_in() is None
