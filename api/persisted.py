"""Persisted queries: Apollo's automatic persisted queries (APQ) and the web client's trusted documents.

A request names its document by SHA-256 instead of sending it: ``extensions.persistedQuery = {version: 1,
sha256Hash}`` (APQ, Apollo Client and urql's persisted exchange) or ``documentId`` (the GraphQL-over-HTTP
persisted documents draft, ``sha256:<hex>`` or bare hex), over POST or GET.

- Trusted documents: the web client's operations, written by its codegen to a manifest (hash -> document) at
  build time, loaded once at start. Always known, never evicted.
- APQ: a hash-only request for an unknown hash answers ``PERSISTED_QUERY_NOT_FOUND``; the client resends hash +
  query, the server checks the hash (BAD_USER_INPUT on a mismatch) and registers the document, and hash-only
  requests then hit.

The APQ store is a bounded in-process LRU, not Redis: a hit costs no round trip (the point of sending hashes is
a cheaper request), memory is bounded by construction (entries x the 20 kB document limit), and what it loses
on a restart or on another API process costs a client exactly one resend per document, which the protocol
handles by design. Redis would share registrations between processes at the price of one GET per request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from strawberry.http import GraphQLRequestData
from strawberry.http.types import QueryParams

log = logging.getLogger("feedline.api.persisted")

APQ_CAPACITY = 1000
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # what Apollo's link and urql's exchange match, with the code
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
DOCUMENT_ID = "documentId"


class CodedHTTPException(HTTPException):
    """A request refused before execution with a specific extensions.code."""

    def __init__(self, status_code: int, reason: str, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedDocuments:
    """Trusted documents (fixed at start) and an LRU of APQ registrations, both keyed by SHA-256 hex."""

    def __init__(self, trusted: dict[str, str] | None = None, capacity: int = APQ_CAPACITY) -> None:
        self.trusted = dict(trusted or {})
        self.capacity = capacity
        self._apq: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_manifests(cls, paths: Iterable[Path], capacity: int = APQ_CAPACITY) -> PersistedDocuments:
        """Load every manifest that exists (codegen's persisted-documents.json: {"sha256:<hex>": document});
        an entry whose hash is not the SHA-256 of its document is skipped (a client could never match it)."""
        trusted: dict[str, str] = {}
        for path in paths:
            if not path.is_file():
                continue
            manifest = json.loads(path.read_text())
            for key, document in manifest.items():
                sha256 = str(key).removeprefix("sha256:").lower()
                if isinstance(document, str) and sha256_hex(document) == sha256:
                    trusted[sha256] = document
                else:
                    log.warning("skipping persisted document %s of %s: hash mismatch", key, path)
        return cls(trusted, capacity)

    def __len__(self) -> int:
        return len(self._apq)

    def lookup(self, sha256: str) -> str | None:
        document = self.trusted.get(sha256)
        if document is not None:
            return document
        document = self._apq.get(sha256)
        if document is not None:
            self._apq.move_to_end(sha256)
        return document

    def register(self, sha256: str, document: str) -> None:
        if sha256 in self.trusted:
            return
        self._apq[sha256] = document
        self._apq.move_to_end(sha256)
        while len(self._apq) > self.capacity:
            self._apq.popitem(last=False)

    def resolve(self, item: GraphQLRequestData) -> None:
        """Fill ``item.query`` from its persisted-query reference, registering an APQ document sent with its
        hash; a request without a reference is left alone."""
        sha256 = _requested_hash(item.extensions)
        if sha256 is None:
            return
        if item.query is None:
            document = self.lookup(sha256)
            if document is None:
                raise CodedHTTPException(400, NOT_FOUND_MESSAGE, NOT_FOUND_CODE)
            item.query = document
            return
        if sha256_hex(item.query) != sha256:
            raise CodedHTTPException(400, "provided sha256Hash does not match the query", "BAD_USER_INPUT")
        self.register(sha256, item.query)


def _requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The SHA-256 hex a request refers to, from extensions.persistedQuery or a documentId; None if neither."""
    if not extensions:
        return None
    document_id = extensions.get(DOCUMENT_ID)
    if document_id is not None:
        if not isinstance(document_id, str):
            raise CodedHTTPException(400, "documentId must be a string", "BAD_USER_INPUT")
        return _check_hex(document_id.removeprefix("sha256:"))
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise CodedHTTPException(400, "persistedQuery must be {version: 1, sha256Hash}", "BAD_USER_INPUT")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str):
        raise CodedHTTPException(400, "persistedQuery.sha256Hash must be a string", "BAD_USER_INPUT")
    return _check_hex(sha256)


def _check_hex(value: str) -> str:
    lowered = value.lower()
    if len(lowered) != 64 or any(c not in "0123456789abcdef" for c in lowered):
        raise CodedHTTPException(400, "a persisted document id is a SHA-256 in hex", "BAD_USER_INPUT")
    return lowered


def _move_document_id(data: Any) -> Any:
    """A top-level ``documentId`` (which strawberry drops) travels on in ``extensions``."""
    if isinstance(data, dict) and DOCUMENT_ID in data:
        extensions = data.get("extensions")
        if extensions is None or isinstance(extensions, dict):
            data["extensions"] = {**(extensions or {}), DOCUMENT_ID: data.pop(DOCUMENT_ID)}
    return data


class PersistedQueries:
    """Mixin for the strawberry view (before it in the bases): resolves persisted-query references after the
    body or query string is parsed. The view sets ``persisted``."""

    persisted: PersistedDocuments

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)  # type: ignore[misc]
        if isinstance(parsed, list):
            return [_move_document_id(item) for item in parsed]
        return _move_document_id(parsed)

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        parsed: dict[str, Any] = super().parse_query_params(params)  # type: ignore[misc]
        return dict(_move_document_id(parsed))

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)  # type: ignore[misc]
        for item in data if isinstance(data, list) else [data]:
            self.persisted.resolve(item)
        return data  # type: ignore[no-any-return]
