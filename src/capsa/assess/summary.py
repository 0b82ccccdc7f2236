"""The counts printed after `capsa assess` and stored in the Assessment's summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from capsa.assess.model import (
    CheckOutcome,
    CheckSummary,
    CutEntry,
    DeploymentStatus,
    FindingRecord,
    InputProblem,
    PathRecord,
    Severity,
    Summary,
    ThreatAssessment,
    UncuttableRoute,
)


def summarize(
    threats: Sequence[ThreatAssessment],
    findings: Sequence[FindingRecord],
    passes: Sequence[CheckOutcome],
    unknown: Sequence[CheckOutcome],
    paths: Sequence[PathRecord],
    cut: Sequence[CutEntry],
    errors: Sequence[InputProblem],
    resources: int,
    not_applicable: Sequence[CheckOutcome] = (),
    uncuttable: Sequence[UncuttableRoute] = (),
    not_searched: Sequence[str] = (),
) -> Summary:
    by_status = Counter(t.deployment_status.value for t in threats)
    open_findings = [f for f in findings if not f.suppressed]
    by_severity = Counter(f.severity.value for f in open_findings)
    return Summary(
        threats_by_status={s.value: by_status.get(s.value, 0) for s in DeploymentStatus},
        findings_by_severity={s.value: by_severity.get(s.value, 0) for s in reversed(Severity)},
        suppressed=len(findings) - len(open_findings),
        passes=len(passes),
        unknown=len(unknown),
        not_applicable=len(not_applicable),
        resources=resources,
        open_paths=len(paths),
        cut=[c.mitigation for c in cut],
        cut_closes_every_path=not uncuttable and not not_searched,
        paths_not_searched=list(not_searched),
        uncuttable=[f"{r.entry} -> {r.target}" for r in uncuttable],
        errors=len(errors),
    )


def summarize_checks(
    known: Sequence[CheckSummary],
    findings: Sequence[FindingRecord],
    passes: Sequence[CheckOutcome],
    unknown: Sequence[CheckOutcome],
    not_applicable: Sequence[CheckOutcome] = (),
) -> list[CheckSummary]:
    """Fill the per-check counters (checks with no result at all keep zeros)."""
    passed = Counter(p.check_id for p in passes)
    by_default = Counter(p.check_id for p in passes if p.by_default)
    undecided = Counter(u.check_id for u in unknown)
    skipped = Counter(n.check_id for n in not_applicable)
    failed = Counter(f.check_id for f in findings if not f.suppressed)
    suppressed = Counter(f.check_id for f in findings if f.suppressed)
    return [
        c.model_copy(
            update={
                "passed": passed[c.id],
                "passed_by_default": by_default[c.id],
                "failed": failed[c.id],
                "suppressed": suppressed[c.id],
                "unknown": undecided[c.id],
                "not_applicable": skipped[c.id],
            }
        )
        for c in known
    ]


def worst_open_severity(findings: Sequence[FindingRecord]) -> Severity | None:
    ranks = [f.severity for f in findings if not f.suppressed]
    return max(ranks, key=lambda s: s.rank) if ranks else None
