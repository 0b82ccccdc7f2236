"""Analyses that need a running management cluster: RBAC, bootstrap, controllers, clusters.

Each live check is a data entry in `checks.yaml` plus a function registered under its id
(`capsa.live.registry.live_check`). `analyse` runs every one over the Resources
`capsa.sources.cluster.read_cluster` returns and says which checks could not be fully
assessed because a kind they need was not readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from capsa.checks.findings import Finding
from capsa.live.catalog import LiveCheck, live_checks
from capsa.live.index import LiveIndex
from capsa.live.registry import LiveInput, LiveOptions, live_check, registered
from capsa.sources.resource import Resource

CA_REUSE = (
    "CA certificate reuse across clusters (STRIDE-EOP-1)",
    "needs the tls.crt bytes of <cluster>-ca Secrets; capsa reads Secrets as metadata only",
)


@dataclass(frozen=True)
class LiveReport:
    """Findings of every live check and what could not be assessed, with the reason."""

    findings: list[Finding]
    not_assessable: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """Live checks whose analysis raised on the data read (check id, why)."""


def analyse(
    resources: Iterable[Resource],
    now: datetime | None = None,
    options: LiveOptions | None = None,
    unread: Iterable[str] = (),
) -> LiveReport:
    """Run every live check. `unread` names kinds the reader could not list (not assessable)."""
    live = LiveInput(LiveIndex.of(resources), now or datetime.now(UTC), options or LiveOptions())
    checks = live_checks()
    analyses = registered()
    findings: list[Finding] = []
    failed: list[tuple[str, str]] = []
    for check_id in checks:
        try:  # a server can answer anything: one analysis meeting odd data must not end the scan
            findings.extend(analyses[check_id].function(live))
        except Exception as error:
            failed.append(
                (check_id, f"its analysis failed on the data read ({type(error).__name__})")
            )
    missing = set(unread)
    not_assessable = [CA_REUSE, *failed]
    for check in checks.values():
        gaps = sorted(k for k in check.needs if k in missing)
        if gaps:
            not_assessable.append((check.id, f"could not read {', '.join(gaps)}"))
    findings.sort(key=lambda f: (f.check_id, f.resource.identity, f.fingerprint))
    return LiveReport(findings, not_assessable, failed)


__all__ = [
    "Finding",
    "LiveCheck",
    "LiveInput",
    "LiveOptions",
    "LiveReport",
    "analyse",
    "live_check",
    "live_checks",
]
