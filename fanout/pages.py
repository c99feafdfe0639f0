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
    tweet: TweetRecord
    source: FeedSource
    cursor: str


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    has_next_page: bool
    end_cursor: str | None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[T, str]]  # (item, cursor)
    has_next_page: bool
    end_cursor: str | None
    total_count: int | None
