"""`Sharing`: objects rebuilt from bytes (unpickled skeletons, validated cache entries)
keep one object per distinct value, and stay equal to what they were rebuilt from."""

from __future__ import annotations

import pickle

from pydantic import TypeAdapter

from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, Severity
from capsa.scan.sharing import Sharing
from capsa.sources.resource import Origin, Resource


def _skeleton(path: str) -> Resource:
    body = {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": "demo", "labels": {"env": "prod"}},
        "spec": {"replicas": 3, "paused": True, "ratio": 1.0, 7: ["a", 1]},
    }
    return Resource(
        "cluster.x-k8s.io/v1beta1",
        "Cluster",
        "default",
        "demo",
        body,
        Origin(path, 4),
        frozenset({("spec", "replicas")}),
    )


def _apart(value: object) -> object:
    """A copy sharing nothing with `value`, as a block unpickled on its own."""
    copied: object = pickle.loads(pickle.dumps(value))
    return copied


def test_skeletons_from_separate_blocks_share_every_equal_string() -> None:
    sharing = Sharing()
    first, second = (_apart(_skeleton("a.yaml")) for _ in range(2))
    assert isinstance(first, Resource) and isinstance(second, Resource)
    assert first.kind is not second.kind  # unpickled apart: the case to fix
    one, two = sharing.resource(first), sharing.resource(second)
    assert one == _skeleton("a.yaml") and two == _skeleton("a.yaml")
    assert one.body == _skeleton("a.yaml").body
    assert one.kind is two.kind and one.api_version is two.api_version
    assert one.origin is two.origin and one.unknown_paths is two.unknown_paths
    key_one = next(k for k in one.body["metadata"] if k == "labels")
    key_two = next(k for k in two.body["metadata"] if k == "labels")
    assert key_one is key_two
    assert one.body["metadata"]["labels"]["env"] is two.body["metadata"]["labels"]["env"]
    # trees are copied, never shared: a dict or list could change under another reader
    assert one.body is not two.body and one.body["spec"][7] is not two.body["spec"][7]


def test_only_strings_of_a_tree_are_shared_so_equal_numbers_keep_their_type() -> None:
    sharing = Sharing()
    sharing.tree({"x": 1, "y": True})
    spec = sharing.tree({"replicas": True, "paused": 1, "ratio": 1.0, 1: "one"})
    assert [type(v) for v in spec.values()] == [bool, int, float, str]
    assert list(spec) == ["replicas", "paused", "ratio", 1]


def test_a_skeleton_of_another_origin_keeps_its_own() -> None:
    sharing = Sharing()
    one = sharing.resource(_apart(_skeleton("a.yaml")))  # type: ignore[arg-type]
    two = sharing.resource(_apart(_skeleton("b.yaml")))  # type: ignore[arg-type]
    assert one.origin.path == "a.yaml" and two.origin.path == "b.yaml"


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
    one, two = (sharing.finding(adapter.validate_json(blob)) for _ in range(2))
    assert one == FINDING and two == FINDING
    assert one.title is two.title and one.remediation is two.remediation
    assert one.references is two.references and one.threats is two.threats
    assert one.resource is two.resource and one.location is two.location


def test_decoded_results_share_resources_and_keep_their_reasons() -> None:
    adapter = TypeAdapter(CheckResult)
    sharing = Sharing()
    first = CheckResult("CAPSA-NET-001", REF, Location("cluster.yaml", 12), "no bastion")
    second = CheckResult("CAPSA-NET-002", REF, Location("cluster.yaml", 12), None, "default")
    one = sharing.result(adapter.validate_json(adapter.dump_json(first)))
    two = sharing.result(adapter.validate_json(adapter.dump_json(second)))
    assert (one, two) == (first, second)
    assert one.resource is two.resource and one.location is two.location
