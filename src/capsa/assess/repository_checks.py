"""Repository checks: a project's repository as evidence for the mitigations it carries.

The same shape as manifest and live checks. Each check is an entry of
`data/repository-checks.yaml` (id, title, severity, the catalogue threat and mitigation
it evidences, how much a pass shows, remediation, references, inline examples) plus one
function registered here by its id with `@repository_check`, which reads the
repository's governance facts and decides fail, pass, unknown (the repository cannot
tell) or not applicable. Their results join the scan's in the Assessment, so the threat
table and the project-gaps section are decided by the same per-mitigation status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field

from capsa.assess.convert import check_summary
from capsa.assess.model import (
    CheckOutcome,
    CheckSummary,
    EvidenceExtent,
    FindingRecord,
    Location,
    ResourceRef,
)
from capsa.checks.findings import Severity, fingerprint
from capsa.datafile import DataFile, Examples
from capsa.errors import Problem
from capsa.frozen import FrozenModel
from capsa.sources.repository import (
    GovernanceFacts,
    RepositoryFiles,
    governance_from_files,
    is_sbom_file,
)
from capsa.threats.catalogue import builtin_ids
from capsa.yamlio import LineList

STALE_AFTER = timedelta(days=365)
EXAMPLE_DAY = date(2026, 3, 1)
_NOT_A_LIST = "a repository check file must be a list of repository checks"

Verdict = Literal["fail", "pass", "unknown", "not-applicable"]


class RepositoryExample(FrozenModel):
    """A repository written as its files, the git dates of some of them, and the day of
    the run; `expect` is the outcome a silent (`pass`) example must have."""

    note: str = ""
    files: dict[str, str] = Field(default_factory=dict)
    changed: dict[str, date] = Field(default_factory=dict)
    now: date = EXAMPLE_DAY
    expect: Literal["pass", "unknown", "not-applicable"] | None = None

    def facts(self) -> GovernanceFacts:
        changed = {
            name: datetime(d.year, d.month, d.day, tzinfo=UTC) for name, d in self.changed.items()
        }
        artifacts = tuple(p for p in self.files if is_sbom_file(p))
        texts = {p: t for p, t in self.files.items() if p not in artifacts}
        return governance_from_files("example", RepositoryFiles(texts, artifacts, changed))


class RepositoryCheck(FrozenModel):
    """One repository check: what it reports, what it evidences, and its examples."""

    id: str = Field(pattern=r"^CAPSA-REPO-\d{3}$")
    title: str = Field(min_length=1)
    severity: Severity
    threats: tuple[str, ...] = Field(min_length=1)
    mitigation: str = Field(min_length=1)
    evidence: EvidenceExtent = "partial"
    proves: str = ""
    remediation: str = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    examples: Examples[RepositoryExample] = Examples[RepositoryExample]()


@dataclass(frozen=True)
class Outcome:
    """What a repository check concluded, why, and which file (and line) shows it."""

    verdict: Verdict
    detail: str
    path: str | None = None
    line: int | None = None


Judge = Callable[[GovernanceFacts, datetime], Outcome]
_REGISTRY: dict[str, Judge] = {}


def repository_check(check_id: str) -> Callable[[Judge], Judge]:
    """Register the decorated function as the judge of repository check `check_id`."""

    def register(function: Judge) -> Judge:
        if check_id in _REGISTRY:
            raise ValueError(f"{check_id} is registered twice")
        _REGISTRY[check_id] = function
        return function

    return register


def _age(now: datetime, then: datetime) -> timedelta:
    """Age of a date, treating naive datetimes as UTC so git and caller dates compare."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return now - then


def _freshness(name: str, changed: datetime | None, now: datetime) -> Outcome:
    if changed is None:
        return Outcome("unknown", f"no git history dates {name} (not a git work tree?)", name)
    when = changed.date().isoformat()
    if _age(now, changed) > STALE_AFTER:
        return Outcome("fail", f"{name} last changed {when}, more than a year ago", name)
    return Outcome("pass", f"{name} last changed {when}", name)


@repository_check("CAPSA-REPO-001")
def owners_approvers(facts: GovernanceFacts, now: datetime) -> Outcome:
    if "OWNERS" not in facts.files_found:
        return Outcome("fail", "no OWNERS file")
    approvers = facts.expand(facts.approvers)
    if not approvers:
        return Outcome("fail", "OWNERS lists no approvers", "OWNERS")
    return Outcome("pass", f"{len(approvers)} approver(s)", "OWNERS")


@repository_check("CAPSA-REPO-002")
def aliases_reviewed(facts: GovernanceFacts, now: datetime) -> Outcome:
    if "OWNERS_ALIASES" not in facts.files_found:
        return Outcome("not-applicable", "no OWNERS_ALIASES file")
    return _freshness("OWNERS_ALIASES", facts.owners_aliases_changed, now)


@repository_check("CAPSA-REPO-003")
def emeritus_recorded(facts: GovernanceFacts, now: datetime) -> Outcome:
    if not facts.emeritus_approvers:
        return Outcome("not-applicable", "nobody is recorded as emeritus", "OWNERS")
    still = sorted(set(facts.emeritus_approvers) & set(facts.expand(facts.approvers)))
    if still:
        return Outcome("fail", f"emeritus but still approving: {', '.join(still)}", "OWNERS")
    count = len(facts.emeritus_approvers)
    return Outcome("pass", f"{count} emeritus approver(s) kept apart", "OWNERS")


@repository_check("CAPSA-REPO-004")
def contacts_named(facts: GovernanceFacts, now: datetime) -> Outcome:
    if "SECURITY_CONTACTS" not in facts.files_found:
        return Outcome("fail", "no SECURITY_CONTACTS file")
    if not facts.security_contacts:
        return Outcome("fail", "SECURITY_CONTACTS names no one", "SECURITY_CONTACTS")
    count = len(facts.security_contacts)
    return Outcome("pass", f"{count} contact(s)", "SECURITY_CONTACTS")


@repository_check("CAPSA-REPO-005")
def disclosure_policy(facts: GovernanceFacts, now: datetime) -> Outcome:
    if facts.security_policy is None:
        return Outcome("fail", "no SECURITY.md at the root, in .github/ or in docs/")
    return Outcome("pass", "a security policy is published", facts.security_policy)


@repository_check("CAPSA-REPO-006")
def contacts_maintained(facts: GovernanceFacts, now: datetime) -> Outcome:
    if not facts.security_contacts:
        return Outcome("not-applicable", "no security contact to date")
    return _freshness("SECURITY_CONTACTS", facts.security_contacts_changed, now)


@repository_check("CAPSA-REPO-007")
def sbom_generated(facts: GovernanceFacts, now: datetime) -> Outcome:
    if not facts.sbom_evidence:
        return Outcome("fail", "no SBOM step in the build files and no SBOM file")
    first = facts.sbom_evidence[0]
    more = len(facts.sbom_evidence) - 1
    detail = first.text + (f" (and {more} more)" if more else "")
    return Outcome("pass", detail, first.path, first.line)


def load_repository_checks(path: str | Path | None = None) -> dict[str, RepositoryCheck]:
    """Repository checks by id from `path` (the shipped file when None), each paired with
    its judge; ids checked against the threat catalogue. Raises InputError listing every
    problem."""
    if path is None:
        file = DataFile.builtin(
            "capsa.assess", "data", "repository-checks.yaml", expect=LineList, what=_NOT_A_LIST
        )
    else:
        file = DataFile.load(path, expect=LineList, what=_NOT_A_LIST, noun="repository checks")
    entries = file.entries(RepositoryCheck)
    file.unique(entries, "repository check id")
    ids = builtin_ids()
    for entry in entries:
        check, loc = entry.value, entry.loc
        ids.check_threats(file, (*loc, "threats"), check.threats, check.id)
        ids.check_mitigation(file, (*loc, "mitigation"), check.mitigation, check.id, check.threats)
        if check.id not in _REGISTRY:
            file.report(
                (*loc, "id"), f"{check.id} has no judge: register one with @repository_check"
            )
    if path is None:  # a partial file (tests, extensions) need not cover every judge
        written = {e.value.id for e in entries}
        for check_id in sorted(set(_REGISTRY) - written):
            file.problems.append(
                Problem(file.path, None, None, f"{check_id} is registered but has no entry")
            )
    file.raise_problems()
    return {e.value.id: e.value for e in entries}


@cache
def repository_checks() -> dict[str, RepositoryCheck]:
    """The shipped repository checks, loaded once."""
    return load_repository_checks()


def judge(check: RepositoryCheck, facts: GovernanceFacts, now: datetime) -> Outcome:
    """The outcome of one check on a repository's facts."""
    return _REGISTRY[check.id](facts, now)


@dataclass(frozen=True)
class RepositoryResults:
    """Every repository check's result as the Assessment records results."""

    checks: tuple[CheckSummary, ...] = ()
    findings: tuple[FindingRecord, ...] = ()
    passes: tuple[CheckOutcome, ...] = ()
    unknown: tuple[CheckOutcome, ...] = ()
    not_applicable: tuple[CheckOutcome, ...] = ()
    problems: tuple[Problem, ...] = ()


# The identity a repository finding's fingerprint uses: not the folder's name, so moving or
# renaming the checkout keeps every fingerprint (the file path is relative to its root).
ANY_REPOSITORY = ResourceRef("", "Repository", None, "")


def run_repository_checks(
    facts: GovernanceFacts,
    now: datetime,
    checks: Mapping[str, RepositoryCheck] | None = None,
) -> RepositoryResults:
    """Run every repository check on `facts`. The repository is the resource the results
    are about (named by its directory); each result points at the file that shows it."""
    chosen = repository_checks() if checks is None else checks
    name = PurePosixPath(facts.root.rstrip("/") or facts.root).name or facts.root
    resource = ResourceRef("", "Repository", None, name)
    findings: list[FindingRecord] = []
    passes: list[CheckOutcome] = []
    unknown: list[CheckOutcome] = []
    not_applicable: list[CheckOutcome] = []
    for check in chosen.values():
        outcome = judge(check, facts, now)
        location = Location(outcome.path or ".", outcome.line)
        if outcome.verdict == "fail":
            findings.append(
                FindingRecord(
                    fingerprint=fingerprint(check.id, ANY_REPOSITORY, outcome.path or ""),
                    check_id=check.id,
                    title=check.title,
                    severity=check.severity,
                    threats=list(check.threats),
                    mitigation=check.mitigation,
                    resource=resource,
                    location=location,
                    message=outcome.detail,
                    remediation=" ".join(check.remediation.split()),
                    references=list(check.references),
                )
            )
            continue
        result = CheckOutcome(
            check_id=check.id, resource=resource, location=location, reason=outcome.detail
        )
        {"pass": passes, "unknown": unknown, "not-applicable": not_applicable}[
            outcome.verdict
        ].append(result)
    return RepositoryResults(
        checks=tuple(check_summary(c, "repository") for c in chosen.values()),
        findings=tuple(findings),
        passes=tuple(passes),
        unknown=tuple(unknown),
        not_applicable=tuple(not_applicable),
        problems=facts.problems,
    )
