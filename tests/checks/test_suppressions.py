"""Suppressions file, inline annotations and baselines: what hides a finding and what not."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from capsa.checks.findings import Finding, Location, ResourceRef, Severity, fingerprint
from capsa.checks.suppressions import (
    Baseline,
    InlineSuppressions,
    apply_suppressions,
    baseline_mismatch,
    collect_inline,
    inline_key,
    load_suppressions,
    parse_annotation,
    parse_suppressions,
    read_baseline,
)
from capsa.errors import InputError
from capsa.sources.resource import Origin, Resource
from capsa.yamlio import load_one_with_lines

TODAY = date(2026, 3, 1)


def _finding(
    check: str = "CAPSA-IMDS-001",
    severity: Severity = Severity.HIGH,
    kind: str = "AWSMachineTemplate",
    namespace: str | None = "team-a",
    name: str = "workers",
) -> Finding:
    ref = ResourceRef("infrastructure.cluster.x-k8s.io/v1beta2", kind, namespace, name)
    return Finding(
        fingerprint=fingerprint(check, ref, "spec"),
        check_id=check,
        title="t",
        severity=severity,
        threats=("STRIDE-SPOOF-1",),
        mitigation="STRIDE-SPOOF-1.M5",
        resource=ref,
        location=Location("m.yaml", 3),
        message="m",
        remediation="r",
        references=("https://example.org",),
    )


def _file(entries: str) -> str:
    return f"apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n{entries}"


ONE_ENTRY = _file(
    """  - check: CAPSA-IMDS-001
    resource: {kind: AWSMachineTemplate, namespace: team-*, name: work*}
    reason: legacy AMI cannot do IMDSv2 yet
    expires: 2026-06-30
    approver: security@example.com
"""
)


def test_a_complete_entry_is_read_with_its_line() -> None:
    (entry,) = parse_suppressions(ONE_ENTRY, ".capsa-ignore.yaml")
    assert entry.check == "CAPSA-IMDS-001"
    assert (entry.kind, entry.namespace, entry.name) == ("AWSMachineTemplate", "team-*", "work*")
    assert entry.expires == date(2026, 6, 30)
    assert entry.approver == "security@example.com"
    assert entry.allow_critical is False
    assert entry.line == 4


def test_missing_required_fields_are_reported_with_file_and_line() -> None:
    text = _file("  - check: CAPSA-IMDS-001\n    resource: {name: x}\n")
    with pytest.raises(InputError) as error:
        parse_suppressions(text, "ignore.yaml")
    messages = {(p.path, p.line, p.message) for p in error.value.problems}
    assert ("ignore.yaml", 4, "reason is required") in messages
    assert ("ignore.yaml", 4, "expires is required") in messages
    assert ("ignore.yaml", 4, "approver is required") in messages


@pytest.mark.parametrize(
    ("entry", "line", "needle"),
    [
        ("expires: next week", 7, "expires must be a date"),
        ("expiry: 2026-01-01", 7, "expiry: unknown key"),
        ("allowCritical: yes please", 7, "allowCritical must be true or false"),
        ("resource: {cluster: a}", 7, "resource.cluster: unknown key"),
    ],
)
def test_bad_values_point_at_their_line(entry: str, line: int, needle: str) -> None:
    base = "  - check: C\n    reason: r\n    approver: a\n"
    if not entry.startswith("expires"):
        base += "    expires: 2026-01-01\n"
        line += 1
    text = _file(base + f"    {entry}\n")
    with pytest.raises(InputError) as error:
        parse_suppressions(text, "f.yaml")
    assert any(p.line == line and needle in p.message for p in error.value.problems), (
        error.value.problems
    )


def test_wrong_kind_and_invalid_yaml_are_errors() -> None:
    with pytest.raises(InputError, match="kind must be Suppressions"):
        parse_suppressions("apiVersion: capsa.dev/v1alpha1\nkind: Other\n", "f.yaml")
    with pytest.raises(InputError) as error:
        parse_suppressions("suppressions:\n\t- check: x\n", "f.yaml")
    assert error.value.problems[0].line == 2


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read suppressions"):
        load_suppressions(tmp_path / "absent.yaml")


def test_resource_patterns_are_anchored_fnmatch() -> None:
    (entry,) = parse_suppressions(ONE_ENTRY, "f.yaml")
    assert entry.matches(_finding(name="workers"))
    assert entry.matches(_finding(namespace="team-b", name="work"))
    assert not entry.matches(_finding(name="my-workers"))  # anchored at the start
    assert not entry.matches(_finding(namespace="prod", name="workers"))
    assert not entry.matches(_finding(check="CAPSA-IMDS-002"))
    assert not entry.matches(_finding(kind="AWSMachine"))


def test_an_entry_suppresses_until_its_expiry_day_and_then_is_reported() -> None:
    entries = parse_suppressions(ONE_ENTRY, "f.yaml")
    on_the_day = apply_suppressions([_finding()], entries, {}, date(2026, 6, 30))
    assert on_the_day.findings[0].suppressed
    assert on_the_day.findings[0].suppression_reason == "legacy AMI cannot do IMDSv2 yet"
    assert on_the_day.applied[0].approver == "security@example.com"
    assert on_the_day.expired == ()

    after = apply_suppressions([_finding()], entries, {}, date(2026, 7, 1))
    assert not after.findings[0].suppressed
    assert after.expired == tuple(entries)


def test_a_critical_finding_needs_allow_critical() -> None:
    critical = _finding(severity=Severity.CRITICAL)
    plain = parse_suppressions(ONE_ENTRY, "f.yaml")
    refused = apply_suppressions([critical], plain, {}, TODAY)
    assert not refused.findings[0].suppressed
    assert refused.refused[0].fingerprint == critical.fingerprint

    allowed = parse_suppressions(ONE_ENTRY + "    allowCritical: true\n", "f.yaml")
    outcome = apply_suppressions([critical], allowed, {}, TODAY)
    assert outcome.findings[0].suppressed
    assert outcome.refused == ()


def test_inline_annotation_entries_and_reasons_with_commas() -> None:
    entries, wrong = parse_annotation(
        "CAPSA-IMDS-001=AMI is old, tracked in JIRA-1, CAPSA-SSH-*=break-glass key,CAPSA-X="
    )
    assert entries == {
        "CAPSA-IMDS-001": "AMI is old, tracked in JIRA-1",
        "CAPSA-SSH-*": "break-glass key",
    }
    assert len(wrong) == 1 and "CAPSA-X has no reason" in wrong[0]
    assert parse_annotation("just words")[1] == ["'just words' is not CHECK=reason"]


MANIFEST = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: workers
  namespace: team-a
  annotations:
    capsa.dev/ignore: "CAPSA-IMDS-001=legacy AMI,CAPSA-BAD="
spec: {}
"""


def _resource(text: str) -> Resource:
    body = load_one_with_lines(text)
    meta = body["metadata"]
    return Resource(
        body["apiVersion"], body["kind"], meta.get("namespace"), meta["name"], body,
        Origin("m.yaml", 1),
    )  # fmt: skip


def test_annotations_are_collected_and_malformed_entries_reported_at_their_line() -> None:
    inline, problems = collect_inline([_resource(MANIFEST)])
    identity = "infrastructure.cluster.x-k8s.io/AWSMachineTemplate/team-a/workers"
    entry = inline[inline_key(identity, "m.yaml", None)]
    assert entry.reason_for("CAPSA-IMDS-001") == "legacy AMI"
    assert entry.reason_for("CAPSA-IMDS-002") is None
    assert [(p.path, p.line) for p in problems] == [("m.yaml", 7)]
    assert "CAPSA-BAD" in problems[0].message


def test_an_annotation_suppresses_but_never_a_critical_finding() -> None:
    annotated = inline_key(_finding().resource.identity, "m.yaml", None)
    inline = {annotated: InlineSuppressions({"CAPSA-*": "accepted"}, "m.yaml", 7)}
    high = apply_suppressions([_finding()], [], inline, TODAY)
    assert high.findings[0].suppressed and high.applied[0].source == "annotation"
    critical = apply_suppressions([_finding(severity=Severity.CRITICAL)], [], inline, TODAY)
    assert not critical.findings[0].suppressed
    assert critical.refused[0].source == "annotation"
    other = apply_suppressions([_finding(name="other")], [], inline, TODAY)
    assert not other.findings[0].suppressed


def test_an_annotation_hides_nothing_on_a_copy_of_its_object_in_another_file() -> None:
    """Copies of a template share an identity but are distinct objects."""
    annotated = inline_key(_finding().resource.identity, "lab/m.yaml", None)
    inline = {annotated: InlineSuppressions({"CAPSA-*": "accepted"}, "lab/m.yaml", 7)}
    copy = dataclasses.replace(_finding(), location=Location("prod/m.yaml", 3))
    assert not apply_suppressions([copy], [], inline, TODAY).findings[0].suppressed
    carried = dataclasses.replace(_finding(), location=Location("lab/m.yaml", 3, "addons"))
    assert not apply_suppressions([carried], [], inline, TODAY).findings[0].suppressed
    same = dataclasses.replace(_finding(), location=Location("lab/m.yaml", 9))
    assert apply_suppressions([same], [], inline, TODAY).findings[0].suppressed


def test_baseline_fingerprints_come_from_a_previous_json_report(tmp_path: Path) -> None:
    good = tmp_path / "baseline.json"
    good.write_text(json.dumps({"schema": "capsa/v1", "findings": [{"fingerprint": "abc"}]}))
    assert read_baseline(good).fingerprints == frozenset({"abc"})

    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "schema": "capsa/v1",\n  oops\n}')
    with pytest.raises(InputError) as error:
        read_baseline(broken)
    assert error.value.problems[0].line == 3

    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": "2.1.0"}))
    with pytest.raises(InputError, match="capsa/v1"):
        read_baseline(other)


@pytest.mark.parametrize(
    ("fingerprints", "root", "matched", "noted"),
    [
        (frozenset({"a"}), "old", 0, True),  # nothing matched, another root
        (frozenset({"a"}), "work/old", 0, True),
        (frozenset({"a"}), "old", 1, False),  # something matched: the root is right
        (frozenset({"a"}), "now", 0, False),  # the same root: the findings went away
        (frozenset({"a"}), "../work/now", 0, False),  # the same folder named from elsewhere
        (frozenset({"a"}), ".", 0, False),  # written from inside its root: no name to compare
        (frozenset({"a"}), None, 0, False),  # no root recorded: nothing to compare
        (frozenset(), "old", 0, False),  # an empty baseline holds nothing back
    ],
)
def test_a_baseline_from_another_root_is_noted_only_when_nothing_matched(
    fingerprints: frozenset[str], root: str | None, matched: int, noted: bool
) -> None:
    here = Path("/srv/work/now")
    note = baseline_mismatch(Baseline("b.json", fingerprints, root), matched, here)
    assert (note is not None) == noted
    if note is not None:
        assert note.is_note and note.path == "b.json"
        assert f"'{root}', not '{here}'" in note.message


def test_a_scan_without_a_root_has_nothing_to_compare_a_baseline_with() -> None:
    """A live cluster or an account alone is read from no folder."""
    assert baseline_mismatch(Baseline("b.json", frozenset({"a"}), "old"), 0, None) is None


def test_a_long_recorded_root_is_shown_cut_and_on_one_line() -> None:
    root = "x" * 5000 + "\n::error ::fake"
    note = baseline_mismatch(Baseline("b.json", frozenset({"a"}), root), 0, Path("/srv/now"))
    assert note is not None
    assert "\n" not in note.message and len(note.message) < 400 and "…" in note.message


def test_a_baseline_schema_error_points_at_its_line(tmp_path: Path) -> None:
    """JSON is read as plain containers; a schema problem reads the text again for its
    line (as YAML, whose syntax holds JSON's)."""
    wrong = tmp_path / "wrong.json"
    findings = [{"fingerprint": "abc"}, {"fingerprint": ""}, {"fingerprint": "\\/x"}]
    wrong.write_text(json.dumps({"schema": "capsa/v1", "findings": findings}, indent=2))
    with pytest.raises(InputError) as error:
        read_baseline(wrong)
    (problem,) = error.value.problems
    assert "findings.1.fingerprint" in problem.message
    assert problem.line == 8  # the second finding's fingerprint


def test_a_baseline_schema_error_line_counts_newlines_only(tmp_path: Path) -> None:
    """YAML, which reads the text again for the line, also breaks lines at U+2028,
    U+0085 and a lone CR; JSON does not."""
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        '{"schema":"capsa/v1",\r"root":"a\u2028b\u0085c",\n"findings":[\n{"fingerprint":5}]}',
        encoding="utf-8",
        newline="",
    )
    with pytest.raises(InputError) as error:
        read_baseline(wrong)
    assert [p.line for p in error.value.problems] == [3]
