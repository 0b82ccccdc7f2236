"""Compare two assessments: findings by fingerprint, threats and mitigations by status.

Fingerprints ignore line numbers, ordering and where the scanned folder lives, but name
the file (relative to the scan root: copies of one object in two files are two
findings). A finding whose only difference is its location is `moved`: within its file
by fingerprint, to another file by pairing a finding gone with one come that agrees on
everything but the location. One whose severity, message, mitigation or suppression
changed in place is `changed`; one that changed and moved to another file is fixed and
new.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from capsa import SCHEMA
from capsa.assess.model import Assessment, CheckId, FindingRecord, Location, ResourceRef
from capsa.frozen import FrozenModel

# attribute -> the key a change is reported under (the finding's own JSON name)
_COMPARED = {
    "severity": "severity",
    "message": "message",
    "location": "location",
    "suppressed": "suppressed",
    "suppression_reason": "suppressionReason",
    "mitigation": "mitigation",
}


class _Frozen(FrozenModel):
    """The shared base, serialised with its camelCase names like the Assessment it compares."""

    model_config = ConfigDict(serialize_by_alias=True)


class FindingChange(_Frozen):
    """A finding in both assessments whose fields differ: each changed field's key maps
    to [before, after] as text."""

    fingerprint: str
    check_id: CheckId
    resource: str
    changes: dict[str, tuple[str, str]] = Field(default_factory=dict)


class FindingMove(_Frozen):
    """A finding that only moved: same check, resource and verdict, another file or line."""

    fingerprint: str
    check_id: CheckId
    resource: str
    before: Location
    after: Location


class StatusChange(_Frozen):
    id: str
    kind: str  # "threat" or "mitigation"
    old: str | None
    new: str | None


class AssessmentDiff(_Frozen):
    schema_: str = Field(SCHEMA, alias="schema")
    kind: str = "AssessmentDiff"
    new: list[FindingRecord] = Field(default_factory=list)
    fixed: list[FindingRecord] = Field(default_factory=list)
    changed: list[FindingChange] = Field(default_factory=list)
    moved: list[FindingMove] = Field(default_factory=list)
    status_changes: list[StatusChange] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.fixed or self.changed or self.moved or self.status_changes)


def _text(value: object) -> str:
    if isinstance(value, Location | ResourceRef):
        return value.label
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return "" if value is None else str(value)


def _finding_changes(old: FindingRecord, new: FindingRecord) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for name, key in _COMPARED.items():
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            out[key] = (_text(before), _text(after))
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
    moved: list[FindingMove] = []
    for fingerprint in sorted(before.keys() & after.keys()):
        changes = _finding_changes(before[fingerprint], after[fingerprint])
        f = after[fingerprint]
        if set(changes) == {"location"}:
            moved.append(
                FindingMove(
                    fingerprint=fingerprint,
                    check_id=f.check_id,
                    resource=f.resource.label,
                    before=before[fingerprint].location,
                    after=f.location,
                )
            )
        elif changes:
            changed.append(
                FindingChange(
                    fingerprint=fingerprint,
                    check_id=f.check_id,
                    resource=f.resource.label,
                    changes=changes,
                )
            )
    gone = {k: before[k] for k in before.keys() - after.keys()}
    came = {k: after[k] for k in after.keys() - before.keys()}
    # every result of both assessments is read only when a finding went and one came
    pairs = _moved_files(gone, came, _judged(old), _judged(new)) if gone and came else []
    for was, now in pairs:
        f = came.pop(now)
        moved.append(
            FindingMove(
                fingerprint=now,
                check_id=f.check_id,
                resource=f.resource.label,
                before=gone.pop(was).location,
                after=f.location,
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
        new=sorted(came.values(), key=order),
        fixed=sorted(gone.values(), key=order),
        changed=changed,
        moved=moved,
        status_changes=status_changes,
    )


Judged = set[tuple[str, str, str]]
"""(check, resource, file) of every result an assessment holds: findings, passes,
unknowns and not-applicable results alike."""


def _judged(assessment: Assessment) -> Judged:
    out: Judged = set()
    for result in (*assessment.passes, *assessment.unknown, *assessment.not_applicable):
        if result.location is not None:
            out.add((result.check_id, result.resource.label, result.location.path))
    for finding in assessment.findings:
        out.add((finding.check_id, finding.resource.label, finding.location.path))
    return out


def _moved_files(
    gone: dict[str, FindingRecord],
    came: dict[str, FindingRecord],
    judged_before: Judged,
    judged_after: Judged,
) -> list[tuple[str, str]]:
    """(fingerprint before, fingerprint after) of findings that moved to another file: a
    finding gone and one come with the same check and resource and no change but the
    location, paired in location order (copies of one object moved together pair up in
    the order of their files). Only a real move pairs: the check judged nothing of that
    resource in the old file afterwards, nor in the new file before. Otherwise the old
    copy was fixed and another copy broke, which is fixed and new."""
    waiting: dict[tuple[str, str], list[str]] = {}
    for key in sorted(came, key=lambda k: came[k].location.label):
        waiting.setdefault((came[key].check_id, came[key].resource.label), []).append(key)
    pairs: list[tuple[str, str]] = []
    for key in sorted(gone, key=lambda k: gone[k].location.label):
        was = gone[key]
        subject = (was.check_id, was.resource.label)
        if (*subject, was.location.path) in judged_after:
            continue  # still judged where it was: fixed there, not moved
        candidates = waiting.get(subject, [])
        for at, other in enumerate(candidates):
            now = came[other]
            if (*subject, now.location.path) in judged_before:
                continue  # judged there before: that copy broke, nothing moved
            if set(_finding_changes(was, now)) == {"location"}:
                pairs.append((key, candidates.pop(at)))
                break
    return pairs


def _sort_key(finding: FindingRecord) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.check_id, finding.resource.label)
