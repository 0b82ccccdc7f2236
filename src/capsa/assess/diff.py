"""Compare two assessments: findings by fingerprint, threats and mitigations by status.

Fingerprints ignore line numbers and ordering, so moving a manifest around does not show
up as fixed-and-new; a finding whose severity, message, location or suppression changed
is reported as changed instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from capsa.assess.model import Assessment, FindingRecord, Location, ResourceRef
from capsa.frozen import FrozenModel

_COMPARED = ("severity", "message", "location", "suppressed", "suppression_reason", "mitigation")


class _Frozen(FrozenModel):
    """The shared base, serialised with its camelCase names like the Assessment it compares."""

    model_config = ConfigDict(serialize_by_alias=True)


class FindingChange(_Frozen):
    fingerprint: str
    check_id: str
    resource: str
    changes: dict[str, tuple[str, str]] = Field(default_factory=dict)


class StatusChange(_Frozen):
    id: str
    kind: str  # "threat" or "mitigation"
    old: str | None
    new: str | None


class AssessmentDiff(_Frozen):
    schema_: str = Field("capsa/v1", alias="schema")
    kind: str = "AssessmentDiff"
    new: list[FindingRecord] = Field(default_factory=list)
    fixed: list[FindingRecord] = Field(default_factory=list)
    changed: list[FindingChange] = Field(default_factory=list)
    status_changes: list[StatusChange] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.fixed or self.changed or self.status_changes)


def _text(value: object) -> str:
    if isinstance(value, Location | ResourceRef):
        return value.label
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return "" if value is None else str(value)


def _finding_changes(old: FindingRecord, new: FindingRecord) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for name in _COMPARED:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            out[name] = (_text(before), _text(after))
    return out


def _statuses(assessment: Assessment) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for threat in assessment.threats:
        out[("threat", threat.id)] = threat.deployment_status.value
        for mitigation in threat.mitigations:
            out[("mitigation", mitigation.id)] = mitigation.deployment_status.value
    return out


def _by_fingerprint(findings: Sequence[FindingRecord]) -> dict[str, FindingRecord]:
    return {f.fingerprint: f for f in findings}


def diff_assessments(old: Assessment, new: Assessment) -> AssessmentDiff:
    before, after = _by_fingerprint(old.findings), _by_fingerprint(new.findings)
    changed: list[FindingChange] = []
    for fingerprint in sorted(before.keys() & after.keys()):
        changes = _finding_changes(before[fingerprint], after[fingerprint])
        if changes:
            f = after[fingerprint]
            changed.append(
                FindingChange(
                    fingerprint=fingerprint,
                    check_id=f.check_id,
                    resource=f.resource.label,
                    changes=changes,
                )
            )
    old_status, new_status = _statuses(old), _statuses(new)
    status_changes = [
        StatusChange(id=key[1], kind=key[0], old=old_status.get(key), new=new_status.get(key))
        for key in sorted(old_status.keys() | new_status.keys())
        if old_status.get(key) != new_status.get(key)
    ]
    order = _sort_key
    return AssessmentDiff(
        new=sorted((after[k] for k in after.keys() - before.keys()), key=order),
        fixed=sorted((before[k] for k in before.keys() - after.keys()), key=order),
        changed=changed,
        status_changes=status_changes,
    )


def _sort_key(finding: FindingRecord) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.check_id, finding.resource.label)
