"""Who can read cluster Secrets, and who can create Cluster API objects without a quota.

Resolves RoleBindings and ClusterRoleBindings to their rules, including ClusterRole
aggregation (label selectors, applied transitively) and `*` wildcards, the way the RBAC
authorizer would. The Cluster API controllers' own ServiceAccounts, system:masters and the
Kubernetes control plane's default bindings are expected to have this access and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from capsa.checks.findings import Finding
from capsa.kube import selector_matches
from capsa.live.finding import finding
from capsa.live.index import LiveIndex, dig, labels, meta
from capsa.live.registry import LiveInput, live_check
from capsa.sources.resource import Resource

READ = frozenset({"get", "list", "watch"})
CAPI_GROUP = "cluster.x-k8s.io"
MACHINE_PLURALS = frozenset({"machines", "machinesets", "machinedeployments", "machinepools"})
BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")


@dataclass(frozen=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Grant:
    """Rules a binding gives its subjects, in one namespace or (None) in all of them."""

    binding: Resource
    namespace: str | None
    role: str
    rules: tuple[dict[str, Any], ...]
    subjects: tuple[Subject, ...]


def _rules(res: Resource) -> list[dict[str, Any]]:
    return [r for r in res.body.get("rules") or [] if isinstance(r, dict)]


def effective_cluster_roles(index: LiveIndex) -> dict[str, tuple[dict[str, Any], ...]]:
    """Each ClusterRole's rules plus those of every role its aggregationRule selects."""
    roles = {r.name: r for r in index.kind("ClusterRole")}

    def collect(name: str, seen: set[str]) -> list[dict[str, Any]]:
        if name in seen or name not in roles:
            return []
        seen.add(name)
        role = roles[name]
        out = list(_rules(role))
        for selector in dig(role.body, "aggregationRule", "clusterRoleSelectors") or []:
            for other in roles.values():
                if other.name != name and selector_matches(selector, labels(other)):
                    out.extend(collect(other.name, seen))
        return out

    return {name: tuple(collect(name, set())) for name in roles}


def _subjects(binding: Resource) -> tuple[Subject, ...]:
    out: list[Subject] = []
    for s in binding.body.get("subjects") or []:
        if not isinstance(s, dict):
            continue
        kind, name = str(s.get("kind", "")), str(s.get("name", ""))
        namespace = str(
            s.get("namespace") or (binding.namespace if kind == "ServiceAccount" else "")
        )
        out.append(Subject(kind, name, namespace if kind == "ServiceAccount" else ""))
    return tuple(out)


def grants(index: LiveIndex) -> Iterator[Grant]:
    """Every binding resolved to the rules it grants."""
    cluster_roles = effective_cluster_roles(index)
    for binding in index.kind("RoleBinding") + index.kind("ClusterRoleBinding"):
        ref = binding.body.get("roleRef") or {}
        ref_kind, ref_name = str(ref.get("kind", "")), str(ref.get("name", ""))
        if ref_kind == "ClusterRole":
            rules = cluster_roles.get(ref_name, ())
        else:
            role = index.get("Role", binding.namespace, ref_name)
            rules = tuple(_rules(role)) if role else ()
        namespace = binding.namespace if binding.kind == "RoleBinding" else None
        yield Grant(binding, namespace, f"{ref_kind} {ref_name}", rules, _subjects(binding))


def rule_allows(rule: dict[str, Any], verbs: Iterable[str], group: str, plural: str) -> set[str]:
    """The verbs of `verbs` this rule grants on group/plural (empty when it grants none)."""
    groups = {str(g) for g in rule.get("apiGroups") or []}
    plurals = {str(r) for r in rule.get("resources") or []}
    if not ("*" in groups or group in groups) or not ("*" in plurals or plural in plurals):
        return set()
    granted = {str(v) for v in rule.get("verbs") or []}
    return set(verbs) if "*" in granted else set(verbs) & granted


def is_wildcard(rule: dict[str, Any]) -> bool:
    return any("*" in (rule.get(key) or []) for key in ("apiGroups", "resources", "verbs"))


def _controller_service_accounts(index: LiveIndex) -> set[Subject]:
    """ServiceAccounts the Cluster API controllers run as, taken from their Deployments."""
    found: set[Subject] = set()
    for dep in index.provider_deployments():
        sa = dig(dep.body, "spec", "template", "spec", "serviceAccountName")
        found.add(Subject("ServiceAccount", str(sa or "default"), dep.namespace or ""))
    return found


def is_exempt(subject: Subject, binding: Resource, controllers: set[Subject]) -> bool:
    """Subjects that are expected to hold these rights."""
    if subject.kind == "Group" and subject.name == "system:masters":
        return True
    if subject in controllers:
        return True
    if subject.kind == "ServiceAccount" and _looks_like_controller(subject):
        return True
    if labels(binding).get(BOOTSTRAP_LABEL[0]) == BOOTSTRAP_LABEL[1]:
        kube_sa = subject.kind == "ServiceAccount" and subject.namespace == "kube-system"
        return kube_sa or subject.name.startswith("system:")
    return False


def _looks_like_controller(subject: Subject) -> bool:
    prefixes = ("capi-", "capa-")
    return subject.name.startswith(prefixes) and subject.namespace.startswith(prefixes)


@live_check("CAPSA-LIVE-001")
def secret_readers(live: LiveInput) -> list[Finding]:
    """Subjects beyond the controllers that can read Secrets next to Clusters."""
    index = live.index
    targets = index.cluster_namespaces()
    if not targets:
        return []
    controllers = _controller_service_accounts(index)
    findings: list[Finding] = []
    for grant in grants(index):
        scope = sorted(targets) if grant.namespace is None else [grant.namespace]
        scope = [ns for ns in scope if ns in targets]
        if not scope:
            continue
        verbs: set[str] = set()
        named: set[str] = set()
        unrestricted = wildcard = False
        for rule in grant.rules:
            allowed = rule_allows(rule, READ, "", "secrets")
            if not allowed:
                continue
            verbs |= allowed
            wildcard = wildcard or is_wildcard(rule)
            names = {str(n) for n in rule.get("resourceNames") or []}
            unrestricted = unrestricted or not names
            named |= names
        if not verbs:
            continue
        what = "Secrets" if unrestricted else f"the Secrets {', '.join(sorted(named))}"
        for subject in grant.subjects:
            if is_exempt(subject, grant.binding, controllers):
                continue
            how = " (through a wildcard rule)" if wildcard else ""
            message = (
                f"{subject} can {'/'.join(sorted(verbs))} {what} in {', '.join(scope)} via "
                f"{grant.binding.kind} {grant.binding.name} -> {grant.role}{how}; those "
                "namespaces hold workload clusters' CA keys, admin kubeconfigs and bootstrap data."
            )
            findings.append(finding("CAPSA-LIVE-001", grant.binding, message, str(subject)))
    return findings


def _quota_counts(index: LiveIndex) -> dict[str, set[str]]:
    """Per namespace, the object-count quotas (count/<plural>.<group>) it sets."""
    counted: dict[str, set[str]] = {}
    for quota in index.kind("ResourceQuota"):
        hard = dig(quota.body, "spec", "hard") or {}
        counted.setdefault(quota.namespace or "", set()).update(
            str(k) for k in hard if str(k).startswith("count/")
        )
    return counted


@live_check("CAPSA-LIVE-002")
def unbounded_creators(live: LiveInput) -> list[Finding]:
    """Who can create Clusters/Machines where no quota counts them."""
    index = live.index
    counted = _quota_counts(index)
    all_namespaces = sorted({str(meta(n).get("name")) for n in index.kind("Namespace")})
    controllers = _controller_service_accounts(index)
    findings: list[Finding] = []
    for grant in grants(index):
        creatable = {
            plural
            for rule in grant.rules
            for plural in ("clusters", *sorted(MACHINE_PLURALS))
            if rule_allows(rule, {"create"}, CAPI_GROUP, plural)
        }
        if not creatable:
            continue
        scope = all_namespaces if grant.namespace is None else [grant.namespace]
        open_ns: list[str] = []
        for ns in scope:
            quotas = counted.get(ns, set())
            clusters_ok = "clusters" not in creatable or f"count/clusters.{CAPI_GROUP}" in quotas
            machines_ok = (
                not (creatable & MACHINE_PLURALS) or f"count/machines.{CAPI_GROUP}" in quotas
            )
            if not (clusters_ok and machines_ok):
                open_ns.append(ns)
        if not open_ns:
            continue
        for subject in grant.subjects:
            if is_exempt(subject, grant.binding, controllers):
                continue
            message = (
                f"{subject} can create {', '.join(sorted(creatable))} via {grant.binding.kind} "
                f"{grant.binding.name} -> {grant.role} in {', '.join(open_ns)}, where no "
                "ResourceQuota counts Cluster API objects."
            )
            findings.append(finding("CAPSA-LIVE-002", grant.binding, message, str(subject)))
    return findings


__all__ = [
    "Grant",
    "Subject",
    "effective_cluster_roles",
    "grants",
    "rule_allows",
    "secret_readers",
    "selector_matches",
    "unbounded_creators",
]
