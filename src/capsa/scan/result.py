"""What a scan hands on: the findings, passes and unknowns, the problems met, the
suppressions that applied, the counts, and the topology the checks were evaluated on.

Kept apart from the service so writers and the attack graph depend on the value, not on
the machinery that produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capsa.checks.findings import CheckResult, Finding, Severity
from capsa.checks.suppressions import AppliedSuppression, RefusedSuppression, Suppression
from capsa.errors import Problem

if TYPE_CHECKING:
    from capsa.capi.clusters import ClusterView
    from capsa.capi.topology import Topology
    from capsa.checks.model import Check
    from capsa.cloud.model import CloudCheck
    from capsa.live.catalog import LiveCheck
    from capsa.sources.aws.facts import CloudFacts


@dataclass(frozen=True)
class ScanSummary:
    """Counts for the report footer and the JSON `summary`. `by_severity` counts open
    findings only (neither suppressed nor in the baseline)."""

    by_severity: Mapping[str, int]
    open: int
    suppressed: int
    suppressed_critical: int
    refused_critical: int
    baseline: int
    baseline_critical: int
    files: int
    documents: int
    documents_skipped: int
    resources: int
    checks: int
    checks_evaluated: int
    passes: int
    unknown: int
    errors: int
    expired_suppressions: int
    not_applicable: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "bySeverity": dict(self.by_severity),
            "open": self.open,
            "suppressed": self.suppressed,
            "suppressedCritical": self.suppressed_critical,
            "refusedCriticalSuppressions": self.refused_critical,
            "baseline": self.baseline,
            "baselineCritical": self.baseline_critical,
            "files": self.files,
            "documents": self.documents,
            "documentsSkipped": self.documents_skipped,
            "resources": self.resources,
            "checks": self.checks,
            "checksEvaluated": self.checks_evaluated,
            "passes": self.passes,
            "unknown": self.unknown,
            "notApplicable": self.not_applicable,
            "errors": self.errors,
            "expiredSuppressions": self.expired_suppressions,
        }


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan produced, as data. `findings` holds open and suppressed findings
    (see `Finding.suppressed`); findings hidden by the baseline are in `baselined`.
    `not_applicable` are results of checks whose subject was absent (never evidence);
    `live_checks` are the live checks that ran (none without a live scan)."""

    findings: tuple[Finding, ...]
    passes: tuple[CheckResult, ...]
    unknown: tuple[CheckResult, ...]
    errors: tuple[Problem, ...]
    summary: ScanSummary
    expired_suppressions: tuple[Suppression, ...]
    suppressions: tuple[AppliedSuppression, ...]
    refused_suppressions: tuple[RefusedSuppression, ...]
    baselined: tuple[Finding, ...]
    checks: tuple[Check, ...]
    topology: Topology | None = None
    cloud_checks: tuple[CloudCheck, ...] = ()  # those that ran (none without cloud evidence)
    cloud_sources: tuple[CloudFacts, ...] = ()  # the account and offline files read
    cloud_note: str | None = None  # said once when no cloud evidence was given
    not_applicable: tuple[CheckResult, ...] = ()
    live_checks: tuple[LiveCheck, ...] = ()
    nothing_read: bool = False
    strict: bool = False
    notes: tuple[Problem, ...] = ()  # skipped on purpose (not a Kubernetes object), not errors
    root: str | None = None  # the absolute scan root (locations are made relative to it)
    relative: bool = False  # locations already made relative to `root` (`scan.locations`)
    # a grouped scan keeping its clusters (`ScanRequest.keep_clusters`): no topology, but
    # every Cluster's view, in the order the whole topology gives them
    cluster_views: tuple[ClusterView, ...] | None = None

    @property
    def clusters(self) -> tuple[ClusterView, ...] | None:
        """Every Cluster's view, from the topology or kept by a grouped scan; None when
        the scan kept neither (nothing to build an attack graph or an FMEA from)."""
        if self.cluster_views is not None:
            return self.cluster_views
        return self.topology.clusters if self.topology is not None else None

    @property
    def open_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)

    @property
    def suppressed_critical(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppressed and f.severity == Severity.CRITICAL)

    def worst_open(self) -> Severity | None:
        """Highest severity among open findings, or None when there are none."""
        return max((f.severity for f in self.open_findings), default=None)

    @property
    def unusable(self) -> bool:
        """True when the input could not be used: nothing read, or (strict) any error."""
        return self.nothing_read or (self.strict and bool(self.errors))
