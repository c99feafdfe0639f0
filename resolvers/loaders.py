"""Per-request DataLoaders: users, tweets and the viewer's follow and like flags, one engine call per batch."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from fanout.service import FeedService
from graph.errors import NotFound
from graph.records import TweetRecord, UserRecord
from resolvers.types import User
from resolvers.viewer import Viewer


class Loaders:
    def __init__(self, service: FeedService, viewer: Viewer) -> None:
        self._service = service
        self._viewer = viewer
        self.users = DataLoader(self._load_users)
        self.tweets = DataLoader(self._load_tweets)
        self._follow_flags = DataLoader(self._load_follow_flags)
        self._liked = DataLoader(self._load_liked)
        self._reposted = DataLoader(self._load_reposted)
        self._relations = DataLoader(self._load_relations)

    def clear(self) -> None:
        """Forget what the loaders cached. A websocket connection keeps one context for its whole life: without
        this its events and operations would show users and flags as they were when first loaded (and the
        caches would grow for as long as the connection lives)."""
        for loader in (
            self.users,
            self.tweets,
            self._follow_flags,
            self._liked,
            self._reposted,
            self._relations,
        ):
            loader.clear_all()

    def prime_user(self, record: UserRecord) -> User:
        """A user the engine just returned: later loads of it in this request need no engine call."""
        self.users.prime(record.id, record)
        return User.of(record)

    async def user(self, user_id: int) -> User:
        record = await self.users.load(user_id)
        if record is None:
            raise NotFound("user not found")
        return User.of(record)

    async def viewer_follows(self, user_id: int) -> bool:
        return (await self._follows_between(user_id))[0]

    async def follows_viewer(self, user_id: int) -> bool:
        return (await self._follows_between(user_id))[1]

    async def viewer_has_liked(self, tweet_id: int) -> bool:
        if self._viewer.id is None:
            return False
        return await self._liked.load(tweet_id)

    async def viewer_has_reposted(self, tweet_id: int) -> bool:
        if self._viewer.id is None:
            return False
        return await self._reposted.load(tweet_id)

    async def relation(self, user_id: int) -> tuple[bool, bool, bool]:
        """(viewer mutes, viewer blocks, viewer's home shows their reposts); (False, False, True) when
        anonymous or the user is the viewer."""
        if self._viewer.id is None or user_id == self._viewer.id:
            return False, False, True
        return await self._relations.load(user_id)

    async def _follows_between(self, user_id: int) -> tuple[bool, bool]:
        """(viewer follows user, user follows viewer); both false when anonymous or the user is the viewer."""
        if self._viewer.id is None or user_id == self._viewer.id:
            return False, False
        return await self._follow_flags.load(user_id)

    # --- batch functions ---
    async def _load_users(self, ids: Sequence[int]) -> list[UserRecord | None]:
        found = await self._service.users_by_ids(list(ids))
        return [found.get(i) for i in ids]

    async def _load_tweets(self, ids: Sequence[int]) -> list[TweetRecord | None]:
        found = await self._service.tweets_by_ids(list(ids))
        return [found.get(i) for i in ids]

    async def _load_follow_flags(self, ids: Sequence[int]) -> list[tuple[bool, bool]]:
        viewer_id = self._viewer.require()
        follows, followed_by = await self._service.follow_flags(viewer_id, list(ids))
        return [(i in follows, i in followed_by) for i in ids]

    async def _load_reposted(self, ids: Sequence[int]) -> list[bool]:
        reposted = await self._service.reposted_flags(self._viewer.require(), list(ids))
        return [i in reposted for i in ids]

    async def _load_relations(self, ids: Sequence[int]) -> list[tuple[bool, bool, bool]]:
        flags = await self._service.relation_flags(self._viewer.require(), list(ids))
        return [flags.get(i, (False, False, True)) for i in ids]

    async def _load_liked(self, ids: Sequence[int]) -> list[bool]:
        viewer_id = self._viewer.require()
        liked = await self._service.liked_flags(viewer_id, list(ids))
        return [i in liked for i in ids]
