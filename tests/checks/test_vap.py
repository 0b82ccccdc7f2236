"""Exporting object checks as ValidatingAdmissionPolicies."""

from __future__ import annotations

import pytest
from checks_support import all_checks

from capsa.cel import CelEnvironment
from capsa.checks.model import Check
from capsa.checks.vap import NotExportable, export_policy, exportable, plural


@pytest.mark.parametrize(
    ("kind", "resource"),
    [
        ("AWSMachineTemplate", "awsmachinetemplates"),
        ("AWSClusterStaticIdentity", "awsclusterstaticidentities"),
        ("MachineHealthCheck", "machinehealthchecks"),
        ("ClusterClass", "clusterclasses"),
        ("Policy", "policies"),
        ("Gateway", "gateways"),
    ],
)
def test_plural_names(kind: str, resource: str) -> None:
    assert plural(kind) == resource


def test_object_check_exports_policy_and_binding_with_cel_verbatim() -> None:
    check = all_checks()["CAPSA-IMDS-001"]
    policy, binding = export_policy(check)
    assert policy["apiVersion"] == "admissionregistration.k8s.io/v1"
    assert policy["kind"] == "ValidatingAdmissionPolicy"
    assert policy["metadata"]["name"] == "capsa-imds-001"
    assert policy["spec"]["validations"][0]["expression"] == check.expression
    assert policy["spec"]["validations"][0]["message"].startswith("CAPSA-IMDS-001")
    rules = policy["spec"]["matchConstraints"]["resourceRules"]
    assert rules[0]["apiGroups"] == ["infrastructure.cluster.x-k8s.io"]
    assert "awsmachinetemplates" in rules[0]["resources"]
    assert rules[0]["operations"] == ["CREATE", "UPDATE"]
    assert binding["kind"] == "ValidatingAdmissionPolicyBinding"
    assert binding["spec"] == {"policyName": "capsa-imds-001", "validationActions": ["Deny"]}


def test_versions_become_api_versions() -> None:
    check = next(c for c in all_checks().values() if c.scope == "object")
    pinned = check.model_copy(
        update={
            "match": check.match.model_copy(
                update={
                    "kinds": tuple(
                        k.model_copy(update={"versions": ("v1beta1",)}) for k in check.match.kinds
                    )
                }
            )
        }
    )
    rules = export_policy(pinned, actions=("Warn", "Audit"))[0]["spec"]["matchConstraints"]
    assert all(r["apiVersions"] == ["v1beta1"] for r in rules["resourceRules"])


def test_topology_checks_are_refused() -> None:
    check = next(c for c in all_checks().values() if c.scope == "topology")
    assert exportable(check) is not None
    with pytest.raises(NotExportable, match="topology"):
        export_policy(check)


def test_checks_using_capsa_only_functions_are_refused() -> None:
    base = next(c for c in all_checks().values() if c.scope == "object")
    check = Check.model_validate(
        {**base.model_dump(by_alias=True), "expression": "parseYAML('a: 1') != null"}
    )
    with pytest.raises(NotExportable, match="parseYAML"):
        export_policy(check)


def test_every_exportable_check_compiles_with_only_object_and_standard_functions() -> None:
    """Exported CEL must not lean on capsa's environment: compile it without our
    functions except the Kubernetes ones (find, isSorted, ...)."""
    from capsa.cel_k8s import KUBERNETES_FUNCTIONS, functions

    env = CelEnvironment(["object"], [f for f in functions() if f.name in KUBERNETES_FUNCTIONS])
    exported = [c for c in all_checks().values() if exportable(c) is None]
    assert exported
    for check in exported:
        env.compile(check.expression)
