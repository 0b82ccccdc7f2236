"""Repository checks have the one shape of every check: a data entry with inline examples
(run here through the registered judge) and a function registered by the entry's id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from capsa.assess.repository_checks import (
    RepositoryExample,
    judge,
    repository_checks,
    run_repository_checks,
)
from capsa.datafile import Examples


def _outcome(check_id: str, example: RepositoryExample) -> str:
    check = repository_checks()[check_id]
    now = datetime(example.now.year, example.now.month, example.now.day, tzinfo=UTC)
    return judge(check, example.facts(), now).verdict


@pytest.mark.parametrize("check_id", sorted(repository_checks()))
def test_repository_check_examples_behave_as_labelled(check_id: str) -> None:
    check = repository_checks()[check_id]
    assert check.examples.fail and check.examples.pass_, check_id
    for example in check.examples.fail:
        assert _outcome(check_id, example) == "fail", example.note
    for example in check.examples.pass_:
        assert _outcome(check_id, example) == (example.expect or "pass"), example.note
    assert any(_outcome(check_id, e) == "pass" for e in check.examples.pass_)


def test_a_mislabelled_example_would_be_caught() -> None:
    check = repository_checks()["CAPSA-REPO-004"]
    swapped = Examples[RepositoryExample](fail=check.examples.pass_, pass_=check.examples.fail)
    assert all(_outcome(check.id, e) != "fail" for e in swapped.fail)


def test_every_entry_has_a_judge_and_names_catalogue_ids() -> None:
    from capsa.threats.catalogue import builtin_ids

    ids = builtin_ids()
    for check in repository_checks().values():
        assert ids.mitigations[check.mitigation] in check.threats


def test_results_point_at_the_file_that_shows_them() -> None:
    example = RepositoryExample(
        files={"SECURITY_CONTACTS": "alice", "OWNERS": "approvers: [alice]"},
        changed={"SECURITY_CONTACTS": datetime(2021, 4, 19).date()},
    )
    now = datetime(2026, 3, 1, tzinfo=UTC)
    results = run_repository_checks(example.facts(), now)
    stale = next(f for f in results.findings if f.check_id == "CAPSA-REPO-006")
    assert stale.location.path == "SECURITY_CONTACTS"
    assert "2021-04-19" in stale.message
    assert {c.source for c in results.checks} == {"repository"}
    policy = next(f for f in results.findings if f.check_id == "CAPSA-REPO-005")
    assert policy.resource.kind == "Repository"


def test_an_entry_without_a_judge_or_with_unknown_ids_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    from capsa.assess.repository_checks import load_repository_checks
    from capsa.errors import InputError

    assert isinstance(tmp_path, Path)
    path = tmp_path / "repo-checks.yaml"
    path.write_text(
        "- id: CAPSA-REPO-999\n  title: t\n  severity: low\n  threats: [DEV-01]\n"
        "  mitigation: DEV-02.M1\n  remediation: r\n  references: [x]\n"
    )
    with pytest.raises(InputError) as caught:
        load_repository_checks(path)
    messages = [p.message for p in caught.value.problems]
    assert any("has no judge" in m for m in messages)
    assert any("not under one of" in m for m in messages)
    assert all(p.line for p in caught.value.problems)


def test_fingerprints_do_not_depend_on_the_checkout_folder() -> None:
    """Moving or renaming the repository keeps its findings' fingerprints (and names it)."""
    import dataclasses

    example = RepositoryExample(files={"OWNERS": "approvers: []"})
    now = datetime(2026, 3, 1, tzinfo=UTC)
    here = example.facts()
    moved = dataclasses.replace(here, root="/elsewhere/renamed-checkout")
    before = run_repository_checks(here, now).findings
    after = run_repository_checks(moved, now).findings
    assert before and [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert {f.resource.name for f in after} == {"renamed-checkout"}
