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


def _object_check(**changes: object) -> Check:
    base = all_checks()["CAPSA-IMDS-001"]
    return Check.model_validate({**base.model_dump(by_alias=True), **changes})


def test_checks_using_capsa_only_functions_are_refused() -> None:
    check = _object_check(variables=[], undecided=None, expression="parseYAML('a: 1') != null")
    with pytest.raises(NotExportable, match="parseYAML"):
        export_policy(check)


def test_capsa_only_functions_in_a_variable_are_refused_too() -> None:
    check = _object_check(
        variables=[{"name": "parsed", "expression": "parseYAML('a: 1')"}],
        undecided=None,
        expression="variables.parsed != null",
    )
    with pytest.raises(NotExportable, match="parseYAML"):
        export_policy(check)


def test_variables_become_policy_variables_in_order() -> None:
    check = all_checks()["CAPSA-AUDIT-001"].model_copy(
        update={"variables": all_checks()["CAPSA-AUDIT-002"].variables}
    )
    policy = export_policy(check)[0]
    assert [v["name"] for v in policy["spec"]["variables"]] == [
        "kubeadmSpec",
        "apiServerFlags",
        "files",
        "volumes",
    ]
    assert policy["spec"]["variables"][2]["expression"] == check.variables[2].expression
    assert policy["spec"]["validations"][0]["expression"] == check.expression
    assert list(policy["spec"]) == ["failurePolicy", "matchConstraints", "variables", "validations"]


def test_checks_without_variables_export_none() -> None:
    policy = export_policy(all_checks()["CAPSA-SCALE-003"])[0]
    assert "variables" not in policy["spec"]


def test_every_exportable_check_compiles_with_only_object_and_standard_functions() -> None:
    """Exported CEL must not lean on capsa's environment: compile every variable and the
    validation without our functions except the Kubernetes ones (find, isSorted, ...),
    each reading earlier variables through `variables` as an admission policy does."""
    from capsa.cel_k8s import KUBERNETES_FUNCTIONS, functions

    env = CelEnvironment(
        ["object", "variables"], [f for f in functions() if f.name in KUBERNETES_FUNCTIONS]
    )
    exported = [c for c in all_checks().values() if exportable(c) is None]
    # BOOT-001 and BOOT-003 read the topology (not applicable to EKS clusters), so they do
    # not export; the rest of the object-level checks do
    assert len(exported) == 61
    for check in exported:
        for variable in check.variables:
            env.compile(variable.expression)
        policy = export_policy(check)[0]["spec"]
        for part in (*policy.get("matchConditions", ()), *policy["validations"]):
            env.compile(part["expression"])


def test_applies_when_becomes_a_match_condition() -> None:
    """No autoscaler annotation: the scan says not applicable, the policy does not match."""
    check = all_checks()["CAPSA-SCALE-003"]
    spec = export_policy(check)[0]["spec"]
    assert spec["matchConditions"] == [
        {"name": "applies", "expression": " ".join((check.applies_when or "").split())}
    ]
    assert spec["validations"][0]["expression"] == check.expression


def test_applies_when_reading_variables_is_folded_into_the_validation() -> None:
    """Match conditions cannot read policy variables: the condition guards the validation."""
    check = all_checks()["CAPSA-SSH-004"]
    assert "variables." in (check.applies_when or "")
    spec = export_policy(check)[0]["spec"]
    assert "matchConditions" not in spec
    assert spec["validations"][0]["expression"].startswith(f"!({check.applies_when})")


def test_every_exported_policy_round_trips_through_the_kubernetes_types() -> None:
    """Parsed into the admissionregistration.k8s.io/v1 models (generated from the
    Kubernetes OpenAPI) and written back, each policy and binding is unchanged: every
    field it sets is a real field of the API."""
    from lightkube.resources.admissionregistration_v1 import (
        ValidatingAdmissionPolicy,
        ValidatingAdmissionPolicyBinding,
    )

    for check in all_checks().values():
        if exportable(check) is not None:
            continue
        policy, binding = export_policy(check)
        assert ValidatingAdmissionPolicy.from_dict(policy).to_dict() == policy
        assert ValidatingAdmissionPolicyBinding.from_dict(binding).to_dict() == binding
