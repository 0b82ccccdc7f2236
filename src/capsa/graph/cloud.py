"""Cloud evidence in the attack graph: which clusters and machine groups a cloud
resource's check results speak for.

CAPA tags what it creates with the cluster's name and the machine's role
(capa@2cf09d7 api/v1beta2/tags.go:176-214), so an instance's IMDS result counts for its
cluster's control plane or workers, a security group's or load balancer's for its
cluster, and a role's for every group whose instances run with it. Without manifests
(`--aws` alone) the clusters themselves come from those tags. Results on resources no
cluster claims stay in the management scope, which account-wide edges read; results on
the account itself (no trail, no bootstrap data left) count for every cluster in it.

Cloud principals: the IAM roles and users the findings of a principal technique's
`namedBy` checks name (on the principal itself, or on a load balancer it may delete)
become entry points of the graph; suppressed findings name none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from capsa.checks.findings import Finding
from capsa.cloud.capa import load_balancer_deleters
from capsa.graph.build import CloudPrincipal
from capsa.graph.deployment import (
    CONTROL_PLANE_POOL,
    MANAGEMENT_SCOPE,
    ClusterSpec,
    Deployment,
    PoolSpec,
    ResourceKey,
    cluster_scope,
    pool_scope,
    resource_key,
)
from capsa.graph.techniques import MANAGEMENT_ACCOUNT, TechniqueCatalogue
from capsa.kube import dig
from capsa.sources.aws.facts import CloudFacts, Principal, account_of_arn, cluster_of, role_of

if TYPE_CHECKING:
    from capsa.capi.clusters import ClusterView
    from capsa.sources.resource import Resource

CLOUD_NAMESPACE = "aws"  # namespace of clusters known only from the account's tags
_WORKERS = "workers"


def _clusters_from_tags(sources: Sequence[CloudFacts]) -> tuple[ClusterSpec, ...]:
    names = sorted(
        {c for facts in sources for i in facts.instances if (c := cluster_of(i.tags)) is not None}
    )
    pools = (PoolSpec(CONTROL_PLANE_POOL, "control-plane"), PoolSpec(_WORKERS, "worker"))
    return tuple(
        ClusterSpec(f"{CLOUD_NAMESPACE}/{n}", CLOUD_NAMESPACE, MANAGEMENT_ACCOUNT, pools)
        for n in names
    )


def _group_scopes(cluster: ClusterSpec, role: str | None) -> list[str]:
    """The cluster's scope and its groups' (those of `role`; all for None; none for "")."""
    scopes = [cluster_scope(cluster.key)]
    if role == "":
        return scopes
    for pool in cluster.pools:
        if role is None or (pool.role == "control-plane") == (role == "control-plane"):
            scopes.append(pool_scope(cluster.key, pool.name))
    return scopes


#: Where machine kinds name their instance profile (v1beta2, capa@2cf09d7
#: api/v1beta2/awsmachine_types.go:130-132; AWSMachinePool's launch template,
#: exp/api/v1beta2/types.go:68-70).
_PROFILE_FIELDS = (
    ("spec", "template", "spec", "iamInstanceProfile"),
    ("spec", "iamInstanceProfile"),
    ("spec", "awsLaunchTemplate", "iamInstanceProfile"),
)


def _profiles_named(views: Sequence[ClusterView]) -> list[tuple[Resource, str]]:
    """(machine resource, instance profile name) for every machine template, machine or
    pool of a cluster that names its instance profile."""
    found: list[tuple[Resource, str]] = []
    for view in views:
        for member in view.members:
            for fields in _PROFILE_FIELDS:
                name = dig(member.resource.body, *fields)
                if isinstance(name, str) and name:
                    found.append((member.resource, name))
                    break
    return found


def with_cloud(
    deployment: Deployment, sources: Sequence[CloudFacts], views: Sequence[ClusterView] = ()
) -> Deployment:
    """`deployment` with the evidence scopes of every tagged cloud resource (and, when
    the manifests gave no cluster, the clusters the account's tags name). A role whose
    instance profile the manifests' machines name counts for those machines' groups too,
    so offline facts (clusterawsadm files) decide the groups that run with them."""
    if not sources:
        return deployment
    clusters = deployment.clusters or _clusters_from_tags(sources)
    by_name: dict[str, list[ClusterSpec]] = {}
    for cluster in clusters:
        by_name.setdefault(cluster.key.rsplit("/", 1)[-1], []).append(cluster)
    scopes: dict[ResourceKey, list[str]] = {k: list(v) for k, v in deployment.scopes_of.items()}
    # the machine groups naming each instance profile, worked out once for every source
    # (per source, it walked every cluster member again: the corpus x20 has 20)
    named = [
        (profile, deployment.scopes_for(m.kind, m.namespace, m.name, m.origin.path))
        for m, profile in _profiles_named(views)
    ]

    def add(kind: str, arn: str, cluster: str | None, role: str | None) -> list[str]:
        found = [s for spec in by_name.get(cluster or "", ()) for s in _group_scopes(spec, role)]
        if found:
            known = scopes.setdefault(resource_key(kind, None, arn), [])
            known.extend(s for s in found if s not in known)
        return found

    for facts in sources:
        account = f"arn:aws:iam::{facts.account or 'unknown'}:root"
        for name in sorted({c for i in facts.instances if (c := cluster_of(i.tags))}):
            if add("AWSAccount", account, name, ""):
                known = scopes[resource_key("AWSAccount", None, account)]
                if MANAGEMENT_SCOPE not in known:
                    known.append(MANAGEMENT_SCOPE)
        profiles = {p.arn: p.roles for p in facts.instance_profiles}
        for instance in facts.instances:
            owner, role = cluster_of(instance.tags), role_of(instance.tags)
            found = add("EC2Instance", instance.arn, owner, role)
            for role_arn in profiles.get(instance.instance_profile or "", ()):
                for scope in found:
                    known = scopes.setdefault(resource_key("IAMRole", None, role_arn), [])
                    if scope not in known:
                        known.append(scope)
        for group in facts.security_groups:
            add("SecurityGroup", group.arn, cluster_of(group.tags), None)
        for lb in facts.load_balancers:
            add("LoadBalancer", lb.arn, cluster_of(lb.tags), None)
        for secret in facts.secrets:
            kind = "SecretsManagerSecret" if secret.store == "secretsmanager" else "SSMParameter"
            add(kind, secret.arn, cluster_of(secret.tags), None)
        by_profile = {k: p.roles for p in facts.instance_profiles for k in (p.name, p.arn)}
        for profile, groups in named:
            for role_arn in by_profile.get(profile, ()):
                known = scopes.setdefault(resource_key("IAMRole", None, role_arn), [])
                known.extend(g for g in groups if g != MANAGEMENT_SCOPE and g not in known)
    # every other field kept: dropping `scopes_at` sent a manifest's results to every
    # cluster sharing the resource's identity, not to the one its file belongs to
    return dataclasses.replace(
        deployment, clusters=clusters, scopes_of={k: tuple(v) for k, v in scopes.items()}
    )


_PRINCIPAL_KINDS = {"IAMRole": "role", "IAMUser": "user"}


def _graph_account(deployment: Deployment, account: str | None) -> str:
    """The graph account an AWS account id stands for: the one clusters were placed in
    by their role identity, else the management cluster's own."""
    known = {c.account for c in deployment.clusters}
    return account if account is not None and account in known else MANAGEMENT_ACCOUNT


def cloud_principals(
    findings: Iterable[Finding],
    sources: Sequence[CloudFacts],
    deployment: Deployment,
    catalogue: TechniqueCatalogue,
) -> tuple[CloudPrincipal, ...]:
    """Principals the findings of `namedBy` checks name (suppressed ones too: an accepted
    risk leaves the principal), each with the checks that named it and the clusters
    whose API load balancer it may delete."""
    naming = {c for t in catalogue.techniques for c in t.named_by}
    by_name: dict[str, list[str]] = {}
    for cluster in deployment.clusters:
        by_name.setdefault(cluster.key.rsplit("/", 1)[-1], []).append(cluster.key)
    balancers = {lb.arn: (facts, lb) for facts in sources for lb in facts.load_balancers}
    kinds: dict[str, str] = {}
    checks: dict[str, set[str]] = {}
    clusters: dict[str, list[str]] = {}

    def name(principal_kind: str, arn: str, check: str, keys: Sequence[str] = ()) -> None:
        kinds[arn] = principal_kind
        checks.setdefault(arn, set()).add(check)
        known = clusters.setdefault(arn, [])
        known.extend(k for k in keys if k not in known)

    for finding in findings:
        if finding.check_id not in naming:
            continue
        resource = finding.resource
        if resource.kind in _PRINCIPAL_KINDS:
            name(resource.kind, resource.name, finding.check_id)
        elif resource.kind == "LoadBalancer" and resource.name in balancers:
            facts, lb = balancers[resource.name]
            keys = by_name.get(cluster_of(lb.tags) or "", [])
            for principal in load_balancer_deleters(facts, lb):
                name(_kind(principal), principal.arn, finding.check_id, keys)
    return tuple(
        CloudPrincipal(
            kinds[arn],
            arn,
            _graph_account(deployment, account_of_arn(arn)),
            frozenset(checks[arn]),
            tuple(clusters[arn]),
        )
        for arn in sorted(kinds)
    )


def _kind(principal: Principal) -> str:
    return "IAMRole" if principal.kind == "role" else "IAMUser"
