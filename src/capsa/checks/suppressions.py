"""Explicit exceptions to findings: a `.capsa-ignore.yaml` file, inline annotations and
baselines.

Every suppression names a check, says why, and (in the file) when it ends and who agreed.
Expired entries stop working and are reported. A critical finding is suppressed only by a
file entry with `allowCritical: true`; inline annotations never hide one. Whatever hides a
critical finding is listed, so nothing hides one silently.

File format (`apiVersion: capsa.dev/v1alpha1`, `kind: Suppressions`)::

    suppressions:
      - check: CAPSA-IMDS-001          # a check id, or an fnmatch pattern
        resource: {kind: AWSMachineTemplate, namespace: team-*, name: "*"}  # each optional
        reason: legacy AMI without IMDSv2 support
        expires: 2026-06-30            # suppresses through this day
        approver: security@example.com
        allowCritical: false           # optional

Inline: `metadata.annotations["capsa.dev/ignore"] = "CHECK=reason[,CHECK2=reason]"`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, Field

from capsa import READABLE_SCHEMAS
from capsa.checks.findings import Finding, Severity
from capsa.datafile import DataFile, Loc
from capsa.display import display_path
from capsa.errors import InputError, Problem
from capsa.reader import MAX_FILE_BYTES
from capsa.sources.resource import Resource
from capsa.sources.root import shown_path
from capsa.yamlio import LineDict, position_of

API_VERSION = "capsa.dev/v1alpha1"
KIND = "Suppressions"
ANNOTATION = "capsa.dev/ignore"
BASELINE_SCHEMAS = READABLE_SCHEMAS

_REQUIRED = ("check", "reason", "expires", "approver")
_OPTIONAL = ("resource", "allowCritical")
_RESOURCE_KEYS = ("kind", "namespace", "name")
# a new `CHECK=` entry starts after a comma; commas elsewhere belong to the reason
_INLINE_SPLIT = re.compile(r",\s*(?=[A-Za-z0-9*?\[\]_.-]+\s*=)")
_INLINE_ENTRY = re.compile(r"^\s*([A-Za-z0-9*?\[\]_.-]+)\s*=\s*(.*?)\s*$", re.S)

Source = Literal["file", "annotation"]


@dataclass(frozen=True)
class Suppression:
    """One entry of a suppressions file (patterns are fnmatch, matched whole-string)."""

    check: str
    kind: str | None
    namespace: str | None
    name: str | None
    reason: str
    expires: date
    approver: str
    allow_critical: bool
    path: str
    line: int | None

    def expired(self, today: date) -> bool:
        """True after the expiry day (the entry still works on that day)."""
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        ref = finding.resource
        return (
            fnmatchcase(finding.check_id, self.check)
            and (self.kind is None or fnmatchcase(ref.kind, self.kind))
            and (self.namespace is None or fnmatchcase(ref.namespace or "", self.namespace))
            and (self.name is None or fnmatchcase(ref.name, self.name))
        )

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class AppliedSuppression:
    """Why one finding is suppressed: by which source, reason, and (for files) who/until."""

    fingerprint: str
    check_id: str
    severity: Severity
    source: Source
    reason: str
    approver: str | None
    expires: date | None
    path: str
    line: int | None


@dataclass(frozen=True)
class RefusedSuppression:
    """A suppression that matched a critical finding but was not allowed to hide it."""

    fingerprint: str
    check_id: str
    source: Source
    path: str
    line: int | None
    why: str


@dataclass(frozen=True)
class SuppressionOutcome:
    """Findings with their `suppressed` flags set, and what happened on the way."""

    findings: tuple[Finding, ...]
    applied: tuple[AppliedSuppression, ...]
    refused: tuple[RefusedSuppression, ...]
    expired: tuple[Suppression, ...]


# --- the suppressions file -------------------------------------------------------------
# Read through `capsa.datafile`: the bounded reader, the guarded YAML parser with
# positions, and YAML errors described without quoting the file.


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _resource_selector(file: DataFile, at: Loc) -> dict[str, str | None]:
    selector: dict[str, str | None] = dict.fromkeys(_RESOURCE_KEYS)
    raw = file.get((*at, "resource"))
    if raw is None:
        return selector
    if not isinstance(raw, dict):
        file.report((*at, "resource"), "resource must be a mapping")
        return selector
    for key, value in raw.items():
        where: Loc = (*at, "resource", key)
        if key not in _RESOURCE_KEYS:
            file.report(where, f"resource.{key}: unknown key (use kind, namespace, name)", key=True)
        elif not isinstance(value, str) or not value:
            file.report(where, f"resource.{key} must be a non-empty string", key=True)
        else:
            selector[str(key)] = value
    return selector


def _entry(file: DataFile, index: int) -> Suppression | None:
    at: Loc = ("suppressions", index)
    entry = file.get(at)
    line = file.position(at)[0]
    if not isinstance(entry, LineDict):
        file.report(at, "a suppression must be a mapping")
        return None
    before = len(file.problems)
    allowed = ", ".join((*_REQUIRED, *_OPTIONAL))
    for key in entry:
        if key not in _REQUIRED and key not in _OPTIONAL:
            file.report((*at, key), f"{key}: unknown key (allowed: {allowed})", key=True)
    for key in _REQUIRED:
        if key not in entry:
            file.report(at, f"{key} is required")
    check = _text(entry.get("check"))
    reason = _text(entry.get("reason"))
    approver = _text(entry.get("approver"))
    expires = _as_date(entry.get("expires"))
    for key, value in (("check", check), ("reason", reason), ("approver", approver)):
        if key in entry and value is None:
            file.report((*at, key), f"{key} must be a non-empty string")
    if "expires" in entry and expires is None:
        file.report((*at, "expires"), "expires must be a date (YYYY-MM-DD)")
    allow = entry.get("allowCritical", False)
    if not isinstance(allow, bool):
        file.report((*at, "allowCritical"), "allowCritical must be true or false")
    selector = _resource_selector(file, at)
    if len(file.problems) > before or None in (check, reason, approver, expires):
        return None
    assert check is not None and reason is not None and approver is not None
    assert expires is not None
    return Suppression(
        check=check,
        kind=selector["kind"],
        namespace=selector["namespace"],
        name=selector["name"],
        reason=reason,
        expires=expires,
        approver=approver,
        allow_critical=bool(allow),
        path=file.path,
        line=line,
    )


def _suppressions(file: DataFile) -> list[Suppression]:
    root = file.root
    if root.get("apiVersion") != API_VERSION:
        file.report(("apiVersion",), f"apiVersion must be {API_VERSION}")
    if root.get("kind") != KIND:
        file.report(("kind",), f"kind must be {KIND}")
    for key in root:
        if key not in ("apiVersion", "kind", "suppressions", "metadata"):
            file.report((key,), f"{key}: unknown key", key=True)
    entries = root.get("suppressions") or []
    if not isinstance(entries, list):
        file.report(("suppressions",), "suppressions must be a list")
        entries = []
    found = [_entry(file, i) for i in range(len(entries))]
    file.raise_problems()
    return [s for s in found if s is not None]


_NOT_SUPPRESSIONS = f"expected a mapping with kind: {KIND}"


def parse_suppressions(text: str, name: str) -> list[Suppression]:
    """Suppressions of a file's text; raises InputError listing every problem with its line."""
    return _suppressions(DataFile.parse(name, text, what=_NOT_SUPPRESSIONS))


def load_suppressions(path: str | Path) -> list[Suppression]:
    """Read a suppressions file; a missing, unreadable or invalid file is an InputError."""
    return _suppressions(DataFile.load(path, what=_NOT_SUPPRESSIONS, noun="suppressions"))


# --- inline annotations ---------------------------------------------------------------


def parse_annotation(value: str) -> tuple[dict[str, str], list[str]]:
    """`CHECK=reason[,CHECK2=reason]` → ({check pattern: reason}, [what was wrong])."""
    entries: dict[str, str] = {}
    wrong: list[str] = []
    for piece in _INLINE_SPLIT.split(value):
        if not piece.strip():
            continue
        match = _INLINE_ENTRY.match(piece)
        if match is None:
            wrong.append(f"{piece.strip()!r} is not CHECK=reason")
            continue
        check, reason = match.group(1), " ".join(match.group(2).split())
        if not reason:
            wrong.append(f"{check} has no reason (write {check}=why it is accepted)")
            continue
        entries[check] = reason
    return entries, wrong


@dataclass(frozen=True)
class InlineSuppressions:
    """The `capsa.dev/ignore` entries of one resource and where the resource was read."""

    entries: Mapping[str, str]
    path: str
    line: int | None

    def reason_for(self, check_id: str) -> str | None:
        for pattern, reason in self.entries.items():
            if fnmatchcase(check_id, pattern):
                return reason
        return None


def annotation_of(body: Any) -> str | None:
    """The raw `capsa.dev/ignore` annotation of an object body, if any."""
    metadata = body.get("metadata") if isinstance(body, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else None


def inline_key(identity: str, path: str, carrier: str | None) -> str:
    """What an annotation is found by: the annotated object's identity and where it was
    read (its file, and the carrier it travels in). Copies of a template share their
    identity but are distinct objects: an annotation on one must not hide the other's
    findings."""
    return f"{identity}\x1f{path}\x1f{carrier or ''}"


def collect_inline(
    resources: Iterable[Resource],
) -> tuple[dict[str, InlineSuppressions], list[Problem]]:
    """Annotation entries by the annotated object (`inline_key`), and a problem for each
    malformed one."""
    found: dict[str, InlineSuppressions] = {}
    problems: list[Problem] = []
    for resource in resources:
        value = annotation_of(resource.body)
        if value is None:
            continue
        entries, wrong = parse_annotation(value)
        where = position_of(resource.body, ("metadata", "annotations", ANNOTATION))
        line = where[0] if where and where[0] > 0 else resource.origin.line
        for message in wrong:
            problems.append(
                Problem(resource.origin.path, line, None, f"{ANNOTATION} on {resource.kind} "
                        f"{resource.name}: {message}; that entry is ignored")
            )  # fmt: skip
        key = inline_key(resource.identity, resource.origin.path, resource.origin.carrier)
        if entries and key not in found:
            found[key] = InlineSuppressions(entries, resource.origin.path, line)
    return found, problems


# --- applying -------------------------------------------------------------------------


def apply_suppressions(
    findings: Sequence[Finding],
    suppressions: Sequence[Suppression],
    inline: Mapping[str, InlineSuppressions],
    today: date,
) -> SuppressionOutcome:
    """Mark findings suppressed by a file entry or by their resource's annotation.

    `inline` maps an annotated object (`inline_key`: its identity and where it was read)
    to its annotation entries; a finding is matched by its resource's identity and its
    location, so a finding a ClusterClass patch places in another file is not matched. File entries are tried first (they carry an approver and an expiry); the first
    active entry that matches wins. Expired entries never suppress and are returned.
    """
    active = [s for s in suppressions if not s.expired(today)]
    expired = tuple(s for s in suppressions if s.expired(today))
    out: list[Finding] = []
    applied: list[AppliedSuppression] = []
    refused: list[RefusedSuppression] = []
    for finding in findings:
        critical = finding.severity == Severity.CRITICAL
        hit: AppliedSuppression | None = None
        for entry in active:
            if not entry.matches(finding):
                continue
            if critical and not entry.allow_critical:
                refused.append(
                    RefusedSuppression(
                        finding.fingerprint, finding.check_id, "file", entry.path, entry.line,
                        "the finding is critical and the entry lacks allowCritical: true",
                    )
                )  # fmt: skip
                continue
            hit = AppliedSuppression(
                finding.fingerprint, finding.check_id, finding.severity, "file", entry.reason,
                entry.approver, entry.expires, entry.path, entry.line,
            )  # fmt: skip
            break
        place = finding.location
        annotations = inline.get(inline_key(finding.resource.identity, place.path, place.carrier))
        reason = annotations.reason_for(finding.check_id) if annotations else None
        if hit is None and annotations is not None and reason is not None:
            if critical:
                refused.append(
                    RefusedSuppression(
                        finding.fingerprint, finding.check_id, "annotation", annotations.path,
                        annotations.line, "inline annotations cannot suppress critical findings",
                    )
                )  # fmt: skip
            else:
                hit = AppliedSuppression(
                    finding.fingerprint, finding.check_id, finding.severity, "annotation",
                    reason, None, None, annotations.path, annotations.line,
                )  # fmt: skip
        if hit is None:
            out.append(finding)
            continue
        applied.append(hit)
        out.append(replace(finding, suppressed=True, suppression_reason=hit.reason))
    return SuppressionOutcome(tuple(out), tuple(applied), tuple(refused), expired)


# --- baselines ------------------------------------------------------------------------


class _BaselineFinding(BaseModel):
    """What a baseline needs of each finding of a previous JSON report."""

    fingerprint: str = Field(min_length=1)


class _Baseline(BaseModel):
    """A previous `capsa scan --format json` output, read for its fingerprints and the
    scan root they are relative to."""

    schema_: Literal["capsa/v1"] = Field(alias="schema")
    root: str | None = None
    findings: list[_BaselineFinding]


@dataclass(frozen=True)
class Baseline:
    """The fingerprints of a previous scan, the root it named (as it showed it) and the
    file they were read from."""

    path: str
    fingerprints: frozenset[str]
    root: str | None


def read_baseline(path: str | Path) -> Baseline:
    """A previous `capsa scan --format json` output (read through `capsa.datafile`:
    bounded, JSON errors with line and column)."""
    what = f'a baseline is a capsa scan JSON output ("schema": "{BASELINE_SCHEMAS[-1]}")'
    file = DataFile.load(
        path, expect=dict, what=what, noun="baseline", syntax="json", limit=MAX_FILE_BYTES
    )
    if file.root.get("schema") not in BASELINE_SCHEMAS:
        raise InputError([Problem(file.path, 1, None, what)])
    baseline = file.validate(_Baseline)
    file.raise_problems()
    assert baseline is not None
    fingerprints = frozenset(f.fingerprint for f in baseline.findings)
    return Baseline(file.path, fingerprints, baseline.root)


ROOT_SHOWN = 120
"""Characters of a baseline's recorded root a note shows (the file may hold any text)."""


def baseline_mismatch(baseline: Baseline, matched: int, root: Path | None) -> Problem | None:
    """A note when no finding of this scan matched the baseline and the baseline was
    written for another scan root: fingerprints hold paths relative to the root, so such
    a baseline matches nothing, and every finding it was meant to hold back shows as
    new. The baseline records its root as it was shown, relative to the directory it
    was written from, so only the roots' own names are compared (the same folder named
    from two places is no mismatch). A scan of no file (a live cluster, an account) has
    no root (None) to compare, nor does a baseline written for `.`."""
    if matched or not baseline.fingerprints or root is None or not baseline.root:
        return None
    written_name = PurePosixPath(baseline.root.replace("\\", "/")).name
    if not written_name or written_name in (".", "..") or written_name == root.name:
        return None
    written = display_path(baseline.root)  # text read from the file, on one line
    if len(written) > ROOT_SHOWN:
        written = written[: ROOT_SHOWN - 1] + "…"
    message = (
        f"none of the baseline's {len(baseline.fingerprints)} findings match: it was"
        f" written for the scan root '{written}', not '{display_path(shown_path(root))}'"
        " (fingerprints hold paths relative to the root); scan that folder, or write the"
        " baseline again"
    )
    return Problem(baseline.path, None, None, message, is_note=True)
