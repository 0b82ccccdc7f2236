"""Secret values are never kept: a Secret's `data`/`stringData` values are replaced as
soon as it is read, keys kept (checks reason about key names, never values)."""

from __future__ import annotations

from typing import Any

REDACTED = "<redacted>"
_PAYLOAD_FIELDS = ("data", "stringData")


def is_secret(body: Any) -> bool:
    return (
        isinstance(body, dict) and body.get("kind") == "Secret" and body.get("apiVersion") == "v1"
    )


def redact_secret(body: dict[str, Any]) -> None:
    """Replace every value under `data`/`stringData` with "<redacted>", in place."""
    for field in _PAYLOAD_FIELDS:
        section = body.get(field)
        if isinstance(section, dict):
            for key in list(section):
                section[key] = REDACTED
