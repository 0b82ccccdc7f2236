"""CAPSA-IDENT-006/007 on AWSClusterRoleIdentity chains, through the topology context."""

from __future__ import annotations

from checks_support import all_checks, resources

from capsa.capi.topology import build_topology
from capsa.checks.engine import evaluate

API = "infrastructure.cluster.x-k8s.io/v1beta2"


def _identity(name: str, account: str, source: str | None, external_id: str = "") -> str:
    lines = [
        f"apiVersion: {API}",
        "kind: AWSClusterRoleIdentity",
        f"metadata: {{name: {name}}}",
        "spec:",
        f"  roleARN: arn:aws:iam::{account}:role/{name}",
    ]
    if source:
        lines.append(f"  sourceIdentityRef: {{kind: AWSClusterRoleIdentity, name: {source}}}")
    if external_id:
        lines.append(f"  externalID: {external_id}")
    return "\n".join(lines) + "\n"


def _outcomes(text: str) -> dict[str, str]:
    found = resources(text)
    topology = build_topology(found)
    result = evaluate(found, [all_checks()["CAPSA-IDENT-007"]], topology.context_for)
    assert not result.problems
    out = {r.resource.name: "n/a" for r in result.not_applicable}
    out.update({r.resource.name: "pass" for r in result.passes})
    out.update({r.resource.name: "unknown" for r in result.unknown})
    out.update({f.resource.name: "fail" for f in result.findings})
    return out


def test_same_account_chain_without_external_id_is_not_judged() -> None:
    text = _identity("jump", "111122223333", None) + "---\n"
    text += _identity("tenant", "111122223333", "jump")
    assert _outcomes(text) == {"jump": "n/a", "tenant": "n/a"}


def test_cross_account_chain_fires_only_on_the_crossing_identity() -> None:
    text = _identity("jump", "111122223333", None) + "---\n"
    text += _identity("tenant", "444455556666", "jump")
    assert _outcomes(text) == {"jump": "n/a", "tenant": "fail"}


def test_source_missing_from_the_inputs_is_not_judged() -> None:
    assert _outcomes(_identity("tenant", "444455556666", "jump")) == {"tenant": "n/a"}


def test_unresolved_role_arn_is_unknown() -> None:
    text = _identity("jump", "111122223333", None) + "---\n"
    text += _identity("tenant", "${TENANT_ACCOUNT}", "jump")
    found = resources(text, unknown=[("spec", "roleARN")])
    topology = build_topology(found)
    result = evaluate(found, [all_checks()["CAPSA-IDENT-007"]], topology.context_for)
    assert {r.resource.name for r in result.unknown} == {"jump", "tenant"}
