"""What running a check produces: findings (violations) and per-resource results.

These are plain frozen dataclasses so report writers, suppressions and baselines can
consume them without importing pydantic or the CEL engine; with slots, since a large
scan keeps hundreds of thousands of them. `ResourceRef` and `Location`
are also the Assessment's own records: `WIRE` tells pydantic, when a model holds them,
to read and write them with camelCase keys like every capsa/v1 document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from capsa.display import shown, shown_or_none
from capsa.kube import group_of
from capsa.slotted import Slotted

_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


WIRE: dict[str, Any] = {
    "alias_generator": _camel,
    "populate_by_name": True,
    "serialize_by_alias": True,
    "extra": "forbid",
}
"""pydantic configuration (a plain dict, so this module does not import pydantic)."""


class Severity(StrEnum):
    """Finding severity; compares by rank (low < medium < high < critical), not by name."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    def _other_rank(self, other: object) -> int:
        if isinstance(other, Severity):
            return other.rank
        if isinstance(other, str) and other in _RANK:
            return _RANK[other]
        raise TypeError(f"cannot compare Severity with {other!r}")

    def __lt__(self, other: object) -> bool:
        return self.rank < self._other_rank(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= self._other_rank(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > self._other_rank(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= self._other_rank(other)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ResourceRef(Slotted):
    """The identity of the resource a result is about (no body, no secret values).

    The one place a resource's name becomes something reports show: names and namespaces
    holding an unresolved clusterctl variable are stored as `${NAME}` (`shown`)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = WIRE

    api_version: str
    kind: str
    namespace: str | None
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", shown(self.name))
        if self.namespace is not None:
            object.__setattr__(self, "namespace", shown(self.namespace))

    @property
    def group(self) -> str:
        return group_of(self.api_version)

    @property
    def identity(self) -> str:
        """group/kind/namespace/name, the part of a fingerprint that names the resource."""
        return f"{self.group}/{self.kind}/{self.namespace or ''}/{self.name}"

    @property
    def label(self) -> str:
        """How people read it: `Kind namespace/name`."""
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


@dataclass(frozen=True, slots=True)
class Location(Slotted):
    """Where a user edits to fix a finding. `carrier` names the ConfigMap/Secret an embedded
    resource travels in (`Kind/namespace/name:key`, an unresolved clusterctl variable read
    as `${NAME}`, `shown`); `line` is then a line of the carrier's file (see
    `capsa.checks.engine.field_location`)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = WIRE

    path: str
    line: int | None
    carrier: str | None = None

    def __post_init__(self) -> None:
        if self.carrier is not None:
            object.__setattr__(self, "carrier", shown(self.carrier))

    @property
    def label(self) -> str:
        """`path:line`, and the carrier when there is one."""
        text = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{text} (in {self.carrier})" if self.carrier else text

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line}
        if self.carrier is not None:
            out["carrier"] = self.carrier
        return out


def fingerprint(check_id: str, resource: ResourceRef, field: str) -> str:
    """Stable id of a finding: independent of file order, line numbers and wording. A
    scan adds where the object was read (`placed`)."""
    text = "\x1f".join((check_id, resource.identity, field))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def placed(fingerprint: str, path: str, carrier: str | None) -> str:
    """`fingerprint` with the file its finding points at (relative to the scan root) and
    the carrier it travels in: copies of a template in two files share every identity,
    and a baseline or suppression of one copy must not hide the other's findings."""
    text = "\x1f".join((fingerprint, path, carrier or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CheckResult(Slotted):
    """A check that ran on a resource without a violation: passed, could not be decided,
    or did not apply (its subject is absent). `by_default` is set on a pass that rests on
    an upstream default: what upstream does, and where (repo@commit:path:line)."""

    check_id: str
    resource: ResourceRef
    location: Location
    reason: str | None = None
    by_default: str | None = None

    def __post_init__(self) -> None:
        if self.reason is not None:
            object.__setattr__(self, "reason", shown_or_none(self.reason))


@dataclass(frozen=True, slots=True)
class Finding(Slotted):
    """One violation of one check by one resource."""

    fingerprint: str
    check_id: str
    title: str
    severity: Severity
    threats: tuple[str, ...]
    mitigation: str
    resource: ResourceRef
    location: Location
    message: str
    remediation: str
    references: tuple[str, ...]
    suppressed: bool = False
    suppression_reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", shown(self.message))

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a finding (`capsa/v1`)."""
        return {
            "fingerprint": self.fingerprint,
            "check": self.check_id,
            "title": self.title,
            "severity": self.severity.value,
            "threats": list(self.threats),
            "mitigation": self.mitigation,
            "resource": self.resource.as_dict(),
            "location": self.location.as_dict(),
            "message": self.message,
            "remediation": self.remediation,
            "references": list(self.references),
            "suppressed": self.suppressed,
            "suppressionReason": self.suppression_reason,
        }
