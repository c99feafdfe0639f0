"""The client's address: the peer's, or behind trusted reverse proxies the rightmost untrusted X-Forwarded-For hop.

X-Forwarded-For is a list each proxy appends its peer to, so only the entries added by our own proxies can be
believed: walking it from the right, trusted proxies are skipped and the first other address is the client.
Anything a client wrote to the left of that is ignored. With no trusted proxies (the default) the header is
ignored altogether, so a client cannot pick the address its per-IP rate limits count against.

uvicorn's own proxy-header handling is switched off (``feedline serve``); this middleware replaces it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks; raises ValueError on a malformed entry (a typo must not trust everyone)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(peer: str, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """The client address of a request from ``peer`` carrying the X-Forwarded-For values ``forwarded_for``."""

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in trusted)

    current = _address(peer)
    if not trusted or not is_trusted(current):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage our proxy did not write: the last trusted hop is as far as we can see
        current = address
        if not is_trusted(address):
            return str(address)
    return str(current)  # every hop is a trusted proxy: the leftmost one is the client


class ClientAddress:
    """ASGI middleware: sets ``scope["client"]`` to the client address (HTTP and websockets)."""

    def __init__(self, app: ASGIApp, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = parse_networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            forwarded = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
            if forwarded:
                host, port = scope["client"]
                scope = dict(scope, client=(client_address(host, forwarded, self.trusted), port))
        await self.app(scope, receive, send)
