"""Project gaps (DEV-01, DEV-02, DEV-SBOM) judged from a repository's governance files.

Without `--repo` there is nothing to look at, so every gap is "not-assessable". With it,
each gap gets the observations that decide it, pointing at the files they came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from capsa.assess.model import GapEvidence, ProjectGap

if TYPE_CHECKING:
    from capsa.sources.repository import GovernanceFacts

STALE_AFTER = timedelta(days=365)

GAP_TITLES = {
    "DEV-01": "Outdated OWNERS file",
    "DEV-02": "Vulnerability report process is poorly defined",
    "DEV-SBOM": "No SBOM for the project's artifacts",
}


def _age(now: datetime, then: datetime) -> timedelta:
    """Age of a date, treating naive datetimes as UTC so git and caller dates compare."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return now - then


def _dev01(facts: GovernanceFacts, now: datetime) -> tuple[str, list[GapEvidence]]:
    has_owners = "OWNERS" in facts.files_found
    approvers = facts.expand(facts.approvers)
    evidence = [
        GapEvidence(
            check="OWNERS lists approvers",
            ok=has_owners and bool(approvers),
            detail=f"{len(approvers)} approver(s)" if has_owners else "no OWNERS file",
            path="OWNERS" if has_owners else None,
        ),
        GapEvidence(
            check="former maintainers moved to emeritus",
            ok=bool(facts.emeritus_approvers) if has_owners else None,
            detail=f"{len(facts.emeritus_approvers)} emeritus approver(s)",
            path="OWNERS" if has_owners else None,
        ),
    ]
    changed = facts.owners_aliases_changed
    fresh: bool | None = None
    if changed is not None:
        fresh = _age(now, changed) <= STALE_AFTER
        evidence.append(
            GapEvidence(
                check="OWNERS_ALIASES reviewed within a year",
                ok=fresh,
                detail=f"last changed {changed.date().isoformat()}",
                path="OWNERS_ALIASES",
            )
        )
    if not has_owners or not approvers or fresh is False:
        return "open", evidence
    return ("addressed" if fresh else "not-assessable"), evidence


def _dev02(facts: GovernanceFacts, now: datetime) -> tuple[str, list[GapEvidence]]:
    contacts = facts.security_contacts
    evidence = [
        GapEvidence(
            check="SECURITY_CONTACTS names people",
            ok=bool(contacts),
            detail=f"{len(contacts)} contact(s)"
            if "SECURITY_CONTACTS" in facts.files_found
            else "no SECURITY_CONTACTS file",
            path="SECURITY_CONTACTS" if "SECURITY_CONTACTS" in facts.files_found else None,
        ),
        GapEvidence(
            check="a security policy says how to report privately",
            ok=facts.security_policy is not None,
            detail=facts.security_policy or "no SECURITY.md",
            path=facts.security_policy,
        ),
    ]
    changed = facts.security_contacts_changed
    stale = changed is not None and _age(now, changed) > STALE_AFTER
    if changed is not None:
        evidence.append(
            GapEvidence(
                check="SECURITY_CONTACTS maintained within a year",
                ok=not stale,
                detail=f"last changed {changed.date().isoformat()}",
                path="SECURITY_CONTACTS",
            )
        )
    ok = bool(contacts) and facts.security_policy is not None and not stale
    return ("addressed" if ok else "open"), evidence


def _sbom(facts: GovernanceFacts, now: datetime) -> tuple[str, list[GapEvidence]]:
    if not facts.sbom_evidence:
        detail = "no SBOM step in build files and no SBOM artifact"
        return "open", [GapEvidence(check="SBOM generated", ok=False, detail=detail)]
    evidence = [
        GapEvidence(
            check="SBOM generated",
            ok=True,
            detail=e.text,
            path=f"{e.path}:{e.line}" if e.line is not None else e.path,
        )
        for e in facts.sbom_evidence
    ]
    return "addressed", evidence


_JUDGES = {"DEV-01": _dev01, "DEV-02": _dev02, "DEV-SBOM": _sbom}


def project_gaps(
    facts: GovernanceFacts | None,
    now: datetime,
    descriptions: dict[str, tuple[str, str]] | None = None,
) -> list[ProjectGap]:
    """One ProjectGap per known gap; `descriptions` (id → title, text) come from the catalogue."""
    out: list[ProjectGap] = []
    for gap_id, judge in _JUDGES.items():
        title, text = (descriptions or {}).get(gap_id, (GAP_TITLES[gap_id], ""))
        if facts is None or "not a directory" in {p.message for p in facts.problems}:
            out.append(
                ProjectGap(id=gap_id, title=title, description=text, status="not-assessable")
            )
            continue
        status, evidence = judge(facts, now)
        out.append(
            ProjectGap(
                id=gap_id,
                title=title,
                description=text,
                status=status,
                evidence=evidence,
            )
        )
    return out


def gap_ids() -> Sequence[str]:
    return tuple(_JUDGES)
