"""Cloud evidence in the attack graph: which clusters and machine groups a cloud
resource's check results speak for.

CAPA tags what it creates with the cluster's name and the machine's role
(capa@2cf09d7 api/v1beta2/tags.go:176-214), so an instance's IMDS result counts for its
cluster's control plane or workers, a security group's or load balancer's for its
cluster, and a role's for every group whose instances run with it. Without manifests
(`--aws` alone) the clusters themselves come from those tags. Results on resources no
cluster claims stay in the management scope, which account-wide edges read.
"""

from __future__ import annotations

from collections.abc import Sequence

from capsa.graph.deployment import (
    CONTROL_PLANE_POOL,
    ClusterSpec,
    Deployment,
    PoolSpec,
    ResourceKey,
    cluster_scope,
    pool_scope,
    resource_key,
)
from capsa.graph.techniques import MANAGEMENT_ACCOUNT
from capsa.sources.aws.facts import CloudFacts, cluster_of, role_of

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
    scopes = [cluster_scope(cluster.key)]
    for pool in cluster.pools:
        if role is None or (pool.role == "control-plane") == (role == "control-plane"):
            scopes.append(pool_scope(cluster.key, pool.name))
    return scopes


def with_cloud(deployment: Deployment, sources: Sequence[CloudFacts]) -> Deployment:
    """`deployment` with the evidence scopes of every tagged cloud resource (and, when
    the manifests gave no cluster, the clusters the account's tags name)."""
    if not sources:
        return deployment
    clusters = deployment.clusters or _clusters_from_tags(sources)
    by_name: dict[str, list[ClusterSpec]] = {}
    for cluster in clusters:
        by_name.setdefault(cluster.key.rsplit("/", 1)[-1], []).append(cluster)
    scopes: dict[ResourceKey, list[str]] = {k: list(v) for k, v in deployment.scopes_of.items()}

    def add(kind: str, arn: str, cluster: str | None, role: str | None) -> list[str]:
        found = [s for spec in by_name.get(cluster or "", ()) for s in _group_scopes(spec, role)]
        if found:
            known = scopes.setdefault(resource_key(kind, None, arn), [])
            known.extend(s for s in found if s not in known)
        return found

    for facts in sources:
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
    return Deployment(clusters, {k: tuple(v) for k, v in scopes.items()})
