"""Paged listing of one kind, with the API server's continue tokens and a metadata-only mode.

Secrets are only ever requested as `PartialObjectMetadataList`; an answer of any other shape
is dropped unread, so a server that ignores the Accept header cannot hand us Secret data.
A list is bounded: at most `LiveLimits.max_pages` pages, and a continue token the server
already gave (a loop) or an answer that is not a list ends it with an ApiFailure.
"""

from __future__ import annotations

from typing import Any

from capsa.sources.cluster_discovery import ServedKind
from capsa.sources.cluster_http import METADATA_ACCEPT, ApiFailure, ApiPath, ReadOnlyApi

__all__ = ["METADATA_ACCEPT", "PARTIAL_LIST", "list_kind"]

PARTIAL_LIST = "PartialObjectMetadataList"
MAX_TOKEN_CHARS = 16 * 1024


def _page(
    api: ReadOnlyApi, path: ApiPath, page_size: int, token: str | None, metadata_only: bool
) -> tuple[list[dict[str, Any]], str | None]:
    params = {"limit": str(page_size)}
    if token:
        params["continue"] = token
    doc = api.get_json(path, params, METADATA_ACCEPT if metadata_only else None)
    shown = str(path)
    if metadata_only and doc.get("kind") != PARTIAL_LIST:
        doc.clear()  # never keep a full answer around
        raise ApiFailure(
            shown, 200, "NotMetadataOnly", "server ignored the metadata-only request; not read"
        )
    raw_items = doc.get("items")
    if raw_items is None:
        raw_items = []
    if not isinstance(raw_items, list):
        raise ApiFailure(shown, 200, "BadResponse", "answer's items is not a list")
    items = [i for i in raw_items if isinstance(i, dict)]
    if metadata_only:
        items = [{"metadata": i.get("metadata")} for i in items]
    meta = doc.get("metadata")
    next_token = meta.get("continue") if isinstance(meta, dict) else None
    if next_token is not None and not isinstance(next_token, str):
        raise ApiFailure(shown, 200, "BadResponse", "answer's continue token is not text")
    if next_token and len(next_token) > MAX_TOKEN_CHARS:
        raise ApiFailure(shown, 200, "BadResponse", "answer's continue token is too long")
    return items, (next_token or None)


def list_kind(
    api: ReadOnlyApi,
    kind: ServedKind,
    namespace: str | None,
    page_size: int,
    metadata_only: bool = False,
) -> list[dict[str, Any]]:
    """Every item of `kind` (in `namespace`, or everywhere), following continue tokens.

    An expired continue token (410 Gone) restarts the list from the beginning once; a
    second expiry is raised as ApiFailure like any other error.
    """
    path = kind.list_path(namespace)
    restarted = False
    while True:
        items: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        try:
            for _ in range(api.limits.max_pages):
                page, token = _page(api, path, page_size, token, metadata_only)
                items.extend(page)
                if token is None:
                    return items
                if token in seen:
                    raise ApiFailure(
                        str(path), 200, "BadResponse", "server repeated a continue token (a loop)"
                    )
                seen.add(token)
            raise ApiFailure(
                str(path), 200, "TooLarge", f"more than {api.limits.max_pages} pages; not read"
            )
        except ApiFailure as exc:
            if exc.code != 410 or token is None or restarted:
                raise
            restarted = True
