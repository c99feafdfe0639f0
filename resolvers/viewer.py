"""Who is asking: the viewer of one HTTP request or websocket connection, set by the API from its token."""

from __future__ import annotations

from dataclasses import dataclass

from graph.errors import Unauthenticated


@dataclass
class Viewer:
    id: int | None = None
    token: str | None = None
    # A token was sent but is forged, revoked or expired: viewer-aware operations answer UNAUTHENTICATED.
    bad_token: bool = False

    def sign_in(self, viewer_id: int, token: str) -> None:
        self.id, self.token = viewer_id, token

    def optional(self) -> int | None:
        """The viewer's id, None when anonymous; UNAUTHENTICATED when the token was bad."""
        if self.bad_token:
            raise Unauthenticated("invalid or expired token")
        return self.id

    def require(self) -> int:
        """The viewer's id; UNAUTHENTICATED when anonymous or the token was bad."""
        viewer_id = self.optional()
        if viewer_id is None:
            raise Unauthenticated("sign in required")
        return viewer_id
