"""Whether each mitigation holds, per scope, from the scanner's results.

Rule (per scope: a workload cluster, one of its machine groups, or the management scope
for resources outside every cluster): a mitigation is **violated** when any of its checks
has a finding there, suppressed or not, **holds** when at least one of its checks passed
there and none failed, and is **unknown** otherwise. A suppressed finding is a risk
accepted, not a control in place: the attack edge stays open, its evidence marked
accepted. Unknown keeps the attack edge, marked "assumed". Scopes merge the same way
(account and namespace scopes merge their clusters with the management scope).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef
from capsa.graph.controls import group_of
from capsa.graph.deployment import Deployment
from capsa.sources.root import relative_to_root


class Status(StrEnum):
    HOLDS = "holds"
    VIOLATED = "violated"
    UNKNOWN = "unknown"


@dataclass(frozen=True, order=True)
class EvidenceRef:
    """One check result behind a verdict: labels for people, and the resource and
    location themselves for JSON (not compared: the labels already identify them)."""

    check_id: str
    resource: str
    location: str | None
    passed: bool
    resource_ref: ResourceRef | None = field(default=None, compare=False)
    where: Location | None = field(default=None, compare=False)
    accepted: bool = False  # a failure suppressed: the risk accepted, the control absent


@dataclass(frozen=True)
class Verdict:
    status: Status
    refs: tuple[EvidenceRef, ...] = ()


UNKNOWN = Verdict(Status.UNKNOWN)


class MitigationEvidence:
    """Check results per scope and mitigation, with the holds/violated/unknown rule."""

    def __init__(
        self,
        records: Mapping[str, Mapping[str, Sequence[EvidenceRef]]] | None = None,
        assumed: Iterable[str] = (),
    ) -> None:
        self._records: dict[str, dict[str, tuple[EvidenceRef, ...]]] = {
            scope: {m: tuple(sorted(set(refs))) for m, refs in per.items()}
            for scope, per in (records or {}).items()
        }
        self.assumed: frozenset[str] = frozenset(assumed)
        self._cache: dict[tuple[tuple[str, ...], str, tuple[str, ...]], Verdict] = {}

    def with_assumed(self, mitigations: Iterable[str]) -> MitigationEvidence:
        """The same evidence with `mitigations` taken to hold everywhere (what-if)."""
        out = MitigationEvidence(assumed=self.assumed | frozenset(mitigations))
        out._records = self._records
        return out

    def verdict(
        self, scopes: Sequence[str], mitigation: str, checks: Sequence[str] = ()
    ) -> Verdict:
        """Merged verdict of `mitigation` over `scopes`, from the results of `checks` only
        when some are named (a technique's `decidedBy`)."""
        if mitigation in self.assumed:
            return Verdict(Status.HOLDS)
        key = (tuple(scopes), mitigation, tuple(checks))
        found = self._cache.get(key)
        if found is not None:
            return found
        refs: list[EvidenceRef] = []
        for scope in scopes:
            refs.extend(self._records.get(scope, {}).get(mitigation, ()))
        if checks:
            refs = [r for r in refs if r.check_id in checks]
        failed = tuple(r for r in refs if not r.passed)
        if failed:
            verdict = Verdict(Status.VIOLATED, failed)
        elif refs:
            verdict = Verdict(Status.HOLDS, tuple(refs))
        else:
            verdict = UNKNOWN
        self._cache[key] = verdict
        return verdict

    def by_scope(self) -> dict[str, dict[str, Status]]:
        """Scope -> mitigation -> status, for every scope that has results."""
        return {
            scope: {m: self.verdict((scope,), m).status for m in sorted(per)}
            for scope, per in sorted(self._records.items())
        }

    def scopes(self) -> list[str]:
        return sorted(self._records)


def _location(location: Location) -> str:
    return f"{location.path}:{location.line}" if location.line is not None else location.path


def build_evidence(
    findings: Iterable[Finding],
    passes: Iterable[CheckResult],
    deployment: Deployment,
    check_mitigations: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> MitigationEvidence:
    """Attribute a scan's findings and passes to scopes and mitigations.

    `check_mitigations` maps check id -> mitigation id for results that do not carry their
    mitigation themselves (passes). A suppressed finding violates its mitigation as any
    finding does (accepting a risk does not put the control in place, so no attack path
    closes on it), its evidence marked `accepted`. A result counts for every mitigation recommending the same
    control (`capsa.graph.controls`); results of checks that evidence no mitigation, and
    not-applicable results (never passed in), count for none. Results are placed by
    their file's real path; the evidence shows it relative to the scan `root`.
    """
    mitigation_of = dict(check_mitigations or {})
    records: dict[str, dict[str, list[EvidenceRef]]] = defaultdict(lambda: defaultdict(list))

    def add(
        item: Finding | CheckResult, mitigation: str | None, passed: bool, accepted: bool = False
    ) -> None:
        if not mitigation:
            return
        resource = item.resource
        shown = dataclasses.replace(item.location, path=relative_to_root(item.location.path, root))
        ref = EvidenceRef(
            item.check_id, resource.label, _location(shown), passed, resource, shown, accepted
        )
        scopes = deployment.scopes_for(
            resource.kind, resource.namespace, resource.name, item.location.path
        )
        for scope in scopes:
            for member in group_of(mitigation):
                records[scope][member].append(ref)

    for finding in findings:
        mitigation = finding.mitigation or mitigation_of.get(finding.check_id)
        add(finding, mitigation, passed=False, accepted=finding.suppressed)
    for result in passes:
        add(result, mitigation_of.get(result.check_id), passed=True)
    return MitigationEvidence(records)
