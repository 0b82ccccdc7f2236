"""capsa diff: new, fixed and changed findings by fingerprint, and status changes."""

from __future__ import annotations

from assessment_factory import finding, make_assessment, passed

from capsa.assess.diff import diff_assessments
from capsa.assess.model import CheckOutcome, Location, Severity


def test_identical_assessments_have_no_difference() -> None:
    a = make_assessment([finding()])
    assert diff_assessments(a, a).empty


def test_reordering_and_line_moves_are_not_new_or_fixed() -> None:
    one = finding(fingerprint="a" * 64)
    two = finding("CAPSA-IMG-001", fingerprint="b" * 64, mitigation="STRIDE-TAMPER-2.M1")
    old = make_assessment([one, two])
    new = make_assessment([two, one])
    assert diff_assessments(old, new).empty


def test_new_fixed_and_changed_are_told_apart() -> None:
    kept_old = finding(fingerprint="a" * 64, line=10)
    kept_new = finding(fingerprint="a" * 64, line=14, severity=Severity.CRITICAL)
    gone = finding("CAPSA-IMG-001", fingerprint="b" * 64, mitigation="STRIDE-TAMPER-2.M1")
    added = finding(fingerprint="c" * 64, path="sandbox/workers.yaml")
    result = diff_assessments(make_assessment([kept_old, gone]), make_assessment([kept_new, added]))
    assert [f.fingerprint for f in result.new] == ["c" * 64]
    assert [f.fingerprint for f in result.fixed] == ["b" * 64]
    assert [c.fingerprint for c in result.changed] == ["a" * 64]
    changes = result.changed[0].changes
    assert changes["severity"] == ("high", "critical")
    assert changes["location"] == ("prod/workers.yaml:10", "prod/workers.yaml:14")


def test_status_changes_of_threats_and_mitigations() -> None:
    old = make_assessment([finding()])
    new = make_assessment([], [passed("CAPSA-AWS-001")])
    changes = {(c.kind, c.id): (c.old, c.new) for c in diff_assessments(old, new).status_changes}
    assert changes[("threat", "STRIDE-SPOOF-1")] == ("violated", "verified")
    assert changes[("mitigation", "STRIDE-SPOOF-1.M1")] == ("violated", "verified")
    assert ("threat", "STRIDE-DOS-5") not in changes


def test_suppression_is_a_change() -> None:
    old = make_assessment([finding()])
    new = make_assessment([finding(suppressed=True)])
    result = diff_assessments(old, new)
    assert result.changed[0].changes["suppressed"] == ("False", "True")


def test_a_finding_that_only_moved_is_listed_as_moved() -> None:
    before = finding(fingerprint="a" * 64, path="old-folder/workers.yaml", line=3)
    after = finding(fingerprint="a" * 64, path="new-folder/workers.yaml", line=9)
    result = diff_assessments(make_assessment([before]), make_assessment([after]))
    assert not (result.new or result.fixed or result.changed)
    [move] = result.moved
    assert (move.before.label, move.after.label) == (
        "old-folder/workers.yaml:3",
        "new-folder/workers.yaml:9",
    )
    assert not result.empty
    data = result.model_dump(by_alias=True)
    assert data["moved"][0]["check"] == before.check_id and "checkId" not in data["moved"][0]


def test_a_finding_moved_to_another_file_pairs_up_though_its_fingerprint_changed() -> None:
    """A fingerprint names the finding's file: a move to another file pairs the finding
    gone with the one come that agrees on everything but the location."""
    before = finding(fingerprint="a" * 64, path="old-folder/workers.yaml", line=3)
    after = finding(fingerprint="b" * 64, path="new-folder/workers.yaml", line=9)
    result = diff_assessments(make_assessment([before]), make_assessment([after]))
    assert not (result.new or result.fixed or result.changed)
    [move] = result.moved
    assert move.fingerprint == "b" * 64
    assert (move.before.label, move.after.label) == (
        "old-folder/workers.yaml:3",
        "new-folder/workers.yaml:9",
    )


def test_a_copy_of_an_object_in_a_new_file_is_new_and_a_changed_move_is_fixed_and_new() -> None:
    """Copies of a template share check, resource and message; the copy added in a new
    file is new, never hidden behind the old copy's finding. A finding that moved and
    changed severity is not a move."""
    kept = finding(fingerprint="a" * 64, path="prod/workers.yaml")
    copy = finding(fingerprint="c" * 64, path="staging/workers.yaml")
    result = diff_assessments(make_assessment([kept]), make_assessment([kept, copy]))
    assert [f.fingerprint for f in result.new] == ["c" * 64]
    assert not (result.fixed or result.moved or result.changed)
    worse = finding(fingerprint="d" * 64, path="new/workers.yaml", severity=Severity.CRITICAL)
    result = diff_assessments(make_assessment([kept]), make_assessment([worse]))
    assert [f.fingerprint for f in result.new] == ["d" * 64]
    assert [f.fingerprint for f in result.fixed] == ["a" * 64]
    assert not result.moved


def test_one_copy_fixed_and_another_broken_is_fixed_and_new_not_a_move() -> None:
    """prod's copy was fixed (it passes now) and staging's broke (it passed before): the
    same check and resource in two files, but nothing moved, and the new failure must
    count for --fail-on new."""
    prod_bad = finding(fingerprint="a" * 64, path="prod/workers.yaml")
    staging_bad = finding(fingerprint="b" * 64, path="staging/workers.yaml")
    check, machine = prod_bad.check_id, prod_bad.resource

    def passing(path: str) -> CheckOutcome:
        return CheckOutcome(check_id=check, resource=machine, location=Location(path=path, line=3))

    old = make_assessment([prod_bad], [passing("staging/workers.yaml")])
    new = make_assessment([staging_bad], [passing("prod/workers.yaml")])
    result = diff_assessments(old, new)
    assert [f.fingerprint for f in result.new] == ["b" * 64]
    assert [f.fingerprint for f in result.fixed] == ["a" * 64]
    assert not result.moved
