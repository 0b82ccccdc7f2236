"""capsa.live.rbac: Secret readers next to Clusters, and Cluster API creators without quota."""

from __future__ import annotations

from collections.abc import Callable

from live_support import FIXED_NOW, live

from capsa.live.index import LiveIndex
from capsa.live.rbac import (
    effective_cluster_roles,
    secret_readers,
    selector_matches,
    unbounded_creators,
)
from capsa.live.registry import LiveInput
from capsa.sources.resource import Resource

Build = Callable[[str], list[Resource]]

CLUSTER = """
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: prod, namespace: team-a}
"""
RBAC_API = "apiVersion: rbac.authorization.k8s.io/v1"


def _binding(
    kind: str, name: str, role_kind: str, role: str, subject: str, ns: str = "team-a"
) -> str:
    where = f", namespace: {ns}" if kind == "RoleBinding" else ""
    return f"""
{RBAC_API}
kind: {kind}
metadata: {{name: {name}{where}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}
subjects: [{subject}]
"""


def _docs(*parts: str) -> str:
    return "\n---\n".join(parts)


def test_fixture_cluster_reports_only_the_ci_service_account(
    mgmt_resources: list[Resource],
) -> None:
    findings = secret_readers(live(mgmt_resources))
    assert [f.resource.identity for f in findings] == [
        "rbac.authorization.k8s.io/RoleBinding/team-a/ci-deployer-reads"
    ]
    f = findings[0]
    assert f.check_id == "CAPSA-LIVE-001"
    assert f.threats == ("STRIDE-EOP-1", "STRIDE-INFODISCLOSE-3", "STRIDE-SPOOF-1")
    assert f.mitigation == "STRIDE-SPOOF-1.M5"
    assert "ServiceAccount team-a/ci-deployer" in f.message and "wildcard" in f.message
    assert f.location.path == "cluster://test/team-a/RoleBinding/ci-deployer-reads"


def test_cluster_role_binding_with_wildcards_fires(build: Build) -> None:
    docs = _docs(
        CLUSTER,
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: ops}}\nrules: [{{apiGroups: ['*'], resources: ['*'], verbs: ['*']}}]",
        _binding(
            "ClusterRoleBinding", "ops", "ClusterRole", "ops", "{kind: Group, name: ops-team}"
        ),
    )
    findings = secret_readers(live(build(docs)))
    assert len(findings) == 1 and "Group ops-team" in findings[0].message


def test_named_secret_grant_fires_and_names_them(build: Build) -> None:
    docs = _docs(
        CLUSTER,
        f"{RBAC_API}\nkind: Role\nmetadata: {{name: r, namespace: team-a}}\nrules: [{{apiGroups: [''], resources: [secrets], resourceNames: [prod-kubeconfig], verbs: [get]}}]",
        _binding("RoleBinding", "b", "Role", "r", "{kind: User, name: eve}"),
    )
    findings = secret_readers(live(build(docs)))
    assert len(findings) == 1 and "the Secrets prod-kubeconfig" in findings[0].message


def test_silent_for_controllers_masters_other_namespaces_and_other_resources(build: Build) -> None:
    docs = _docs(
        CLUSTER,
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: all}}\nrules: [{{apiGroups: [''], resources: [secrets], verbs: [get, list]}}]",
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: cm}}\nrules: [{{apiGroups: [''], resources: [configmaps], verbs: ['*']}}]",
        _binding(
            "ClusterRoleBinding", "m", "ClusterRole", "all", "{kind: Group, name: system:masters}"
        ),
        _binding(
            "ClusterRoleBinding",
            "capi",
            "ClusterRole",
            "all",
            "{kind: ServiceAccount, name: capi-manager, namespace: capi-system}",
        ),
        _binding(
            "RoleBinding",
            "elsewhere",
            "ClusterRole",
            "all",
            "{kind: User, name: dave}",
            ns="team-b",
        ),
        _binding("RoleBinding", "cms", "ClusterRole", "cm", "{kind: User, name: carol}"),
        _binding("RoleBinding", "missing", "Role", "does-not-exist", "{kind: User, name: zed}"),
    )
    assert secret_readers(live(build(docs))) == []


def test_kubernetes_default_bindings_for_control_plane_identities_are_expected(
    build: Build,
) -> None:
    docs = _docs(
        CLUSTER,
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: 'system:controller:namespace-controller'}}\nrules: [{{apiGroups: ['*'], resources: ['*'], verbs: [get, list, delete]}}]",
        f"""{RBAC_API}
kind: ClusterRoleBinding
metadata:
  name: system:controller:namespace-controller
  labels: {{kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:controller:namespace-controller'}}
subjects: [{{kind: ServiceAccount, name: namespace-controller, namespace: kube-system}}]
""",
    )
    assert secret_readers(live(build(docs))) == []


def test_silent_when_no_namespace_holds_a_cluster(mgmt_resources: list[Resource]) -> None:
    without_clusters = [r for r in mgmt_resources if r.kind != "Cluster"]
    assert secret_readers(live(without_clusters)) == []


def test_aggregation_is_transitive_and_follows_match_expressions(build: Build) -> None:
    docs = _docs(
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: top}}\naggregationRule: {{clusterRoleSelectors: [{{matchLabels: {{tier: mid}}}}]}}",
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: mid, labels: {{tier: mid}}}}\naggregationRule: {{clusterRoleSelectors: [{{matchExpressions: [{{key: leaf, operator: Exists}}]}}]}}",
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: leaf, labels: {{leaf: 'yes'}}}}\nrules: [{{apiGroups: [''], resources: [secrets], verbs: [watch]}}]",
    )
    roles = effective_cluster_roles(LiveIndex.of(build(docs)))
    assert roles["top"] == roles["mid"] == roles["leaf"]
    assert selector_matches(
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {"a": "y"}
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]}, {}
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "1"}
    )
    assert selector_matches({}, {"anything": "goes"})


def test_creator_without_object_count_quota_fires(mgmt_resources: list[Resource]) -> None:
    findings = unbounded_creators(live(mgmt_resources))
    assert [f.resource.identity for f in findings] == [
        "rbac.authorization.k8s.io/RoleBinding/team-a/alice-creates"
    ]
    f = findings[0]
    assert f.check_id == "CAPSA-LIVE-002" and f.mitigation == "STRIDE-DOS-2.M1"
    assert set(f.threats) == {"STRIDE-DOS-2", "STRIDE-DOS-3", "STRIDE-DOS-4"}
    assert "User alice" in f.message and "team-a" in f.message


def test_creator_with_object_count_quota_is_silent(build: Build) -> None:
    docs = _docs(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}",
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: team-a}\nspec: {hard: {count/clusters.cluster.x-k8s.io: '3', count/machines.cluster.x-k8s.io: '30'}}",
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: c}}\nrules: [{{apiGroups: [cluster.x-k8s.io], resources: ['*'], verbs: [create]}}]",
        _binding("ClusterRoleBinding", "c", "ClusterRole", "c", "{kind: User, name: bob}"),
    )
    assert unbounded_creators(live(build(docs))) == []


def test_cluster_wide_creator_fires_for_namespaces_without_quota(build: Build) -> None:
    docs = _docs(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}",
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: team-a}\nspec: {hard: {count/clusters.cluster.x-k8s.io: '3'}}",
        f"{RBAC_API}\nkind: ClusterRole\nmetadata: {{name: c}}\nrules: [{{apiGroups: [cluster.x-k8s.io], resources: [clusters], verbs: ['*']}}]",
        _binding("ClusterRoleBinding", "c", "ClusterRole", "c", "{kind: User, name: bob}"),
    )
    findings = unbounded_creators(live(build(docs)))
    assert len(findings) == 1 and "in team-b," in findings[0].message


READER = f"""
{RBAC_API}
kind: ClusterRole
metadata: {{name: secret-reader}}
rules: [{{apiGroups: [""], resources: [secrets], verbs: [get]}}]
"""


def _tenant_deployment(image: str, label: str = "x", namespace: str = "team-a") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: ci, namespace: {namespace}, labels: {{cluster.x-k8s.io/provider: {label}}}}}
spec:
  template:
    spec:
      serviceAccountName: ci
      containers: [{{name: manager, image: "{image}"}}]
"""


def test_a_provider_label_alone_makes_no_controller(build: Build) -> None:
    """Whoever may create a Deployment may label it `cluster.x-k8s.io/provider`: its
    ServiceAccount reading Secrets next to Clusters is still reported; running a provider's
    manager image (or clusterctl recording the provider there) is what shows a controller."""
    sa = "{kind: ServiceAccount, name: ci, namespace: team-a}"
    grant = _binding("RoleBinding", "ci-reads", "ClusterRole", "secret-reader", sa)
    tenant = build(_docs(CLUSTER, READER, grant, _tenant_deployment("busybox:1.36")))
    assert [f.resource.name for f in secret_readers(live(tenant))] == ["ci-reads"]
    manager = "registry.k8s.io/cluster-api/cluster-api-controller:v1.9.4"
    # the public upstream image, run by a tenant next to its Clusters, proves nothing
    in_tenant = build(_docs(CLUSTER, READER, grant, _tenant_deployment(manager)))
    assert [f.resource.name for f in secret_readers(live(in_tenant))] == ["ci-reads"]
    # the same Deployment where no Cluster lives (clusterctl's layout) is a controller
    sa = "{kind: ServiceAccount, name: ci, namespace: capi-system}"
    grant = _binding("ClusterRoleBinding", "ci-reads", "ClusterRole", "secret-reader", sa)
    controller = build(
        _docs(CLUSTER, READER, grant, _tenant_deployment(manager, namespace="capi-system"))
    )
    assert secret_readers(live(controller)) == []


def test_an_account_whose_deployments_were_not_read_is_undecided(build: Build) -> None:
    """With Deployments forbidden (or out of --namespace), a ServiceAccount may be an unread
    controller: no finding on it, the check unknown naming why; a User is still reported."""
    sa = "{kind: ServiceAccount, name: deployer, namespace: ops}"
    user = "{kind: User, name: eve}"
    docs = build(
        _docs(
            CLUSTER,
            READER,
            _binding("ClusterRoleBinding", "sa-reads", "ClusterRole", "secret-reader", sa),
            _binding("ClusterRoleBinding", "eve-reads", "ClusterRole", "secret-reader", user),
        )
    )
    read_all = live(docs)
    assert {f.resource.name for f in secret_readers(read_all)} == {"sa-reads", "eve-reads"}
    scoped = LiveInput(LiveIndex.of(docs), FIXED_NOW, scope=frozenset({"team-a"}))
    assert [f.resource.name for f in secret_readers(scoped)] == ["eve-reads"]
    assert "Deployments in ops were not read" in scoped.notes.undecided["CAPSA-LIVE-001"][0]
