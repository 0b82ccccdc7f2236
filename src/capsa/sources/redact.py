"""Secret values are never kept: a Secret's `data`/`stringData` values are replaced as
soon as it is read, keys kept (checks reason about key names, never values). Two things
that are not secret survive: an empty value (the key holds nothing: checks must not
count it as a credential) and a value that is wholly one unresolved clusterctl variable
(capsa's marker names the variable to set, and carries no secret)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from capsa.sources.clusterctl_vars import UNRESOLVED_RE

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
                section[key] = _kept(section[key])


def _kept(value: Any) -> Any:
    """What of one Secret value may be kept: emptiness, a whole unresolved variable."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and UNRESOLVED_RE.fullmatch(value.strip()):
        return value.strip()
    return REDACTED


def decoded_secret_value(value: str) -> str | None:
    """A Secret's `data` value as text: base64 decoded to UTF-8, None when it is not."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
