"""`Sharing`: results rebuilt from bytes (validated cache entries) keep one object per
distinct value, and stay equal to what they were rebuilt from."""

from __future__ import annotations

import pickle

from pydantic import TypeAdapter

from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, Severity
from capsa.scan.sharing import Sharing
from capsa.slotted import columns

REF = ResourceRef("infrastructure.cluster.x-k8s.io/v1beta2", "AWSCluster", "default", "demo")
FINDING = Finding(
    fingerprint="f" * 64,
    check_id="CAPSA-NET-001",
    title="Bastion host accepts SSH from anywhere",
    severity=Severity.HIGH,
    threats=("STRIDE-EOP-1",),
    mitigation="STRIDE-INFODISCLOSE-2.M2",
    resource=REF,
    location=Location("cluster.yaml", 12),
    message="The bastion is open to the internet.",
    remediation="Set bastion.allowedCIDRBlocks.",
    references=("kubernetes-sigs/cluster-api-provider-aws@abc:api/v1beta2/defaults.go:25",),
)


def test_decoded_findings_share_their_checks_texts_and_resources() -> None:
    adapter = TypeAdapter(Finding)
    blob = adapter.dump_json(FINDING)
    sharing = Sharing()
    one, two = (
        sharing.records(Finding, columns([adapter.validate_json(blob)]))[0] for _ in range(2)
    )
    assert one == FINDING and two == FINDING
    assert one.title is two.title and one.remediation is two.remediation
    assert one.references is two.references and one.threats is two.threats
    assert one.resource is two.resource and one.location is two.location


def test_decoded_results_share_resources_and_keep_their_reasons() -> None:
    adapter = TypeAdapter(CheckResult)
    sharing = Sharing()
    first = CheckResult("CAPSA-NET-001", REF, Location("cluster.yaml", 12), "no bastion")
    second = CheckResult("CAPSA-NET-002", REF, Location("cluster.yaml", 12), None, "default")
    one, two = sharing.records(
        CheckResult,
        columns([adapter.validate_json(adapter.dump_json(r)) for r in (first, second)]),
    )
    assert (one, two) == (first, second)
    assert one.resource is two.resource and one.location is two.location


def test_results_from_columns_share_what_finding_and_result_share() -> None:
    results = [
        CheckResult("CAPSA-NET-001", REF, Location("cluster.yaml", 12), "no bastion"),
        CheckResult("CAPSA-NET-002", REF, Location("cluster.yaml", 12), None, "default"),
    ]
    sharing = Sharing()
    one = sharing.records(Finding, pickle.loads(pickle.dumps(columns([FINDING]))))
    two = sharing.records(Finding, pickle.loads(pickle.dumps(columns([FINDING]))))
    assert one == two == [FINDING]
    assert one[0].title is two[0].title and one[0].location is two[0].location
    assert one[0].fingerprint is not two[0].fingerprint  # its own: never kept in the table
    kept = sharing.records(CheckResult, pickle.loads(pickle.dumps(columns(results))))
    again = sharing.records(CheckResult, pickle.loads(pickle.dumps(columns(results))))
    assert kept == again == results
    assert kept[0].location is again[1].location and kept[1].by_default is again[1].by_default
    # another pickle of one finding meets the same kept values
    (single,) = sharing.records(Finding, columns([pickle.loads(pickle.dumps(FINDING))]))
    assert single.title is one[0].title and single.resource is one[0].resource
