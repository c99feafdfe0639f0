"""Page shapes handed to the API layer (plain dataclasses, no GraphQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from graph.records import TweetRecord

FeedSource = Literal["TIMELINE", "CELEBRITY", "SUGGESTED"]
FeedOrder = Literal["LATEST", "TOP"]

T = TypeVar("T")


@dataclass(frozen=True)
class FeedEntry:
    """One home-feed entry. ``tweet`` is always an original; a repost shows it with ``reposted_by`` (the
    reposter's id), and the entry then stands at the repost's own id (``at``), which its cursor encodes."""

    tweet: TweetRecord
    source: FeedSource
    cursor: str
    reposted_by: int | None = None
    at: int | None = None

    @property
    def position(self) -> int:
        """The id the entry stands at in the feed (the repost's for a repost, else the tweet's)."""
        return self.tweet.id if self.at is None else self.at


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of_window(cls, window: list[FeedEntry], first: int, after: str | None) -> FeedPage:
        """The page of the first ``first`` entries of ``window``, read one longer than the page so that a next
        page shows without another read; an empty page keeps the cursor it was read after."""
        page = window[:first]
        return cls(page, len(window) > first, page[-1].cursor if page else after)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[T, str]]  # (item, cursor)
    has_next_page: bool
    end_cursor: str | None
    total_count: int | None
