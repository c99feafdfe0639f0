"""The one owner of every Redis key and pub/sub channel name.

Every key starts with the configured prefix (tests isolate themselves with it) and carries its user (or
tweet) id as a ``{hash tag}``, so the keys of one user land in one Redis Cluster slot. The timeline store
(fanout/store.py) holds a ``Keys`` and is the one writer of the feed data; the README's key table lists every
family named here.
"""

from __future__ import annotations

FANOUT_GROUP = "fanout-workers"
# The fan-out queue is split in this many streams (Keys.fanout_stream), a job's shard chosen by its author
# (fanout_shard), so that on a cluster the queue's writes and reads spread over the nodes. Fixed, not a
# setting: the messages of a shard beyond a changed count would never be read again.
FANOUT_SHARDS = 4

_MASK64 = (1 << 64) - 1


def fanout_shard(author_id: int) -> int:
    """The queue shard of an author's jobs (post, delete, celebrity reconcile: one shard, so one author's jobs
    keep their order). Ids are snowflake-like, their low bits far from uniform: the id is mixed first
    (splitmix64's finalizer), so authors spread evenly over the shards."""
    x = author_id & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    x ^= x >> 31
    return x % FANOUT_SHARDS


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        # Lua derives a follower's live channel from its timeline key: channel = live_prefix + key[len(prefix):].
        self.live_prefix = f"{prefix}live:"

    @staticmethod
    def head(key: str) -> str:
        """A per-user key without its ``{uid}`` hash tag: Lua derives a user's other keys from one of them by
        putting its tag after their heads (same tag, same slot)."""
        return key[: key.rindex("{")]

    # --- timelines and author lists (sorted sets of 8-byte big-endian ids, score 0; see fanout/store.py) ---
    def timeline(self, uid: int) -> str:
        return f"{self.prefix}tl:{{{uid}}}"

    def author_tweets(self, uid: int) -> str:
        return f"{self.prefix}ut:{{{uid}}}"

    def live_log(self, uid: int) -> str:
        """The timeline's recent live inserts in the order they were published: tweet id member (8 bytes),
        score = its position (``seq``), so a resuming client gets late inserts too (see fanout/store.py)."""
        return f"{self.prefix}ll:{{{uid}}}"

    def live_generation(self, uid: int) -> str:
        """The live log's generation: a time in microseconds (the API's clock, or Redis TIME for an author's own
        post), written by a subscription as it starts when absent (a new subscriber, a day without one, Redis
        lost its data) and refreshed while it runs. Fan-out logs and publishes a follower's insert only while it
        exists (nobody else could receive the event or resume from the log). Every logged live insert and the
        author's own insert carry it, and so do resume
        cursors: a subscription that sees another generation knows Redis lost its live state and the positions
        it holds. Lua names it from the live log's key (fanout/functions.py: ``log .. ':g'``); one slot with it."""
        return f"{self.live_log(uid)}:g"

    def live_watch(self, uid: int, token: str) -> str:
        """Exists while one live subscription of ``uid`` runs (refreshed by its checks): gone means Redis lost
        its data, even if a read has rebuilt the timeline since (FeedService.live_state_lost)."""
        return f"{self.prefix}lw:{{{uid}}}:{token}"

    def timeline_lock(self, uid: int) -> str:
        """Single-flight lock of a timeline rebuild (SET NX PX)."""
        return f"{self.prefix}lock:tl:{{{uid}}}"

    # --- follow-derived sets ----------------------------------------------------------------------------
    def celebs(self, uid: int) -> str:
        """The celebrities ``uid`` follows (plus a sentinel member marking the set as built)."""
        return f"{self.prefix}celebs:{{{uid}}}"

    def followees(self, uid: int) -> str:
        """Everyone ``uid`` follows (plus the sentinel): the read-time filter for unfollowed authors."""
        return f"{self.prefix}fw:{{{uid}}}"

    def hidden(self, uid: int) -> str:
        """Accounts ``uid`` mutes or blocks or is blocked by (plus the sentinel): fan-out skips their posts
        for ``uid`` and reads, live events included, filter them out (DESIGN.md's ``mu:{uid}``)."""
        return f"{self.prefix}mu:{{{uid}}}"

    def no_reposts(self, uid: int) -> str:
        """Followees whose reposts ``uid`` does not want (showReposts: false), plus the sentinel."""
        return f"{self.prefix}nr:{{{uid}}}"

    @property
    def celebrity_mode(self) -> str:
        """Authors currently fanned out on read (switched by the worker after celebs: sets are updated)."""
        return f"{self.prefix}celebmode"

    def celebs_early(self, uid: int) -> str:
        """Some ``celebs:`` sets got ``uid`` by its follower count before it entered celebrity mode (a follow
        that reached the threshold): if the count drops back before the switch, a reconcile takes them out."""
        return f"{self.prefix}celebearly:{{{uid}}}"

    def reconcile_pending(self, uid: int) -> str:
        """Dedupe marker: a celebrity-status reconcile job for ``uid`` is queued."""
        return f"{self.prefix}reconcile:{{{uid}}}"

    # --- caches -----------------------------------------------------------------------------------------
    def tweet(self, tweet_id: int) -> str:
        return f"{self.prefix}tw:{{{tweet_id}}}"

    def user(self, uid: int) -> str:
        return f"{self.prefix}u:{{{uid}}}"

    def likes(self, uid: int) -> str:
        """The tweets ``uid`` likes (8-byte ids, score 0) at or above a floor id, held as the score of the
        empty member that marks the set as built (fanout/viewer_flags.py)."""
        return f"{self.prefix}lk:{{{uid}}}"

    def likes_version(self, uid: int) -> str:
        """Counts ``uid``'s like and unlike writes, so a fill of ``likes`` that raced one is dropped."""
        return f"{self.prefix}lkv:{{{uid}}}"

    def reposts(self, uid: int) -> str:
        """The originals ``uid`` has a live repost of (8-byte ids, score 0) at or above a floor id, as
        ``likes`` (fanout/viewer_flags.py)."""
        return f"{self.prefix}rp:{{{uid}}}"

    def reposts_version(self, uid: int) -> str:
        """Counts ``uid``'s repost and unrepost writes, so a fill of ``reposts`` that raced one is dropped."""
        return f"{self.prefix}rpv:{{{uid}}}"

    def active(self, uid: int) -> str:
        """Throttle of the lastActiveAt write: exists while it is fresh (one hour; see FeedReader.view_state)."""
        return f"{self.prefix}act:{{{uid}}}"

    def top_snapshot(self, uid: int, snapshot: str) -> str:
        """A frozen TOP ranking (packed ids) so that TOP pages stay consistent while scores move."""
        return f"{self.prefix}top:{{{uid}}}:{snapshot}"

    def trending(self, shard: int) -> str:
        """One of the TRENDING_SHARDS parts of the trending set (fanout/store.py), a tweet's part chosen by its
        id: on a cluster the per-post writes spread over the nodes instead of one hot key."""
        return f"{self.prefix}trending:{{t{shard}}}"

    # --- the fan-out stream, in FANOUT_SHARDS shards ----------------------------------------------------
    def fanout_stream(self, shard: int) -> str:
        """Shard ``shard`` of the fan-out queue (a job's shard: ``fanout_shard`` of its author). Shard 0 keeps
        the name of the single stream of earlier versions, so an upgrade finds what was queued; the others
        carry a ``{qN}`` hash tag, a slot of their own (on a cluster the shards spread over the nodes)."""
        return f"{self.prefix}fanout" if shard == 0 else f"{self.prefix}fanout:{{q{shard}}}"

    @property
    def fanout_streams(self) -> list[str]:
        """Every shard's stream, by shard number: what the worker reads and the metrics sum over."""
        return [self.fanout_stream(shard) for shard in range(FANOUT_SHARDS)]

    @property
    def fanout_group(self) -> str:
        """The consumer group, of the same name on every shard."""
        return FANOUT_GROUP

    def fanout_progress(self, shard: int, message_id: str) -> str:
        """Last follower id done for a message of shard ``shard``, so a claimed message resumes where it
        stopped (message ids repeat across streams, hence the shard in the name; shard 0's is the old name)."""
        if shard == 0:
            return f"{self.prefix}fanout:progress:{message_id}"
        return f"{self.prefix}fanout:progress:q{shard}:{message_id}"

    def fanout_queued(self, shard: int, job_id: int) -> str:
        """Marks an outbox job (graph/outbox.py) as queued on its shard's stream, so the API's XADD and the
        worker's relay never both queue it. Its hash tag is the stream's (shard 0: the stream's whole name, as
        a key without a tag hashes by its whole name), so marker and stream share a cluster slot and one
        function call sets both."""
        tag = self.fanout_stream(0) if shard == 0 else f"q{shard}"
        return f"{self.prefix}fanout:queued:{{{tag}}}:{job_id}"

    # --- live pub/sub channels --------------------------------------------------------------------------
    def live_timeline(self, uid: int) -> str:
        return f"{self.live_prefix}tl:{{{uid}}}"

    def live_author(self, uid: int) -> str:
        return f"{self.live_prefix}author:{{{uid}}}"
