"""Per-request context: the request's data (viewer, transport, connection params, loaders) and the services
(resolvers/services.py) that resolvers call through it."""

from __future__ import annotations

from typing import Any, Literal

from auth.tokens import TokenStore
from fanout.service import FeedService
from resolvers.live import CloseConnection, LiveChannels
from resolvers.loaders import Loaders
from resolvers.services import Accounts, Feeds, People, RateLimit, Writer, no_rate_limit
from resolvers.viewer import Viewer

Transport = Literal["http", "websocket"]


class RequestContext:
    """One per HTTP request, or per websocket connection (shared by all of the connection's operations)."""

    def __init__(
        self,
        service: FeedService,
        tokens: TokenStore,
        *,
        transport: Transport = "http",
        rate_limit: RateLimit = no_rate_limit,
        hub: LiveChannels | None = None,
        close_connection: CloseConnection | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        # --- request data ---
        self.viewer = Viewer()  # anonymous until the API authenticates the request's or connection's token
        self.transport: Transport = transport
        # Set by strawberry from the websocket connection_init payload.
        self.connection_params: Any = None
        # The API's rate limiter bound to this client (api.ratelimit.ClientLimits): the services' hook, and the
        # per-operation limits of resolvers/ratelimits.py.
        self.rate_limit = rate_limit
        self.loaders = Loaders(service, self.viewer)
        # --- services ---
        self.accounts = Accounts(service, tokens, self.viewer, self.loaders, rate_limit)
        self.people = People(service, self.viewer, self.loaders)
        self.feeds = Feeds(service, self.viewer, self.loaders, hub, close_connection)
        self.writer = Writer(service, self.viewer, self.loaders, rate_limit, idempotency_key)
