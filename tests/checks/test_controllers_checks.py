"""CAPSA-BOOT-005 and CAPSA-IDENT-005: controller flags as Deployments, kustomize patches
and clusterctl variables ship them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checks_support import outcome
from hypothesis import given, settings
from hypothesis import strategies as st

from capsa.live.bootstrap import MAX_TOKEN_TTL, parse_go_duration
from capsa.sources.files import read_manifests

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def deployment(args: list[str], image: str = "", command: list[str] | None = None) -> str:
    container: dict[str, object] = {"name": "manager", "args": args}
    if image:
        container["image"] = image
    if command is not None:
        container["command"] = command
    spec = {"template": {"spec": {"containers": [container]}}}
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: m, namespace: system}\n"
        f"spec: {json.dumps(spec)}\n"
    )


BOOTSTRAP = "registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:v1.10.0"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bootstrap-token-ttl=15m"], "pass"),
        (["--bootstrap-token-ttl=900s"], "pass"),
        (["--bootstrap-token-ttl=0"], "pass"),
        (["--bootstrap-token-ttl=15m1s"], "fail"),
        (["--bootstrap-token-ttl=1.5h"], "fail"),
        (["--bootstrap-token-ttl", "2h"], "fail"),
        (["--bootstrap-token-ttl=forever"], "fail"),  # the controller refuses it; say so
        (["--bootstrap-token-ttl-other=2h"], "pass"),  # another flag: the default applies
    ],
)
def test_token_ttl_values(args: list[str], expected: str) -> None:
    assert outcome("CAPSA-BOOT-005", deployment(args, BOOTSTRAP)) == expected


def test_token_ttl_in_the_command_counts() -> None:
    text = deployment([], command=["/manager", "--bootstrap-token-ttl=1h"])
    assert outcome("CAPSA-BOOT-005", text) == "fail"


def test_unresolved_clusterctl_variable_is_unknown() -> None:
    text = deployment(["--bootstrap-token-ttl=${KUBEADM_BOOTSTRAP_TOKEN_TTL}"], BOOTSTRAP)
    unknown = {("spec", "template", "spec", "containers", 0, "args", 0)}
    assert outcome("CAPSA-BOOT-005", text, unknown=unknown) == "unknown"


def _corpus_manager(name: str, variables: dict[str, str]) -> str:
    from capsa.checks.catalog import load_checks
    from capsa.checks.engine import evaluate

    path = CORPUS / "cluster-api" / name
    if not path.is_file():
        pytest.skip("shared corpus not present")
    read = read_manifests([str(path)], variables=variables)
    checks = [c for c in load_checks() if c.id == "CAPSA-BOOT-005"]
    result = evaluate(list(read.resources), checks)
    return "fail" if result.findings else "pass" if result.passes else "other"


def test_clusterctl_variable_decides_the_upstream_manager() -> None:
    manager = "bootstrap__kubeadm__config__manager__manager.yaml"
    assert _corpus_manager(manager, {}) == "pass"  # ${KUBEADM_BOOTSTRAP_TOKEN_TTL:=15m}
    assert _corpus_manager(manager, {"KUBEADM_BOOTSTRAP_TOKEN_TTL": "1h"}) == "fail"


_UNITS = st.sampled_from(["h", "m", "s", "ms"])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(parts=st.lists(st.tuples(st.integers(0, 40), _UNITS), min_size=1, max_size=3))
def test_manifest_and_live_checks_agree_on_the_limit(parts: list[tuple[int, str]]) -> None:
    value = "".join(f"{n}{unit}" for n, unit in parts)
    ttl = parse_go_duration(value)
    assert ttl is not None
    expected = "fail" if ttl > MAX_TOKEN_TTL else "pass"
    assert outcome("CAPSA-BOOT-005", deployment([f"--bootstrap-token-ttl={value}"])) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--feature-gates=AutoControllerIdentityCreator=false,EKS=true"], "pass"),
        (["--feature-gates=EKS=true,AutoControllerIdentityCreator=true"], "fail"),
        (["--feature-gates=EKS=true"], "fail"),
        (["--leader-elect"], "fail"),
        ([], "n/a"),  # an image-only kustomize patch: its base carries the flags
    ],
)
def test_controller_identity_creator_gate(args: list[str], expected: str) -> None:
    image = "registry.k8s.io/cluster-api-aws/cluster-api-aws-controller:v2.8.1"
    assert outcome("CAPSA-IDENT-005", deployment(args, image)) == expected


def test_gate_named_on_a_kustomize_source_without_the_image() -> None:
    text = deployment(["--feature-gates=AutoControllerIdentityCreator=true"], "controller:latest")
    assert outcome("CAPSA-IDENT-005", text) == "fail"
    assert outcome("CAPSA-IDENT-005", deployment(["--v=2"], "controller:latest")) == "n/a"
