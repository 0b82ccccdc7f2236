"""The scan service end to end on small manifests: findings, suppressions, baselines,
variables, bad input and the counts in the summary."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capsa.checks.catalog import load_checks
from capsa.checks.findings import Finding, Location, ResourceRef, Severity
from capsa.checks.model import Check
from capsa.errors import InputError
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, _unique, scan

TODAY = date(2026, 3, 1)
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# A critical check of our own, so criticals are tested whatever the shipped set holds.
OPEN_BASTION = Check.model_validate(
    {
        "id": "CAPSA-TEST-001",
        "title": "Bastion reachable from anywhere",
        "severity": "critical",
        "threats": ["STRIDE-EOP-1"],
        "mitigation": "STRIDE-EOP-1.M1",
        "match": {"kinds": [{"group": "infrastructure.cluster.x-k8s.io", "kind": "AWSCluster"}]},
        "scope": "object",
        "expression": "!object.?spec.?bastion.?enabled.orValue(false) || "
        "size(object.?spec.?bastion.?allowedCIDRBlocks.orValue([])) > 0",
        "field": "spec.bastion.enabled",
        "message": "The bastion accepts SSH from any address.",
        "remediation": "Set spec.bastion.allowedCIDRBlocks.",
        "references": ["https://cluster-api-aws.sigs.k8s.io/topics/bastion"],
        "providers": ["aws"],
    }
)

IMDSV1_TEMPLATE = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: workers
  namespace: team-a
spec:
  template:
    spec:
      instanceType: t3.large
"""
HARDENED_TEMPLATE = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: hardened
  namespace: team-a
spec:
  template:
    spec:
      instanceMetadataOptions:
        httpTokens: required
        httpPutResponseHopLimit: 1
"""
OPEN_BASTION_CLUSTER = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata:
  name: prod
  namespace: team-a
spec:
  bastion:
    enabled: true
"""


def _checks() -> tuple[Check, ...]:
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    return (imds, OPEN_BASTION)


def _write(tmp_path: Path, name: str, *docs: str) -> Path:
    path = tmp_path / name
    path.write_text("---\n".join(docs), encoding="utf-8")
    return path


def _scan(*paths: Path, **options: object) -> ScanResult:
    request = ScanRequest(
        paths=[str(p) for p in paths],
        today=TODAY,
        checks=_checks(),
        **options,  # type: ignore[arg-type]
    )
    return scan(request)


def test_a_bad_object_is_found_at_its_field_and_a_good_one_passes(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.yaml", IMDSV1_TEMPLATE, HARDENED_TEMPLATE)
    result = _scan(path)
    (finding,) = result.findings
    assert finding.check_id == "CAPSA-IMDS-001"
    assert finding.resource.name == "workers"
    # httpTokens is absent: the finding points at spec.template.spec's key, where it
    # belongs (not at instanceType, the unrelated field written first beneath it)
    assert (finding.location.path, finding.location.line) == (str(path), 8)
    assert [p.resource.name for p in result.passes] == ["hardened"]
    assert result.summary.by_severity == {"critical": 0, "high": 1, "medium": 0, "low": 0}
    assert (result.summary.files, result.summary.documents, result.summary.resources) == (1, 2, 2)
    assert result.summary.checks == 2 and result.summary.checks_evaluated == 1
    assert result.worst_open() == Severity.HIGH
    assert not result.unusable


def test_findings_come_worst_first(tmp_path: Path) -> None:
    result = _scan(_write(tmp_path, "m.yaml", IMDSV1_TEMPLATE, OPEN_BASTION_CLUSTER))
    assert [f.severity for f in result.findings] == [Severity.CRITICAL, Severity.HIGH]


def test_an_inline_annotation_suppresses_and_the_summary_counts_it(tmp_path: Path) -> None:
    annotated = IMDSV1_TEMPLATE.replace(
        "  namespace: team-a\n",
        "  namespace: team-a\n  annotations:\n    capsa.dev/ignore: CAPSA-IMDS-001=old AMI\n",
    )
    result = _scan(_write(tmp_path, "m.yaml", annotated))
    (finding,) = result.findings
    assert finding.suppressed and finding.suppression_reason == "old AMI"
    assert result.open_findings == ()
    assert result.summary.suppressed == 1 and result.summary.open == 0
    assert result.suppressions[0].source == "annotation"


def _ignore_file(tmp_path: Path, expires: str, extra: str = "") -> Path:
    path = tmp_path / ".capsa-ignore.yaml"
    path.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        "  - check: CAPSA-*\n    resource: {namespace: team-a}\n    reason: sandbox\n"
        f"    expires: {expires}\n    approver: sec@example.com\n{extra}",
        encoding="utf-8",
    )
    return path


def test_an_ignore_file_suppresses_but_a_critical_only_when_allowed(tmp_path: Path) -> None:
    manifests = _write(tmp_path, "m.yaml", IMDSV1_TEMPLATE, OPEN_BASTION_CLUSTER)
    result = _scan(manifests, ignore_file=str(_ignore_file(tmp_path, "2026-12-31")))
    by_check = {f.check_id: f for f in result.findings}
    assert by_check["CAPSA-IMDS-001"].suppressed
    assert not by_check["CAPSA-TEST-001"].suppressed
    assert result.summary.refused_critical == 1
    assert result.worst_open() == Severity.CRITICAL

    allowed = _ignore_file(tmp_path, "2026-12-31", "    allowCritical: true\n")
    result = _scan(manifests, ignore_file=str(allowed))
    assert all(f.suppressed for f in result.findings)
    assert result.summary.suppressed_critical == 1
    assert [f.check_id for f in result.suppressed_critical] == ["CAPSA-TEST-001"]
    assert result.worst_open() is None


def test_an_expired_entry_stops_suppressing_and_is_reported(tmp_path: Path) -> None:
    manifests = _write(tmp_path, "m.yaml", IMDSV1_TEMPLATE)
    result = _scan(manifests, ignore_file=str(_ignore_file(tmp_path, "2026-02-28")))
    assert not result.findings[0].suppressed
    assert [e.expires for e in result.expired_suppressions] == [date(2026, 2, 28)]
    assert result.summary.expired_suppressions == 1


def test_a_broken_ignore_file_or_baseline_stops_the_scan(tmp_path: Path) -> None:
    manifests = _write(tmp_path, "m.yaml", IMDSV1_TEMPLATE)
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions: [{}]\n")
    with pytest.raises(InputError):
        _scan(manifests, ignore_file=str(bad))
    with pytest.raises(InputError):
        _scan(manifests, baseline=str(bad))


def test_a_baseline_hides_known_findings_and_counts_them(tmp_path: Path) -> None:
    from capsa.report.scan_json import render_json

    first = _scan(_write(tmp_path, "m.yaml", IMDSV1_TEMPLATE))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render_json(first), encoding="utf-8")
    # a new finding appears, the known one moves down the file: only the new one shows
    moved = _write(tmp_path, "m.yaml", OPEN_BASTION_CLUSTER, IMDSV1_TEMPLATE)
    second = _scan(moved, baseline=str(baseline))
    assert [f.check_id for f in second.findings] == ["CAPSA-TEST-001"]
    assert [f.check_id for f in second.baselined] == ["CAPSA-IMDS-001"]
    assert second.summary.baseline == 1 and second.summary.baseline_critical == 0


def test_unresolved_variables_are_unknown_and_values_resolve_them(tmp_path: Path) -> None:
    templated = HARDENED_TEMPLATE.replace("httpTokens: required", "httpTokens: ${HTTP_TOKENS}")
    path = _write(tmp_path, "m.yaml", templated)
    unknown = _scan(path)
    assert unknown.findings == () and unknown.passes == ()
    assert [u.check_id for u in unknown.unknown] == ["CAPSA-IMDS-001"]
    assert unknown.summary.unknown == 1

    passed = _scan(path, variables={"HTTP_TOKENS": "required"})
    assert [p.check_id for p in passed.passes] == ["CAPSA-IMDS-001"]
    vars_file = tmp_path / "vars.yaml"
    vars_file.write_text("HTTP_TOKENS: optional\n")
    failed = _scan(path, vars_files=[str(vars_file)])
    assert [f.check_id for f in failed.findings] == ["CAPSA-IMDS-001"]
    overridden = _scan(path, vars_files=[str(vars_file)], variables={"HTTP_TOKENS": "required"})
    assert overridden.findings == ()


def test_bad_files_are_errors_and_the_rest_is_scanned(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", IMDSV1_TEMPLATE)
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: AWSMachine\nspec:\n\tbroken: true\n")
    result = _scan(good, bad)
    assert [f.resource.name for f in result.findings] == ["workers"]
    assert [(e.path, e.line) for e in result.errors] == [(str(bad), 3)]
    assert not result.nothing_read and not result.unusable

    strict = _scan(good, bad, strict=True)
    assert strict.unusable


def test_nothing_readable_is_unusable(tmp_path: Path) -> None:
    missing = _scan(tmp_path / "absent")
    assert missing.nothing_read and missing.unusable
    assert "no such file" in missing.errors[0].message
    only_bad = tmp_path / "bad.yaml"
    only_bad.write_text("a: [\n")
    assert _scan(only_bad).nothing_read


def test_embedded_resources_point_into_their_carrier(tmp_path: Path) -> None:
    carrier = """apiVersion: addons.cluster.x-k8s.io/v1beta2
kind: ClusterResourceSet
metadata: {name: crs, namespace: team-a}
spec:
  clusterSelector: {}
  resources:
    - {kind: ConfigMap, name: payload}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: payload, namespace: team-a}
data:
  machine.yaml: |
""" + "".join("    " + line + "\n" for line in IMDSV1_TEMPLATE.splitlines())
    result = _scan(_write(tmp_path, "crs.yaml", carrier))
    (finding,) = result.findings
    assert finding.location.path == str(tmp_path / "crs.yaml")
    assert finding.location.carrier is not None and "payload" in finding.location.carrier


def test_the_corpus_scans_without_crashing() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    result = scan(ScanRequest(paths=[str(CORPUS)], today=TODAY))
    assert result.summary.files > 100
    assert any(f.check_id == "CAPSA-IMDS-001" for f in result.findings)
    assert all(e.path for e in result.errors)
    assert not result.nothing_read


COPY_OF_A_CLUSTER = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata:
  name: prod
  namespace: team{annotations}
spec:
  region: eu-west-1
"""


@pytest.mark.parametrize("whole", [False, True])
def test_an_annotation_on_one_copy_hides_nothing_on_another_file_s_copy(
    whole: bool, tmp_path: Path
) -> None:
    """Two files hold the same AWSCluster (same kind, namespace and name): distinct
    objects. The lab copy's annotation suppresses its own findings only, and the two
    copies' findings have distinct fingerprints, so a baseline of one hides nothing of
    the other."""
    (tmp_path / "lab").mkdir()
    (tmp_path / "prod").mkdir()
    note = '\n  annotations:\n    capsa.dev/ignore: "CAPSA-*=accepted for the lab"'
    (tmp_path / "lab" / "cluster.yaml").write_text(COPY_OF_A_CLUSTER.format(annotations=note))
    (tmp_path / "prod" / "cluster.yaml").write_text(COPY_OF_A_CLUSTER.format(annotations=""))
    result = scan(ScanRequest(paths=[str(tmp_path)], today=TODAY, keep_topology=whole))
    by_file: dict[str, list[bool]] = {}
    for finding in result.findings:
        by_file.setdefault(Path(finding.location.path).parent.name, []).append(finding.suppressed)
    assert by_file["lab"] and all(by_file["lab"]), "the annotated copy's findings are suppressed"
    assert by_file["prod"] and not any(by_file["prod"]), "the other copy's are open"
    lab = {f.fingerprint for f in result.findings if "/lab/" in f.location.path}
    prod = {f.fingerprint for f in result.findings if "/prod/" in f.location.path}
    assert lab and prod and not lab & prod


def test_findings_are_placed_in_their_own_list(tmp_path: Path) -> None:
    """Placing fingerprints replaces each finding where it stands, so a large scan never
    holds the unplaced and the placed findings at once."""
    from capsa.checks.findings import placed
    from capsa.scan import service

    (tmp_path / "cluster.yaml").write_text(COPY_OF_A_CLUSTER.format(annotations=""))
    found = list(scan(ScanRequest(paths=[str(tmp_path)], today=TODAY)).findings)
    unplaced = [dataclasses.replace(f, fingerprint="f" * 64) for f in found]
    holder = unplaced
    service._place(holder, tmp_path)
    assert holder is unplaced and len(holder) == len(found)
    assert {f.fingerprint for f in holder} == {placed("f" * 64, "cluster.yaml", None)}


def _finding(fingerprint: str, line: int, severity: Severity = Severity.HIGH) -> Finding:
    ref = ResourceRef("v1", "ConfigMap", "default", "a")
    where = Location("a.yaml", line)
    return Finding(fingerprint, "CAPSA-X-001", "t", severity, (), "", ref, where, "m", "r", ())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["f1", "f2", "f3"]),
            st.integers(1, 3),
            st.sampled_from([Severity.HIGH, Severity.LOW]),
        ),
        max_size=12,
    )
)
def test_exact_repeats_are_dropped_and_the_first_of_each_kept(
    entries: list[tuple[str, int, Severity]],
) -> None:
    """A repeat is the same fingerprint at the same place, whatever else differs."""
    findings = [_finding(*entry) for entry in entries]

    def place(finding: Finding) -> tuple[str, str, int | None]:
        return finding.fingerprint, finding.location.path, finding.location.line

    first = [f for at, f in enumerate(findings) if place(f) not in map(place, findings[:at])]
    assert [id(f) for f in _unique(findings)] == [id(f) for f in first]


RKE2 = """apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: c, namespace: ns}
spec:
  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: RKE2ControlPlane, name: cp}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: RKE2ControlPlane
metadata: {name: cp, namespace: ns}
spec: {}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: RKE2ConfigTemplate
metadata: {name: md, namespace: ns}
spec: {}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: RKE2ConfigTemplate
metadata: {name: md-1, namespace: ns}
spec: {}
"""


@pytest.mark.parametrize("keep_topology", [True, False])
@pytest.mark.parametrize("cache", [False, True])
def test_kinds_no_check_judges_are_named_with_counts(
    tmp_path: Path, keep_topology: bool, cache: bool
) -> None:
    """No finding on an RKE2ControlPlane is no pass: capsa reads none of its settings. A
    Cluster (followed by the topology) is not listed; the count is the same whichever way
    the scan is run, and from the cache."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rke2.yaml").write_text(RKE2)
    for _ in range(2 if cache else 1):
        request = ScanRequest(
            paths=[str(tmp_path / "in")],
            keep_topology=keep_topology,
            cache_dir=str(tmp_path / "cache") if cache else None,
        )
        (note,) = scan(request).notes
        assert note.message.startswith(
            "3 Cluster API object(s) of kinds no check judges: RKE2ConfigTemplate x2, "
            "RKE2ControlPlane x1."
        )


def test_judged_and_followed_kinds_give_no_such_note(tmp_path: Path) -> None:
    kubeadm = RKE2.split("---")[0] + (
        "---\napiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
        "metadata: {name: cp, namespace: ns}\nspec: {}\n"
    ).replace("RKE2ControlPlane", "KubeadmControlPlane")
    (tmp_path / "kcp.yaml").write_text(kubeadm.replace("RKE2ControlPlane", "KubeadmControlPlane"))
    assert not [n for n in scan(ScanRequest(paths=[str(tmp_path)])).notes if "judges" in n.message]


def test_kinds_only_left_out_checks_judge_are_named_apart(tmp_path: Path) -> None:
    """With --check, a kind other checks judge is not one 'no check judges'."""
    kubeadm = (
        "apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
        "metadata: {name: cp, namespace: ns}\nspec: {}\n"
    )
    (tmp_path / "kcp.yaml").write_text(kubeadm)
    chosen = tuple(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    (note,) = [n for n in scan(ScanRequest(paths=[str(tmp_path)], checks=chosen)).notes]
    assert note.message.startswith(
        "1 Cluster API object(s) of kinds only checks this run left out judge: "
        "KubeadmControlPlane x1."
    )
    assert "no check judges" not in note.message


def test_problems_come_in_one_order_whatever_order_they_came_in() -> None:
    """Two problems alike but for their column (two Clusters on one line naming the
    same missing class) came out in a set's order, which differs run to run."""
    import itertools

    from capsa.errors import Problem
    from capsa.scan.service import ordered_problems

    said = "Cluster a: topology class ClusterClass 'x' is not among the inputs"
    problems = [
        Problem("f.yaml", 22, 393, said),
        Problem("f.yaml", 22, 8, said),
        Problem("e.yaml", 3, None, "skipped", is_note=True),
        Problem("f.yaml", 2, None, said),
        Problem("f.yaml", 22, 8, said),  # the same problem twice: once
    ]
    seen = {ordered_problems(order) for order in itertools.permutations(problems)}
    assert len(seen) == 1
    errors, notes = seen.pop()
    assert [(p.line, p.column) for p in errors] == [(2, None), (22, 8), (22, 393)]
    assert [p.path for p in notes] == ["e.yaml"]


def test_an_unknown_reason_names_its_variables_in_one_order() -> None:
    from capsa.checks.engine import unknown_reason
    from capsa.sources.resource import Origin, Resource

    body = {
        "spec": {
            "b": "__CAPSA_UNRESOLVED_B__",
            "a": "__CAPSA_UNRESOLVED_A__",
            "items": ["x", "__CAPSA_UNRESOLVED_C__"],
        }
    }
    resource = Resource("v1", "ConfigMap", None, "c", body, Origin("f.yaml", 1))
    paths = [("spec", "b"), ("spec", "a"), ("spec", "items", 1)]
    reasons = {unknown_reason(resource, order) for order in itertools.permutations(paths)}
    assert reasons == {"unresolved ${A}, ${B}, ${C}: set --var A=... --var B=... --var C=..."}
