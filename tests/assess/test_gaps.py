"""Project gaps judged from governance facts: each gap opens on a bad repository and is
addressed on a good one; without a repository nothing is claimed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from capsa.assess.gaps import project_gaps
from capsa.errors import Problem
from capsa.sources.repository import Evidence, GovernanceFacts

NOW = datetime(2024, 5, 1, tzinfo=UTC)

GOOD = GovernanceFacts(
    root="repo",
    security_contacts=("alice", "bob"),
    approvers=("maintainers",),
    emeritus_approvers=("carol",),
    aliases={"maintainers": ("alice", "bob")},
    files_found=frozenset({"OWNERS", "OWNERS_ALIASES", "SECURITY_CONTACTS"}),
    security_policy="SECURITY.md",
    sbom_evidence=(Evidence("Makefile", 40, "bom generate"),),
    security_contacts_changed=NOW - timedelta(days=30),
    owners_aliases_changed=NOW - timedelta(days=30),
)
BAD = GovernanceFacts(
    root="repo",
    security_contacts=("alice",),
    approvers=("alice",),
    files_found=frozenset({"OWNERS", "SECURITY_CONTACTS"}),
    security_contacts_changed=NOW - timedelta(days=900),
    owners_aliases_changed=NOW - timedelta(days=900),
)


def _status(facts: GovernanceFacts | None) -> dict[str, str]:
    return {g.id: g.status for g in project_gaps(facts, NOW)}


def test_well_kept_repository_addresses_every_gap() -> None:
    assert _status(GOOD) == {"DEV-01": "addressed", "DEV-02": "addressed", "DEV-SBOM": "addressed"}


def test_stale_files_no_policy_and_no_sbom_are_open() -> None:
    assert _status(BAD) == {"DEV-01": "open", "DEV-02": "open", "DEV-SBOM": "open"}


def test_evidence_names_the_files() -> None:
    gaps = {g.id: g for g in project_gaps(GOOD, NOW)}
    assert any(e.path == "Makefile:40" for e in gaps["DEV-SBOM"].evidence)
    assert any(e.path == "SECURITY.md" for e in gaps["DEV-02"].evidence)
    assert all(e.ok for e in gaps["DEV-02"].evidence)


def test_missing_owners_file_is_open() -> None:
    facts = GovernanceFacts(root="repo")
    assert _status(facts)["DEV-01"] == "open"


def test_without_a_repository_nothing_is_claimed() -> None:
    assert set(_status(None).values()) == {"not-assessable"}
    missing = GovernanceFacts(
        root="nope", problems=(Problem("nope", None, None, "not a directory"),)
    )
    assert set(_status(missing).values()) == {"not-assessable"}


def test_catalogue_titles_are_used_when_given() -> None:
    gaps = project_gaps(None, NOW, {"DEV-01": ("OWNERS out of date", "text")})
    assert gaps[0].title == "OWNERS out of date" and gaps[0].description == "text"
