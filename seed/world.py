"""Deterministic scale data: a power-law social graph with celebrities, tweet history and likes.

The world is generated in numpy from one random seed (same seed, same world), then bulk-loaded into Neo4j with
batched ``UNWIND`` transactions whose rows are parameters only, or, for a large world (>= 1M follows) into an
empty database of the local Neo4j that `feedline services` runs, with ``neo4j-admin database import full``
(Neo4j is stopped for the import and started again: ~10M follows in ~90 s instead of ~170 s). Counters (followerCount, followingCount,
tweetCount, likeCount) are computed from the generated edges before loading, so they are consistent with the
graph by construction and no per-edge counter update is needed.

Follow targets are drawn from a Zipf law over a popularity rank (rank r is chosen with weight 1/(r+1)^alpha):
a few accounts get most of the followers, like on a real network. Exactly ``celebrities`` accounts are pushed
to at least ``celebrity_threshold`` followers and every other account is capped just below it, so the number
of celebrities is the one asked for. The demo world uses a low threshold (the launcher sets 50, see
``ops.launcher.DEMO_CELEBRITY_THRESHOLD``) because a few hundred users cannot reach 50,000 followers.

Everyone seeded shares one known password (``demo-password``); its argon2id hash is computed once and reused
so seeding stays fast. Log in as ``demo`` to see a feed that follows several celebrities.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from graph.ids import EPOCH_MS, SEQUENCE_BITS, TIME_SHIFT

DEMO_HANDLE = "demo"
DEMO_PASSWORD = "demo-password"
# Ids use the engine's one snowflake layout (graph/ids.py: 41 bits of ms since EPOCH_MS | 10 bits of worker
# id | 2 bits of sequence), computed here for whole arrays at once. The seed stamps worker id 0, which no
# serving process uses by default (FEEDLINE_WORKER_ID is 1), so seeded ids never collide with posted ones.
SEED_WORKER = 0
PER_MS = 1 << SEQUENCE_BITS  # ids per millisecond of one worker
DAY_MS = 86_400_000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class SeedPlan:
    users: int
    avg_follows: int
    celebrities: int
    tweets_per_user: float
    likes_per_tweet: float = 2.0
    zipf_alpha: float = 0.9
    history_days: int = 30


PRESETS: dict[str, SeedPlan] = {
    "demo": SeedPlan(users=300, avg_follows=25, celebrities=5, tweets_per_user=8, likes_per_tweet=3.0),
    "medium": SeedPlan(users=100_000, avg_follows=100, celebrities=3, tweets_per_user=5, likes_per_tweet=1.0),
}


@dataclass
class World:
    """The generated graph as flat numpy arrays (indexes into ``user_ids``)."""

    user_ids: np.ndarray
    handles: list[str]
    display_names: list[str]
    user_created_ms: np.ndarray
    follow_src: np.ndarray
    follow_dst: np.ndarray
    tweet_ids: np.ndarray
    tweet_author: np.ndarray
    tweet_created_ms: np.ndarray
    tweet_texts: list[str]
    like_user: np.ndarray
    like_tweet: np.ndarray
    celebrity_indexes: list[int]
    follower_count: np.ndarray = field(init=False)
    following_count: np.ndarray = field(init=False)
    tweet_count: np.ndarray = field(init=False)
    tweet_like_count: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.user_ids)
        self.follower_count = np.bincount(self.follow_dst, minlength=n)
        self.following_count = np.bincount(self.follow_src, minlength=n)
        self.tweet_count = np.bincount(self.tweet_author, minlength=n)
        self.tweet_like_count = np.bincount(self.like_tweet, minlength=len(self.tweet_ids))


@dataclass(frozen=True)
class SeedResult:
    users: int
    follows: int
    tweets: int
    likes: int
    celebrities: list[str]
    seconds: dict[str, float]

    @classmethod
    def of(cls, world: World, seconds: dict[str, float]) -> SeedResult:
        return cls(
            users=len(world.user_ids),
            follows=len(world.follow_src),
            tweets=len(world.tweet_ids),
            likes=len(world.like_user),
            celebrities=[world.handles[i] for i in world.celebrity_indexes],
            seconds=seconds,
        )

    @property
    def follows_per_second(self) -> float:
        return self.follows / max(self.seconds.get("follows", 0.0), 1e-9)


def snowflake(ms: np.ndarray, sequence: np.ndarray, worker: int = SEED_WORKER) -> np.ndarray:
    """graph/ids.py's layout for arrays: the id made at epoch ``ms`` by ``worker`` with ``sequence``."""
    return (
        ((ms.astype(np.int64) - EPOCH_MS) << TIME_SHIFT)
        | (worker << SEQUENCE_BITS)
        | (sequence.astype(np.int64) & (PER_MS - 1))
    )


def _unique_ids(ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort times and give each a distinct (ms, sequence) slot, as IdGenerator does for a burst: at most
    PER_MS ids per millisecond, the overflow borrows the next milliseconds. Returns the ids and their ms."""
    ms = np.sort(ms.astype(np.int64))
    # Slot k of millisecond m is m * PER_MS + k; each id takes the first free slot at or after its own ms:
    # slot[i] = max(slot[i - 1] + 1, ms[i] * PER_MS) = i + max over j <= i of (ms[j] * PER_MS - j).
    index = np.arange(len(ms), dtype=np.int64)
    slots = index + np.maximum.accumulate(ms * PER_MS - index) if len(ms) else ms
    ms, seq = slots // PER_MS, slots % PER_MS
    ids = snowflake(ms, seq)
    if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):  # pragma: no cover - guards the layout above
        raise RuntimeError("generated ids are not strictly increasing")
    return ids, ms


_FIRST = "Ada Alan Grace Linus Barbara Ken Margaret Dennis Radia Edsger Frances Donald Katherine John Hedy"
_LAST = "Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Ritchie Perlman Dijkstra Allen Knuth McCarthy Lamarr"
_WORDS = (
    "feed graph timeline redis neo4j fanout latency cache shard tweet follow celebrity stream worker "
    "python async query index cursor merge rebuild trending coffee morning deploy review weekend ship "
    "today really great idea thanks everyone new release benchmark numbers plot"
)


def generate(plan: SeedPlan, *, seed: int, celebrity_threshold: int, now_ms: int | None = None) -> World:
    rng = np.random.default_rng(seed)
    first_names, last_names, words = _FIRST.split(" "), _LAST.split(" "), _WORDS.split(" ")
    n = plan.users
    if n < 2:
        raise ValueError("need at least 2 users")
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    start_ms = now_ms - plan.history_days * DAY_MS
    celebs = min(plan.celebrities, n - 1)
    # A celebrity needs `threshold` distinct followers; with a small world that may be impossible.
    celeb_followers = min(celebrity_threshold, n - 1)

    # --- users: index 0 is `demo`, 1..celebs are the celebrities, the rest ordinary ----------------------
    user_created = start_ms - rng.integers(DAY_MS, 365 * DAY_MS, size=n)
    user_ids, _ = _unique_ids(user_created)
    user_created = (user_ids >> TIME_SHIFT) + EPOCH_MS
    # Shuffle so id order is not popularity order; index i keeps its role.
    perm = rng.permutation(n)
    user_ids, user_created = user_ids[perm], user_created[perm]
    handles = [DEMO_HANDLE] + [f"celeb{i}" for i in range(1, celebs + 1)]
    handles += [f"user{i}" for i in range(celebs + 1, n)]
    first = rng.integers(0, len(first_names), size=n)
    last = rng.integers(0, len(last_names), size=n)
    display_names = ["Demo User"] + [
        f"{first_names[f]} {last_names[la]}" + (" (celeb)" if 1 <= i <= celebs else "")
        for i, (f, la) in enumerate(zip(first[1:], last[1:], strict=True), start=1)
    ]

    # --- follows: Zipf over popularity rank (celebrities first, then a random order) -----------------------
    popularity = np.concatenate((np.arange(1, celebs + 1), 1 + celebs + rng.permutation(n - 1 - celebs), [0]))
    weights = 1.0 / np.power(np.arange(1, n + 1, dtype=np.float64), plan.zipf_alpha)
    weights /= weights.sum()
    out_degree = np.minimum(rng.poisson(plan.avg_follows, size=n), n - 1)
    src = np.repeat(np.arange(n, dtype=np.int64), out_degree)
    dst = popularity[rng.choice(n, size=len(src), p=weights)].astype(np.int64)
    # Celebrities reach the threshold: add random followers on top of the Zipf draws.
    extra_src = [
        rng.choice(n, size=min(n - 1, celeb_followers + celeb_followers // 10 + 5), replace=False)
        for _ in range(celebs)
    ]
    if celebs:
        src = np.concatenate([src, *extra_src])
        dst = np.concatenate(
            [
                dst,
                *[
                    np.full(len(e), c, dtype=np.int64)
                    for c, e in zip(range(1, celebs + 1), extra_src, strict=True)
                ],
            ]
        )
    # The demo user follows every celebrity and a handful of ordinary accounts.
    demo_follows = np.concatenate(
        (
            np.arange(1, celebs + 1),
            rng.choice(np.arange(celebs + 1, n), size=min(20, n - celebs - 1), replace=False),
        )
    )
    src = np.concatenate((src, np.zeros(len(demo_follows), dtype=np.int64)))
    dst = np.concatenate((dst, demo_follows.astype(np.int64)))
    keep = src != dst
    pairs = np.unique(src[keep] * n + dst[keep])
    src, dst = pairs // n, pairs % n
    # Ordinary accounts stay below the threshold so exactly `celebs` accounts are celebrities.
    src, dst = _cap_followers(rng, src, dst, n, celebs, celebrity_threshold - 1)
    # Keep edges sorted by follower: loading then touches each source node's records together.
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]

    # --- tweets: Poisson per user, times spread over the history window ------------------------------------
    per_user = rng.poisson(plan.tweets_per_user, size=n)
    per_user[1 : celebs + 1] = np.maximum(per_user[1 : celebs + 1], int(plan.tweets_per_user * 3) + 3)
    author = np.repeat(np.arange(n, dtype=np.int64), per_user)
    tweet_ms = rng.integers(start_ms, now_ms - 60_000, size=len(author))
    tweet_ids, tweet_ms_sorted = _unique_ids(tweet_ms)
    # _unique_ids sorted the times; shuffle authors against them so every author spans the window.
    author = author[rng.permutation(len(author))]
    word_idx = rng.integers(0, len(words), size=(len(author), 8))
    lengths = rng.integers(3, 9, size=len(author))
    texts = [
        " ".join(words[w] for w in row[:k])
        for row, k in zip(word_idx.tolist(), lengths.tolist(), strict=True)
    ]

    # --- likes: random users like tweets, popular authors' tweets more often ------------------------------
    n_likes = int(len(author) * plan.likes_per_tweet)
    like_user = rng.integers(0, n, size=n_likes)
    like_tweet = (
        rng.integers(0, max(len(author), 1), size=n_likes) if len(author) else np.zeros(0, dtype=np.int64)
    )
    if len(author):
        lp = np.unique(like_user * len(author) + like_tweet)
        like_user, like_tweet = lp // len(author), lp % len(author)

    return World(
        user_ids=user_ids,
        handles=handles,
        display_names=display_names,
        user_created_ms=user_created,
        follow_src=src,
        follow_dst=dst,
        tweet_ids=tweet_ids,
        tweet_author=author,
        tweet_created_ms=tweet_ms_sorted,
        tweet_texts=texts,
        like_user=like_user.astype(np.int64),
        like_tweet=like_tweet.astype(np.int64),
        celebrity_indexes=list(range(1, celebs + 1)),
    )


def _cap_followers(
    rng: np.random.Generator, src: np.ndarray, dst: np.ndarray, n: int, celebs: int, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(dst, minlength=n)
    over = counts > cap
    over[1 : celebs + 1] = False
    if not over.any():
        return src, dst
    # Rank each edge inside its followee group in a random order; keep the first `cap` of over-full groups.
    shuffle = rng.permutation(len(dst))
    order = shuffle[np.argsort(dst[shuffle], kind="stable")]
    sorted_dst = dst[order]
    group_start = np.searchsorted(sorted_dst, sorted_dst, side="left")
    rank = np.arange(len(order)) - group_start
    drop = over[sorted_dst] & (rank >= cap)
    keep = np.ones(len(dst), dtype=bool)
    keep[order[drop]] = False
    return src[keep], dst[keep]


# --- loading ----------------------------------------------------------------------------------------------


def resolve_plan(
    preset: str | None,
    users: int | None = None,
    avg_follows: int | None = None,
    celebrities: int | None = None,
    tweets_per_user: float | None = None,
) -> SeedPlan:
    base = PRESETS.get(preset or "demo")
    if base is None and preset not in (None, "custom"):
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)} or custom")
    base = base or PRESETS["demo"]
    return SeedPlan(
        users=users if users is not None else base.users,
        avg_follows=avg_follows if avg_follows is not None else base.avg_follows,
        celebrities=celebrities if celebrities is not None else base.celebrities,
        tweets_per_user=tweets_per_user if tweets_per_user is not None else base.tweets_per_user,
        likes_per_tweet=base.likes_per_tweet,
    )
