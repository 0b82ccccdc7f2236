"""The executive summary: what is at risk and the few actions that matter most, in order.

An action is a mitigation to put in place. The recommended cut's mitigations come first,
ordered by how many open paths each closes (closing paths removes routes an attacker
can take today), then the other violated mitigations, by their worst open finding and
how many findings they fix. Mitigations recommending the same control (`sameAs`) are one
action. Each action names the open findings it fixes and the paths it closes, so a
reader can check the claim in the detail sections.
"""

from __future__ import annotations

from dataclasses import dataclass

from capsa.assess.model import (
    Assessment,
    DeploymentStatus,
    FindingRecord,
    MitigationAssessment,
    ThreatAssessment,
)
from capsa.report.path_groups import closed_paths

ACTIONS = 5


@dataclass(frozen=True)
class Action:
    mitigation: MitigationAssessment
    threat: ThreatAssessment
    findings: tuple[FindingRecord, ...]
    paths: tuple[int, ...]
    in_cut: bool

    @property
    def checks(self) -> list[str]:
        return self.mitigation.checks


@dataclass(frozen=True)
class Risk:
    """A target an open path reaches, the clusters it is reached in, and from where."""

    target: str
    entries: tuple[str, ...]
    clusters: tuple[str, ...]
    paths: int


def _mitigations(a: Assessment) -> dict[str, tuple[MitigationAssessment, ThreatAssessment]]:
    return {m.id: (m, t) for t in a.threats for m in t.mitigations}


def _open_findings(
    m: MitigationAssessment, by_fingerprint: dict[str, FindingRecord]
) -> tuple[FindingRecord, ...]:
    found = (by_fingerprint.get(x) for x in m.findings)
    return tuple(f for f in found if f is not None and not f.suppressed)


def _severity(findings: tuple[FindingRecord, ...]) -> int:
    return max((f.severity.rank for f in findings), default=0)


def top_actions(a: Assessment, limit: int = ACTIONS) -> list[Action]:
    known = _mitigations(a)
    candidates: list[tuple[tuple[int, int, int, int], Action]] = []
    cut = [c.mitigation for c in a.cut]
    by_fingerprint = a.findings_by_fingerprint()
    for mitigation_id, (m, t) in known.items():
        in_cut = mitigation_id in cut
        if not in_cut and m.deployment_status is not DeploymentStatus.VIOLATED:
            continue
        findings = _open_findings(m, by_fingerprint)
        paths = closed_paths(a, mitigation_id)
        rank = (
            0 if in_cut else 1,
            -len(paths),
            -_severity(findings),
            -len(findings),
        )
        candidates.append((rank, Action(m, t, findings, paths, in_cut)))
    candidates.sort(key=lambda item: (item[0], item[1].mitigation.id))
    chosen: list[Action] = []
    covered: set[str] = set()
    for _, action in candidates:
        group = {action.mitigation.id, *action.mitigation.same_as}
        if group & covered:
            continue
        covered |= group
        chosen.append(action)
        if len(chosen) == limit:
            break
    return chosen


def risks(a: Assessment) -> list[Risk]:
    """What the open paths reach, most-reached first."""
    by_target: dict[str, list[int]] = {}
    for n, path in enumerate(a.paths, start=1):
        by_target.setdefault(path.target, []).append(n)
    out = []
    for target, numbers in by_target.items():
        paths = [a.paths[n - 1] for n in numbers]
        entries = tuple(dict.fromkeys(p.entry for p in paths))
        clusters = tuple(dict.fromkeys(c for p in paths for c in p.clusters))
        out.append(Risk(target, entries, clusters, len(numbers)))
    out.sort(key=lambda r: (-r.paths, r.target))
    return out


def violated_threats(a: Assessment) -> list[ThreatAssessment]:
    return [t for t in a.threats if t.deployment_status is DeploymentStatus.VIOLATED]
