"""CAPSA-IDENT-*: identity sharing across namespaces, static keys, controller identity,
default control-plane instance profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks_support import AWS, MACHINES, aws_machine, outcome


def identity(kind: str, allowed: str | None) -> str:
    api = "v1beta1" if kind.startswith(("Azure", "VSphere")) else "v1beta2"
    spec = f"  allowedNamespaces: {allowed}\n" if allowed is not None else "  type: x\n"
    return f"apiVersion: infrastructure.cluster.x-k8s.io/{api}\nkind: {kind}\nmetadata: {{name: i}}\nspec:\n{spec}"


@pytest.mark.parametrize(
    "kind",
    [
        "AWSClusterControllerIdentity",
        "AWSClusterRoleIdentity",
        "AWSClusterStaticIdentity",
        "AzureClusterIdentity",
        "VSphereClusterIdentity",
    ],
)
def test_ident_001_all_namespaces(kind: str) -> None:
    assert outcome("CAPSA-IDENT-001", identity(kind, "{}")) == "fail"
    # CAPV's allowedNamespaces has a selector only: a list is dropped, leaving {}
    listed = "{list: [team-a]}"
    named = "{selector: {matchLabels: {team: a}}}" if kind.startswith("VSphere") else listed
    assert outcome("CAPSA-IDENT-001", identity(kind, named)) == "pass"
    assert outcome("CAPSA-IDENT-001", identity(kind, None)) == "pass"
    if kind.startswith("VSphere"):
        assert outcome("CAPSA-IDENT-001", identity(kind, listed)) == "fail"


def test_ident_001_vsphere_empty_selector_means_all() -> None:
    assert (
        outcome(
            "CAPSA-IDENT-001", identity("VSphereClusterIdentity", "{selector: {matchLabels: {}}}")
        )
        == "fail"
    )
    assert (
        outcome(
            "CAPSA-IDENT-001",
            identity("VSphereClusterIdentity", "{selector: {matchLabels: {team: a}}}"),
        )
        == "pass"
    )


@pytest.mark.parametrize("value", ["{selector: {}}", "{list: null}", "{list: null, selector: {}}"])
def test_ident_001_aws_zero_value_admits_every_namespace(value: str) -> None:
    """CAPA compares allowedNamespaces with its zero value (session.go), so an empty
    selector admits every namespace although the field's doc says none."""
    assert outcome("CAPSA-IDENT-001", identity("AWSClusterRoleIdentity", value)) == "fail"


@pytest.mark.parametrize("value", ["{list: []}", "{selector: {matchLabels: {}}}"])
def test_ident_001_aws_non_zero_empty_values_admit_none(value: str) -> None:
    """An empty but non-nil list or label map differs from the zero value, and an empty
    selector then matches nothing."""
    assert outcome("CAPSA-IDENT-001", identity("AWSClusterRoleIdentity", value)) == "pass"


def test_ident_002_static_identity() -> None:
    assert outcome("CAPSA-IDENT-002", identity("AWSClusterStaticIdentity", "{list: [a]}")) == "fail"
    assert outcome("CAPSA-IDENT-002", identity("AWSClusterRoleIdentity", "{list: [a]}")) == "none"


@pytest.mark.parametrize("kind", MACHINES)
def test_ident_004_default_control_plane_profile(kind: str) -> None:
    bad = aws_machine(
        kind, "iamInstanceProfile: control-plane.cluster-api-provider-aws.sigs.k8s.io"
    )
    good = aws_machine(kind, "iamInstanceProfile: alpha-control-plane")
    assert outcome("CAPSA-IDENT-004", bad) == "fail"
    assert outcome("CAPSA-IDENT-004", good) == "pass"
    assert AWS in bad


def _scanned(tmp_path: Path, text: str) -> str:
    """IDENT-001's outcome on `text` read as `capsa scan` reads it (variables unset)."""
    from checks_support import all_checks

    from capsa.checks.engine import evaluate
    from capsa.sources.files import read_manifests

    (tmp_path / "identity.yaml").write_text(text)
    found = read_manifests([str(tmp_path)]).resources
    result = evaluate(found, [all_checks()["CAPSA-IDENT-001"]])
    return "fail" if result.findings else "unknown" if result.unknown else "pass"


@pytest.mark.parametrize("kind", ["AWSClusterRoleIdentity", "AzureClusterIdentity"])
def test_ident_001_a_listed_unset_variable_is_decided(tmp_path: Path, kind: str) -> None:
    """No value of ${NAMESPACE} makes a non-empty list every namespace (an empty name
    matches no Cluster's namespace): the names are never read, only the list's presence."""
    listed = identity(kind, '{list: ["${NAMESPACE}"]}')
    assert _scanned(tmp_path, listed) == "pass"
    # the whole list unset may be null, CAPA's and CAPZ's zero value: undecided
    assert _scanned(tmp_path, identity(kind, "{list: ${NAMESPACES}}")) == "unknown"


def test_ident_001_a_listed_variable_on_vsphere_still_fails(tmp_path: Path) -> None:
    """CAPV's schema has no list: it is dropped whatever it holds, leaving {}."""
    listed = identity("VSphereClusterIdentity", '{list: ["${NAMESPACE}"]}')
    assert _scanned(tmp_path, listed) == "fail"
