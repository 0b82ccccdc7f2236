"""RBAC in manifests is judged by the live check's own logic (capsa.capi.access): the same
objects give the same verdicts whether read from git or from a cluster."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capsa.capi.access import EXEC_PODS, READ_SECRETS, rule_allows
from capsa.capi.topology import build_topology
from capsa.checks.catalog import load_checks
from capsa.checks.engine import evaluate
from capsa.live.index import LiveIndex
from capsa.live.rbac import secret_readers
from capsa.live.registry import LiveInput
from capsa.sources.resource import Origin, Resource

RBAC = "rbac.authorization.k8s.io/v1"
CHECKS = {c.id: c for c in load_checks() if c.id.startswith("CAPSA-RBAC-")}


def _res(doc: dict[str, Any], carrier: str | None = None) -> Resource:
    meta = doc.get("metadata", {})
    return Resource(
        api_version=doc["apiVersion"],
        kind=doc["kind"],
        namespace=meta.get("namespace"),
        name=meta["name"],
        body=doc,
        origin=Origin("mgmt.yaml", 1, carrier),
    )


def _cluster(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.x-k8s.io/v1beta2",
        "kind": "Cluster",
        "metadata": {"name": f"c-{ns}", "namespace": ns},
    }


def _role(
    kind: str,
    name: str,
    rules: list[dict[str, Any]],
    ns: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "rules": rules}


def _binding(
    kind: str, name: str, role_kind: str, role: str, subject: dict[str, Any], ns: str | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [subject],
    }


def _manifest_flags(check_id: str, docs: list[dict[str, Any]]) -> dict[str, str]:
    """binding name -> fail | pass | n/a for one RBAC check over the documents."""
    resources = [_res(d) for d in docs]
    topology = build_topology(resources)
    result = evaluate(
        topology.evaluation_resources(resources), [CHECKS[check_id]], topology.context_for
    )
    assert not result.problems and not result.unknown
    out = {f.resource.name: "fail" for f in result.findings}
    out.update({p.resource.name: "pass" for p in result.passes})
    out.update({n.resource.name: "n/a" for n in result.not_applicable})
    return out


def _live_flagged(docs: list[dict[str, Any]]) -> set[str]:
    live = LiveInput(LiveIndex.of([_res(d) for d in docs]), datetime(2026, 3, 1, tzinfo=UTC))
    return {f.resource.name for f in secret_readers(live)}


USER = {"kind": "User", "name": "eve"}
GROUP = {"kind": "Group", "name": "ops", "apiGroup": "rbac.authorization.k8s.io"}


def test_aggregated_role_reaches_secrets_for_a_group_both_ways() -> None:
    docs = [
        _cluster("team-a"),
        _role("ClusterRole", "ops", [])
        | {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "ops"}}]}},
        _role(
            "ClusterRole",
            "ops-secrets",
            [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["watch"]}],
            labels={"agg": "ops"},
        ),
        _binding("ClusterRoleBinding", "ops", "ClusterRole", "ops", GROUP),
    ]
    assert _manifest_flags("CAPSA-RBAC-001", docs) == {"ops": "fail"}
    assert _live_flagged(docs) == {"ops"}


def test_objects_a_cluster_resource_set_carries_are_not_judged() -> None:
    carried = [
        _res(
            _role(
                "ClusterRole",
                "csi",
                [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
            ),
            carrier="ConfigMap/default/csi",
        ),
        _res(
            _binding(
                "ClusterRoleBinding",
                "csi",
                "ClusterRole",
                "csi",
                {"kind": "ServiceAccount", "name": "csi", "namespace": "kube-system"},
            ),
            carrier="ConfigMap/default/csi",
        ),
    ]
    resources = [_res(_cluster("default")), *carried]
    topology = build_topology(resources)
    result = evaluate(resources, [CHECKS["CAPSA-RBAC-001"]], topology.context_for)
    assert not result.findings
    assert [n.resource.name for n in result.not_applicable] == ["csi"]


def test_provider_kustomize_source_manager_is_a_controller() -> None:
    manager = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "controller-manager", "namespace": "system"},
        "spec": {
            "template": {
                "spec": {
                    "serviceAccountName": "capz-manager",
                    "containers": [
                        {"name": "manager", "image": "controller:latest", "command": ["/manager"]}
                    ],
                }
            }
        },
    }
    docs = [
        _cluster("default"),
        _role(
            "ClusterRole",
            "manager-role",
            [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
        ),
        _binding(
            "ClusterRoleBinding",
            "manager-rolebinding",
            "ClusterRole",
            "manager-role",
            {"kind": "ServiceAccount", "name": "capz-manager", "namespace": "system"},
        ),
    ]
    assert _manifest_flags("CAPSA-RBAC-001", docs) == {"manager-rolebinding": "fail"}
    assert _manifest_flags("CAPSA-RBAC-001", [*docs, manager]) == {"manager-rolebinding": "pass"}


@pytest.mark.parametrize(
    ("name", "namespace", "expected"),
    [
        ("controller-manager", "system", "pass"),  # kubebuilder's scaffold, as CAPA ships it
        ("manager", "system", "pass"),
        ("controller-manager", "team-a", "fail"),  # a real namespace: no placeholder
    ],
)
def test_kubebuilder_scaffold_service_accounts(name: str, namespace: str, expected: str) -> None:
    docs = [
        _cluster("team-a"),
        _role(
            "ClusterRole", "r", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
        ),
        _binding(
            "ClusterRoleBinding",
            "b",
            "ClusterRole",
            "r",
            {"kind": "ServiceAccount", "name": name, "namespace": namespace},
        ),
    ]
    assert _manifest_flags("CAPSA-RBAC-001", docs) == {"b": expected}


@pytest.mark.parametrize(
    ("resources", "verb", "allowed"),
    [
        (["pods/exec"], "create", True),
        (["*/exec"], "create", True),
        (["*"], "get", True),
        (["pods"], "create", False),
        (["pods/*"], "create", False),  # not an RBAC form: the authorizer ignores it
    ],
)
def test_exec_subresource_matching_follows_the_authorizer(
    resources: list[str], verb: str, allowed: bool
) -> None:
    rule = {"apiGroups": [""], "resources": resources, "verbs": [verb]}
    assert bool(rule_allows(rule, EXEC_PODS.verbs, "", "pods/exec")) is allowed


def test_impersonation_and_exec_fire_in_controller_namespaces() -> None:
    controller = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "capa-controller-manager",
            "namespace": "capa-system",
            "labels": {"cluster.x-k8s.io/provider": "infrastructure-aws"},
        },
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "manager",
                            "image": "registry.k8s.io/cluster-api-aws/cluster-api-aws-controller:v2.8.1",
                        }
                    ]
                }
            }
        },
    }
    docs = [
        controller,
        _role(
            "Role",
            "debug",
            [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]}],
            ns="capa-system",
        ),
        _binding("RoleBinding", "debug", "Role", "debug", USER, ns="capa-system"),
    ]
    assert _manifest_flags("CAPSA-RBAC-003", docs) == {"debug": "fail"}
    # Secrets there are not judged by RBAC-001 (no Cluster in capa-system), as live.
    assert _manifest_flags("CAPSA-RBAC-001", docs) == {"debug": "n/a"}


_VERBS = st.lists(
    st.sampled_from(["get", "list", "watch", "create", "*", "delete"]),
    min_size=1,
    max_size=3,
    unique=True,
)
_RES = st.lists(
    st.sampled_from(["secrets", "pods", "*", "configmaps"]), min_size=1, max_size=2, unique=True
)
_GROUPS = st.sampled_from([[""], ["*"], ["apps"]])
_SUBJECT = st.sampled_from(
    [
        USER,
        GROUP,
        {"kind": "Group", "name": "system:masters"},
        {"kind": "ServiceAccount", "name": "capi-manager", "namespace": "capi-system"},
        {"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"},
    ]
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    verbs=_VERBS,
    res=_RES,
    groups=_GROUPS,
    subject=_SUBJECT,
    cluster_wide=st.booleans(),
    binding_ns=st.sampled_from(["team-a", "team-b"]),
)
def test_manifest_and_live_agree_on_secret_readers(
    verbs: list[str],
    res: list[str],
    groups: list[str],
    subject: dict[str, Any],
    cluster_wide: bool,
    binding_ns: str,
) -> None:
    rule = {"apiGroups": groups, "resources": res, "verbs": verbs}
    kind = "ClusterRoleBinding" if cluster_wide else "RoleBinding"
    docs = [
        _cluster("team-a"),
        _role("ClusterRole", "r", [rule]),
        _binding(kind, "b", "ClusterRole", "r", subject, None if cluster_wide else binding_ns),
    ]
    manifest = _manifest_flags("CAPSA-RBAC-001", docs).get("b")
    live = "b" in _live_flagged(docs)
    assert (manifest == "fail") is live
    reads = bool(rule_allows(rule, READ_SECRETS.verbs, "", "secrets"))
    reaches = cluster_wide or binding_ns == "team-a"
    assert manifest == ("n/a" if not reaches else "fail" if live else "pass")
    assert not live or reads


_READ = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]
_DEFAULTS = {"kubernetes.io/bootstrapping": "rbac-defaults"}


def _labelled(doc: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    doc["metadata"]["labels"] = labels
    return doc


_KCM = {"kind": "User", "name": "system:kube-controller-manager"}
_NS_CONTROLLER = {
    "kind": "ServiceAccount",
    "name": "namespace-controller",
    "namespace": "kube-system",
}
_KUBE_DNS = {"kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"}
_CI = {"kind": "ServiceAccount", "name": "ci", "namespace": "kube-system"}


@pytest.mark.parametrize(
    ("binding", "role", "subject", "expected"),
    [
        # the label is writable by whoever creates a binding: a broad group stays judged
        ("b", "r", {"kind": "Group", "name": "system:authenticated"}, "fail"),
        (
            "system:kube-controller-manager",
            "system:kube-controller-manager",
            {"kind": "Group", "name": "system:unauthenticated"},
            "fail",
        ),
        (
            "system:controller:x",
            "system:controller:x",
            {"kind": "Group", "name": "system:serviceaccounts"},
            "fail",
        ),
        ("b", "r", {"kind": "User", "name": "system:kube-controller-manager"}, "fail"),
        # a default binding's name and subject, bound to another role (cluster-admin)
        ("system:kube-dns", "cluster-admin", _KUBE_DNS, "fail"),
        ("system:kube-controller-manager", "cluster-admin", _KCM, "fail"),
        ("system:controller:ci", "cluster-admin", _CI, "fail"),
        ("system:controller:namespace-controller", "cluster-admin", _NS_CONTROLLER, "fail"),
        # the bootstrap policy's own binding: its name, role and subject
        ("system:kube-controller-manager", "system:kube-controller-manager", _KCM, "pass"),
        ("system:kube-dns", "system:kube-dns", _KUBE_DNS, "pass"),
        (
            "system:controller:namespace-controller",
            "system:controller:namespace-controller",
            _NS_CONTROLLER,
            "pass",
        ),
    ],
)
def test_only_the_real_bootstrap_defaults_are_exempt(
    binding: str, role: str, subject: dict[str, Any], expected: str
) -> None:
    """kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy: the label marks the API
    server's own bindings, but anyone may write it; only its known name, role (roleRef)
    and subjects exempt, in the manifest check (CAPSA-RBAC-001) and the live one (LIVE-001)
    alike."""
    docs = [
        _cluster("team-a"),
        _role("ClusterRole", role, _READ),
        _labelled(_binding("ClusterRoleBinding", binding, "ClusterRole", role, subject), _DEFAULTS),
    ]
    assert _manifest_flags("CAPSA-RBAC-001", docs).get(binding) == expected
    assert (binding in _live_flagged(docs)) == (expected == "fail")


@pytest.mark.parametrize(
    ("name", "role_kind", "role", "expected"),
    [
        (
            "system::extension-apiserver-authentication-reader",
            "Role",
            "extension-apiserver-authentication-reader",
            "pass",
        ),
        ("system::extension-apiserver-authentication-reader", "ClusterRole", "r", "fail"),
        (
            "system::leader-locking-kube-controller-manager",
            "Role",
            "system::leader-locking-kube-controller-manager",
            "pass",
        ),
        ("system::leader-locking-kube-controller-manager", "Role", "r", "fail"),
    ],
)
def test_default_role_bindings_exempt_only_with_their_own_role(
    name: str, role_kind: str, role: str, expected: str
) -> None:
    """namespace_policy.go's kube-system RoleBindings: NewRoleBinding(name) refers to Role
    <name>, except the authentication reader, renamed from Role
    extension-apiserver-authentication-reader's binding."""
    docs = [
        _cluster("kube-system"),
        _role(role_kind, role, _READ, ns="kube-system" if role_kind == "Role" else None),
        _labelled(
            _binding("RoleBinding", name, role_kind, role, _KCM, ns="kube-system"), _DEFAULTS
        ),
    ]
    assert _manifest_flags("CAPSA-RBAC-001", docs).get(name) == expected
    assert (name in _live_flagged(docs)) == (expected == "fail")


@pytest.mark.parametrize(
    ("subject", "flagged"),
    [
        # a tenant account named like a controller, in a namespace holding a Cluster
        (
            {"kind": "ServiceAccount", "name": "capi-ci-deployer", "namespace": "capi-clusters"},
            True,
        ),
        ({"kind": "ServiceAccount", "name": "capi-manager", "namespace": "team-a"}, True),
        # the upstream core controller's own account where clusterctl installs it
        ({"kind": "ServiceAccount", "name": "capi-manager", "namespace": "capi-system"}, False),
    ],
)
def test_controllers_are_known_by_evidence_not_by_name_prefix(
    subject: dict[str, Any], flagged: bool
) -> None:
    docs = [
        _cluster("team-a"),
        _cluster("capi-clusters"),
        _role("ClusterRole", "r", _READ),
        _binding("ClusterRoleBinding", "b", "ClusterRole", "r", subject),
    ]
    assert ("b" in _live_flagged(docs)) == flagged
    assert (_manifest_flags("CAPSA-RBAC-001", docs).get("b") == "fail") == flagged


def test_a_binding_to_the_built_in_cluster_admin_grants_everything_undefined() -> None:
    """Manifests bind cluster-admin without shipping it (every API server creates it): the
    binding grants every right, not nothing; a default binding's name and subject bound to
    it are not the default (review repro rbac/crb-kubedns.yaml, without the role)."""
    kube_dns = _labelled(
        _binding(
            "ClusterRoleBinding", "system:kube-dns", "ClusterRole", "cluster-admin", _KUBE_DNS
        ),
        _DEFAULTS,
    )
    docs = [_cluster("team-a"), kube_dns]
    assert _manifest_flags("CAPSA-RBAC-001", docs) == {"system:kube-dns": "fail"}
    assert _live_flagged(docs) == {"system:kube-dns"}
    masters = _binding(
        "ClusterRoleBinding",
        "cluster-admin",
        "ClusterRole",
        "cluster-admin",
        {"kind": "Group", "name": "system:masters"},
    )
    assert _manifest_flags("CAPSA-RBAC-001", [_cluster("team-a"), masters]) == {
        "cluster-admin": "pass"
    }
