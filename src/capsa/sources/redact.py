"""Secret values are never kept: a Secret's `data`/`stringData` values are replaced as
soon as it is read, keys kept (checks reason about key names, never values). Two things
that are not secret survive: an empty value (the key holds nothing: checks must not
count it as a credential) and a value that is wholly one unresolved clusterctl variable
(capsa's marker names the variable to set, and carries no secret).

An obvious placeholder is kept as empty too: it holds nothing either. Only text no real
credential can be counts (`PLACEHOLDER`): a run of three or more dots (`.............`),
or one angle-bracketed phrase starting with a letter (`<base64 of your clouds.yaml>`).
Words such as `changeme` or `REPLACE_ME`, and runs of asterisks or x's (`********`,
`xxxxxxxx`), are not: a weak password may be exactly that. A `data` value is judged on its base64-decoded
text (or, when it is not base64, which the API server refuses, on the text itself)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from capsa.sources.clusterctl_vars import UNRESOLVED_RE

REDACTED = "<redacted>"
_PAYLOAD_FIELDS = ("data", "stringData")


def is_secret(body: Any) -> bool:
    return (
        isinstance(body, dict) and body.get("kind") == "Secret" and body.get("apiVersion") == "v1"
    )


PLACEHOLDER = re.compile(r"\.{3,}|<[A-Za-z][A-Za-z0-9 _.,:/'-]*>")
"""Text that stands for a value yet to be filled in and that no credential can be."""


def redact_secret(body: dict[str, Any]) -> None:
    """Replace every value under `data`/`stringData` with "<redacted>", in place."""
    for field in _PAYLOAD_FIELDS:
        section = body.get(field)
        if isinstance(section, dict):
            for key in list(section):
                section[key] = _kept(section[key], encoded=field == "data")


def empty_placeholders(body: dict[str, Any]) -> None:
    """Empty every placeholder value under `data`/`stringData`, in place, keeping the
    others: what redaction does to placeholders, for inputs whose values are examples."""
    for field in _PAYLOAD_FIELDS:
        section = body.get(field)
        if isinstance(section, dict):
            for key, value in list(section.items()):
                if isinstance(value, str) and is_placeholder(value, encoded=field == "data"):
                    section[key] = ""


def _kept(value: Any, encoded: bool = False) -> Any:
    """What of one Secret value may be kept: emptiness (a placeholder's too), a whole
    unresolved variable. `encoded`: a `data` value, base64 of its text."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and UNRESOLVED_RE.fullmatch(value.strip()):
        return value.strip()
    if isinstance(value, str) and is_placeholder(value, encoded):
        return ""
    return REDACTED


def is_placeholder(value: str, encoded: bool = False) -> bool:
    """Whether a Secret value is an obvious placeholder (`PLACEHOLDER`), read decoded
    when `encoded` and valid base64."""
    text = (decoded_secret_value(value) if encoded else None) or value
    return PLACEHOLDER.fullmatch(text.strip()) is not None


def decoded_secret_value(value: str) -> str | None:
    """A Secret's `data` value as text: base64 decoded to UTF-8, None when it is not."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
