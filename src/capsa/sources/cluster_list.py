"""Paged listing of one kind, with the API server's continue tokens and a metadata-only mode.

Secrets are only ever requested as `PartialObjectMetadataList`; an answer of any other shape
is dropped unread, so a server that ignores the Accept header cannot hand us Secret data.
"""

from __future__ import annotations

from typing import Any

from capsa.sources.cluster_discovery import ServedKind
from capsa.sources.cluster_http import ApiFailure, ReadOnlyApi

METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PARTIAL_LIST = "PartialObjectMetadataList"


def _page(
    api: ReadOnlyApi, path: str, page_size: int, token: str | None, metadata_only: bool
) -> tuple[list[dict[str, Any]], str | None]:
    params = {"limit": str(page_size)}
    if token:
        params["continue"] = token
    doc = api.get_json(path, params, METADATA_ACCEPT if metadata_only else None)
    if metadata_only and doc.get("kind") != PARTIAL_LIST:
        doc.clear()  # never keep a full answer around
        raise ApiFailure(
            path, 200, "NotMetadataOnly", "server ignored the metadata-only request; not read"
        )
    items = [i for i in doc.get("items") or [] if isinstance(i, dict)]
    if metadata_only:
        items = [{"metadata": i.get("metadata") or {}} for i in items]
    meta = doc.get("metadata") or {}
    next_token = meta.get("continue") if isinstance(meta, dict) else None
    return items, (str(next_token) if next_token else None)


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
        try:
            while True:
                page, token = _page(api, path, page_size, token, metadata_only)
                items.extend(page)
                if token is None:
                    return items
        except ApiFailure as exc:
            if exc.code != 410 or token is None or restarted:
                raise
            restarted = True
