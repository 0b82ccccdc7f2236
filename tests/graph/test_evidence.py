"""The holds / violated / unknown rule over check results."""

from __future__ import annotations

from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, Severity
from capsa.graph.deployment import ClusterSpec, Deployment, PoolSpec
from capsa.graph.evidence import Status, build_evidence

REF = ResourceRef("infrastructure.cluster.x-k8s.io/v1beta2", "AWSMachineTemplate", "ns", "md")
DEPLOYMENT = Deployment(
    (ClusterSpec("ns/c", "ns", "management", (PoolSpec("md", "worker"),)),),
    {("AWSMachineTemplate", "ns", "md"): ("cluster:ns/c", "pool:ns/c/md")},
)


def _finding(check: str, suppressed: bool = False) -> Finding:
    return Finding(
        fingerprint="x",
        check_id=check,
        title="t",
        severity=Severity.HIGH,
        threats=("STRIDE-SPOOF-1",),
        mitigation="STRIDE-SPOOF-1.M5",
        resource=REF,
        location=Location("f.yaml", 7),
        message="m",
        remediation="r",
        references=(),
        suppressed=suppressed,
    )


PASS = CheckResult("CAPSA-IMDS-002", REF, Location("f.yaml", 3))
MAP = {"CAPSA-IMDS-001": "STRIDE-SPOOF-1.M5", "CAPSA-IMDS-002": "STRIDE-SPOOF-1.M5"}


def test_a_failure_violates_even_next_to_a_pass() -> None:
    ev = build_evidence([_finding("CAPSA-IMDS-001")], [PASS], DEPLOYMENT, MAP)
    verdict = ev.verdict(("pool:ns/c/md",), "STRIDE-SPOOF-1.M5")
    assert verdict.status is Status.VIOLATED
    assert [(r.check_id, r.location) for r in verdict.refs] == [("CAPSA-IMDS-001", "f.yaml:7")]


def test_passes_alone_hold_and_nothing_is_unknown() -> None:
    ev = build_evidence([], [PASS], DEPLOYMENT, MAP)
    assert ev.verdict(("cluster:ns/c",), "STRIDE-SPOOF-1.M5").status is Status.HOLDS
    assert ev.verdict(("management",), "STRIDE-SPOOF-1.M5").status is Status.UNKNOWN
    assert ev.by_scope()["pool:ns/c/md"] == {"STRIDE-SPOOF-1.M5": Status.HOLDS}


def test_a_suppressed_finding_still_violates_its_mitigation() -> None:
    """A suppression accepts a risk; it does not put the control in place, so the attack
    edge it would block stays open, its evidence marked accepted."""
    ev = build_evidence([_finding("CAPSA-IMDS-001", suppressed=True)], [], DEPLOYMENT, MAP)
    verdict = ev.verdict(("cluster:ns/c",), "STRIDE-SPOOF-1.M5")
    assert verdict.status is Status.VIOLATED
    assert [r.accepted for r in verdict.refs] == [True]


def test_a_suppressed_finding_beside_a_pass_does_not_make_it_hold() -> None:
    """Dropping the suppressed finding let an unrelated pass (another object, another
    check of the mitigation) close every path the mitigation blocks."""
    ev = build_evidence([_finding("CAPSA-IMDS-001", suppressed=True)], [PASS], DEPLOYMENT, MAP)
    assert ev.verdict(("cluster:ns/c",), "STRIDE-SPOOF-1.M5").status is Status.VIOLATED


def test_an_open_finding_is_not_marked_accepted() -> None:
    ev = build_evidence([_finding("CAPSA-IMDS-001")], [PASS], DEPLOYMENT, MAP)
    verdict = ev.verdict(("cluster:ns/c",), "STRIDE-SPOOF-1.M5")
    assert verdict.status is Status.VIOLATED and [r.accepted for r in verdict.refs] == [False]


def test_assumed_mitigations_hold_everywhere() -> None:
    ev = build_evidence([_finding("CAPSA-IMDS-001")], [], DEPLOYMENT, MAP)
    assumed = ev.with_assumed(["STRIDE-SPOOF-1.M5"])
    assert assumed.verdict(("cluster:ns/c",), "STRIDE-SPOOF-1.M5").status is Status.HOLDS
    assert ev.verdict(("cluster:ns/c",), "STRIDE-SPOOF-1.M5").status is Status.VIOLATED
