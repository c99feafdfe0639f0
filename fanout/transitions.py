"""Celebrity threshold crossings, in either direction, without a tweet missing from any feed meanwhile.

The worker treats an author as a celebrity iff the author is in the ``celebmode`` set, not by reading the
follower count, so the switch happens only once followers' state is ready for it:

- up: add the author to every (existing) ``celebs:{follower}`` set first, then enter celebrity mode. Until
  then new tweets are still fanned out; after, every follower merges them on read.
- down: leave celebrity mode first (new tweets are fanned out again), then for every follower backfill the
  author's recent tweets into the timeline and only then drop the author from ``celebs:``.

Jobs are queued on the fan-out stream (kind ``celeb``) by follow/unfollow and by the worker when the follower
count and the mode disagree; a job reconciles to the current count, so repeats are harmless.
"""

from __future__ import annotations

from fanout.context import EngineContext
from fanout.derived import Derived
from fanout.jobs import CelebJob
from fanout.live import CELEBS_CHANGED

RECONCILE_DEDUPE_S = 300


async def request_reconcile(
    ctx: EngineContext, author_id: int, follower_count: int, *, in_mode: bool | None = None
) -> bool:
    """Queue a reconcile job if the count and the mode disagree (once per author while one is queued).
    ``in_mode``: whether the author is in celebrity mode, when the caller has just read it."""
    if in_mode is None:
        in_mode = bool(await ctx.redis.sismember(ctx.keys.celebrity_mode, str(author_id)))
    if (follower_count >= ctx.config.celebrity_threshold) == in_mode:
        # Agreeing, unless followers' celebs: sets got the author ahead of a switch that will not come now.
        below = not in_mode and follower_count < ctx.config.celebrity_threshold
        if not (below and await ctx.redis.exists(ctx.keys.celebs_early(author_id))):
            return False
    if not await ctx.redis.set(ctx.keys.reconcile_pending(author_id), b"1", nx=True, ex=RECONCILE_DEDUPE_S):
        return False
    await ctx.store.enqueue(ctx.redis, CelebJob(author_id), await ctx.bookmarks())
    return True


async def reconcile_all(ctx: EngineContext, derived: Derived) -> int:
    """Queue reconciles for every author whose follower count and fan-out mode disagree (worker start-up:
    a crossing whose job was lost, e.g. with a Redis flush, is caught up here)."""
    authors = await ctx.users.follower_counts_to_reconcile(
        ctx.config.celebrity_threshold, await derived.celebrity_mode()
    )
    queued = 0
    for author_id, follower_count in authors:
        queued += await request_reconcile(ctx, author_id, follower_count)
    return queued


async def reconcile(ctx: EngineContext, derived: Derived, author_id: int, page_size: int) -> str:
    """Bring followers' celebs:/tl: state and the mode in line with the author's follower count."""
    keys, cfg = ctx.keys, ctx.config
    outcome = "unchanged"
    for _ in range(3):  # the count may move again while we work: settle on the latest
        author = await ctx.users.by_id(author_id)
        if author is None:
            break
        want = author.follower_count >= cfg.celebrity_threshold
        in_mode = bool(await ctx.redis.sismember(keys.celebrity_mode, str(author_id)))
        if want == in_mode:
            if not want and await ctx.redis.delete(keys.celebs_early(author_id)):
                # A follow put the author in followers' celebs: sets by its count, which dropped back before
                # the switch up (main's bug: those followers kept the author as a celebrity, labels and
                # merges included). Fan-out never stopped, so their timelines are complete: only the sets.
                async for page in ctx.follows.follower_id_pages(author_id, page_size):
                    async with ctx.redis.pipeline(transaction=False) as pipe:
                        for f in page:
                            pipe.srem(keys.celebs(f), str(author_id))
                        await ctx.store.publish_many(
                            [keys.live_timeline(f) for f in page], CELEBS_CHANGED, pipe
                        )
                        await ctx.store.execute(pipe)
                outcome = "cleaned"
            break
        if want:
            await ctx.redis.delete(keys.celebs_early(author_id))  # the switch comes: those entries are right
            async for page in ctx.follows.follower_id_pages(author_id, page_size):
                async with ctx.redis.pipeline(transaction=False) as pipe:
                    for f in page:
                        await ctx.store.sadd_if_exists(keys.celebs(f), str(author_id), client=pipe)
                    await ctx.store.publish_many([keys.live_timeline(f) for f in page], CELEBS_CHANGED, pipe)
                    await ctx.store.execute(pipe)
            await ctx.redis.sadd(keys.celebrity_mode, str(author_id))
            outcome = "up"
            ctx.stats.crossings_up += 1
        else:
            await ctx.redis.srem(keys.celebrity_mode, str(author_id))
            recent = await derived.author_recent_ids(author_id, cfg.timeline_cap)
            async for page in ctx.follows.follower_id_pages(author_id, page_size):
                # The backfill first (every slot group answered), then the celebs: sets: a follower never
                # loses the author from celebs: before the author's tweets are in their timeline.
                await ctx.store.backfill(page, recent)
                async with ctx.redis.pipeline(transaction=False) as pipe:
                    for f in page:
                        pipe.srem(keys.celebs(f), str(author_id))
                    await ctx.store.publish_many([keys.live_timeline(f) for f in page], CELEBS_CHANGED, pipe)
                    await ctx.store.execute(pipe)
            outcome = "down"
            ctx.stats.crossings_down += 1
    await ctx.redis.delete(keys.reconcile_pending(author_id))
    return outcome
