"""Who can read cluster Secrets, and who can create Cluster API objects without a quota.

RBAC is resolved by `capsa.capi.access`, the same code the manifest checks use (aggregation,
wildcards, exempt subjects); this module says who the controllers are in a live cluster
(the ServiceAccounts of the provider Deployments) and words the findings.
"""

from __future__ import annotations

from capsa.capi.access import (
    READ_SECRETS,
    Grant,
    Subject,
    controller_service_accounts,
    exposures,
    is_exempt,
    rule_allows,
)
from capsa.capi.access import effective_cluster_roles as _effective_cluster_roles
from capsa.capi.access import grants as _grants
from capsa.checks.findings import Finding
from capsa.kube import selector_matches
from capsa.live.finding import finding
from capsa.live.index import LiveIndex, dig, meta
from capsa.live.registry import LiveInput, live_check

CAPI_GROUP = "cluster.x-k8s.io"
MACHINE_PLURALS = frozenset({"machines", "machinesets", "machinedeployments", "machinepools"})


def effective_cluster_roles(index: LiveIndex) -> dict[str, tuple[dict[str, object], ...]]:
    """Each ClusterRole's rules plus those of every role its aggregationRule selects."""
    return _effective_cluster_roles(index.kind("ClusterRole"))


RBAC_KINDS = ("ClusterRole", "Role", "RoleBinding", "ClusterRoleBinding")


def grants(index: LiveIndex) -> list[Grant]:
    """Every binding of the cluster resolved to the rules it grants."""
    return list(_grants([r for kind in RBAC_KINDS for r in index.kind(kind)]))


def _controllers(index: LiveIndex) -> set[Subject]:
    """ServiceAccounts the Cluster API controllers run as, taken from their Deployments."""
    return controller_service_accounts(index.provider_deployments())


def _unproven(live: LiveInput, subject: Subject) -> str | None:
    """Why a ServiceAccount not shown to be a controller may still be one: the Deployments
    or Providers that would show it were not read (all of them, or those of its namespace),
    or the Clusters whose namespaces the evidence rule excludes."""
    if subject.kind != "ServiceAccount":
        return None
    for kind in ("Deployment", "Provider", "Cluster"):
        if kind in live.unread:
            return f"{kind}s were not read ({live.unread[kind]})"
    if not live.in_scope(subject.namespace):
        return f"Deployments in {subject.namespace} were not read (--namespace {live.scope_text})"
    return None


def _judge_subjects(
    live: LiveInput, check_id: str, subjects: tuple[Subject, ...], what: str
) -> list[Subject]:
    """`subjects` to report; a ServiceAccount that may be an unread controller is left
    undecided rather than reported (a finding on a controller is on the wrong object)."""
    out: list[Subject] = []
    for subject in subjects:
        why = _unproven(live, subject)
        if why is None:
            out.append(subject)
        else:
            live.undecided(check_id, f"whether {subject} ({what}) is a controller: {why}")
    return out


@live_check("CAPSA-LIVE-001")
def secret_readers(live: LiveInput) -> list[Finding]:
    """Subjects beyond the controllers that can read Secrets next to Clusters."""
    index = live.index
    targets = index.cluster_namespaces()
    if not targets:
        return []
    findings: list[Finding] = []
    for item in exposures(grants(index), READ_SECRETS, targets, _controllers(index)):
        for subject in _judge_subjects(live, "CAPSA-LIVE-001", item.subjects, "reads Secrets"):
            message = (
                f"{item.describe(subject)}; those namespaces hold workload clusters' CA keys, "
                "admin kubeconfigs and bootstrap data."
            )
            findings.append(finding("CAPSA-LIVE-001", item.grant.binding, message, str(subject)))
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
    # quotas were listed only in the scope: elsewhere whether one counts is not known
    unread = [ns for ns in all_namespaces if not live.in_scope(ns)]
    all_namespaces = [ns for ns in all_namespaces if live.in_scope(ns)]
    controllers = _controllers(index)
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
        if grant.namespace is None and unread:
            live.undecided(
                "CAPSA-LIVE-002",
                f"{grant.binding.kind} {grant.binding.name} lets its subjects create Cluster API "
                f"objects in {len(unread)} namespace(s) whose ResourceQuotas were not read "
                f"(--namespace {live.scope_text})",
            )
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
        subjects = tuple(s for s in grant.subjects if not is_exempt(s, grant.binding, controllers))
        for subject in _judge_subjects(live, "CAPSA-LIVE-002", subjects, "creates Clusters"):
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
