"""Analyses that need a running management cluster: RBAC, bootstrap, controllers, clusters.

`analyse` runs them all over the Resources `capsa.sources.cluster.read_cluster` returns and
says which checks could not be fully assessed because a kind they need was not readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from capsa.checks.findings import Finding
from capsa.live import bootstrap, clusters, controllers, rbac
from capsa.live.finding import LiveCheck, live_checks
from capsa.live.index import LiveIndex
from capsa.sources.resource import Resource

CA_REUSE = (
    "CA certificate reuse across clusters (STRIDE-EOP-1)",
    "needs the tls.crt bytes of <cluster>-ca Secrets; capsa reads Secrets as metadata only",
)


@dataclass(frozen=True)
class LiveOptions:
    """Thresholds of the live checks."""

    stale_bootstrap_after: timedelta = bootstrap.DEFAULT_STALE_AFTER
    max_ca_age: timedelta = clusters.DEFAULT_MAX_CA_AGE


@dataclass(frozen=True)
class LiveReport:
    """Findings of every live check and what could not be assessed, with the reason."""

    findings: list[Finding]
    not_assessable: list[tuple[str, str]] = field(default_factory=list)


def analyse(
    resources: Iterable[Resource],
    now: datetime | None = None,
    options: LiveOptions | None = None,
    unread: Iterable[str] = (),
) -> LiveReport:
    """Run every live check. `unread` names kinds the reader could not list (not assessable)."""
    when = now or datetime.now(UTC)
    opts = options or LiveOptions()
    index = LiveIndex.of(resources)
    findings = [
        *rbac.secret_readers(index),
        *rbac.unbounded_creators(index),
        *bootstrap.stale_bootstrap(index, when, opts.stale_bootstrap_after),
        *bootstrap.token_ttl(index),
        *controllers.unpinned_images(index),
        *controllers.restarted_containers(index),
        *controllers.version_drift(index),
        *clusters.probe_failures(index),
        *clusters.ca_age(index, when, opts.max_ca_age),
        *clusters.static_identities(index, when),
    ]
    missing = set(unread)
    not_assessable = [CA_REUSE]
    for check in live_checks().values():
        gaps = sorted(k for k in check.needs if k in missing)
        if gaps:
            not_assessable.append((check.id, f"could not read {', '.join(gaps)}"))
    findings.sort(key=lambda f: (f.check_id, f.resource.identity, f.fingerprint))
    return LiveReport(findings, not_assessable)


__all__ = ["Finding", "LiveCheck", "LiveOptions", "LiveReport", "analyse", "live_checks"]
