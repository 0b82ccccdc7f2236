"""The scan's and the graph's results become the Assessment's records through typed
functions: same values out, JSON keys as the capsa/v1 document has them."""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from capsa.assess.convert import cut_entries, finding_record, outcome, path_record
from capsa.assess.model import FindingRecord
from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, Severity
from capsa.graph.evidence import EvidenceRef
from capsa.graph.search import AttackPath, Cut, CutMitigation, Step

REF = ResourceRef("infrastructure.cluster.x-k8s.io/v1beta2", "AWSCluster", "team-a", "c1")
WHERE = Location("/abs/clusters/c1.yaml", 12, None)


def _shorten(path: str) -> str:
    return path.removeprefix("/abs/")


def test_a_finding_keeps_its_resource_and_location_values() -> None:
    finding = Finding(
        "f" * 64, "CAPSA-X-001", "t", Severity.HIGH, ("STRIDE-SPOOF-1",), "STRIDE-SPOOF-1.M1",
        REF, WHERE, "m", "r", ("https://example.invalid",),
    )  # fmt: skip
    record = finding_record(finding)
    assert record.resource is REF and record.location == WHERE
    data = json.loads(TypeAdapter(FindingRecord).dump_json(record, by_alias=True))
    assert data["resource"] == {
        "apiVersion": REF.api_version,
        "kind": "AWSCluster",
        "namespace": "team-a",
        "name": "c1",
    }
    assert data["location"] == {"path": WHERE.path, "line": 12, "carrier": None}


def test_an_undecided_result_has_an_empty_reason_rather_than_none() -> None:
    assert outcome(CheckResult("CAPSA-X-001", REF, WHERE)).reason == ""


def test_a_path_step_shows_its_check_results_with_short_paths_or_its_status() -> None:
    failed = EvidenceRef("CAPSA-IMDS-001", "AWSMachineTemplate ns/md", "/abs/m.yaml:7", False)
    steps = (
        Step("pod", "imds", "scrape-imds", ("STRIDE-SPOOF-1",), ("M1",), "open", (failed,)),
        Step("imds", "creds", "use-role", (), (), "assumed", ()),
    )
    path = AttackPath("pod", "creds", 0.25, steps, ("ns/c",))
    record = path_record(path, _shorten)
    assert [[e.text for e in s.evidence] for s in record.steps] == [
        ["CAPSA-IMDS-001 failed on AWSMachineTemplate ns/md at m.yaml:7"],
        [],
    ]
    assert [s.status for s in record.steps] == ["open", "assumed"]
    assert (record.steps[0].evidence[0].check, record.steps[0].evidence[0].passed) == (
        "CAPSA-IMDS-001",
        False,
    )
    data = json.loads(record.model_dump_json(by_alias=True))
    assert list(data) == ["entry", "target", "score", "clusters", "steps"]
    assert data["steps"][0]["from"] == "pod" and data["steps"][0]["blockedBy"] == ["M1"]


def test_the_cut_counts_the_paths_each_mitigation_closes() -> None:
    cut = Cut((CutMitigation("STRIDE-SPOOF-1.M1", 2.0, ("CAPSA-IMDS-001",), (0, 3)),), 2.0, True)
    [entry] = cut_entries(cut)
    assert (entry.mitigation, entry.checks, entry.paths_cut) == (
        "STRIDE-SPOOF-1.M1",
        ["CAPSA-IMDS-001"],
        2,
    )
