"""What capsa knows about an AWS account, as typed values: the one shape both the live
reader (`collect`) and the offline readers (CloudFormation, clusterawsadm) produce and
the cloud checks read.

Facts hold metadata only: no secret value, no user data, no password ever has a field
here. A value capsa could not read is None (unknown), never a default that would pass a
check; what could not be read at all is a `Gap` naming the permission that was missing.
The models are frozen pydantic models with camelCase aliases, so a cloud check's inline
examples are written in the same shape as the facts themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from capsa.frozen import FrozenModel

#: Tag keys CAPA puts on everything it creates (capa@2cf09d7 api/v1beta2/tags.go:163,167);
#: its API load balancer's role value is `apiserver` (:177, set at
#: pkg/cloud/services/elb/loadbalancer.go:444,1251).
CLUSTER_TAG_PREFIX = "sigs.k8s.io/cluster-api-provider-aws/cluster/"
ROLE_TAG = "sigs.k8s.io/cluster-api-provider-aws/role"
API_SERVER_ROLE = "apiserver"

FactKind = Literal[
    "roles",
    "users",
    "policies",
    "instanceProfiles",
    "instances",
    "images",
    "volumes",
    "securityGroups",
    "prefixLists",
    "secrets",
    "secretPolicies",
    "parameters",
    "loadBalancers",
    "trails",
    "quotas",
]
FACT_KINDS: tuple[FactKind, ...] = (
    "roles",
    "users",
    "policies",
    "instanceProfiles",
    "instances",
    "images",
    "volumes",
    "securityGroups",
    "prefixLists",
    "secrets",
    "secretPolicies",
    "parameters",
    "loadBalancers",
    "trails",
    "quotas",
)


class Where(FrozenModel):
    """Where a fact was read: an account and region, or a file and line (offline)."""

    path: str
    line: int | None = None


class Statement(FrozenModel):
    """One IAM policy statement, reduced to what matching needs. `conditional` is true
    when the statement has a Condition (capsa does not evaluate conditions, so a
    conditional grant is reported as such, never as unconditional)."""

    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditional: bool = False
    # A resource policy's statement: the AWS principals it applies to ("*": everyone);
    # `not_principals` when it applies to everyone but those. Empty in identity policies.
    principals: tuple[str, ...] = ()
    not_principals: tuple[str, ...] = ()


class Policy(FrozenModel):
    """A managed policy (or an inline one, then `inline` and the owner's ARN prefix)."""

    arn: str
    name: str
    statements: tuple[Statement, ...] = ()
    inline: bool = False
    where: Where | None = None


class Principal(FrozenModel):
    """An IAM role or user with the policies that apply to it (attached managed policy
    ARNs, inline policies, and for users the policies of their groups)."""

    arn: str
    name: str
    kind: Literal["role", "user"] = "role"
    trusted_services: tuple[str, ...] = ()
    trusted_accounts: tuple[str, ...] = ()  # AWS principals trusted without a Condition
    trusted_under_condition: tuple[str, ...] = ()  # AWS principals trusted under one
    trust_condition_keys: tuple[str, ...] = ()  # the keys those conditions test
    managed_policies: tuple[str, ...] = ()
    inline_policies: tuple[Policy, ...] = ()
    instance_profiles: tuple[str, ...] = ()
    where: Where | None = None


class InstanceProfile(FrozenModel):
    arn: str
    name: str
    roles: tuple[str, ...] = ()  # role ARNs
    where: Where | None = None


class MetadataOptions(FrozenModel):
    """IMDS settings; a key the API did not return stays None (unknown)."""

    http_tokens: str | None = None
    http_endpoint: str | None = None
    hop_limit: int | None = None


class Instance(FrozenModel):
    """An EC2 instance. `image_owner` and `root_volume_encrypted` are joined from
    DescribeImages/DescribeVolumes; None when those could not be read."""

    id: str
    arn: str
    region: str
    state: str
    launch_time: datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    instance_profile: str | None = None  # ARN
    metadata_options: MetadataOptions = MetadataOptions()
    public_ip: str | None = None
    image_id: str | None = None
    image_owner: str | None = None
    root_volume_encrypted: bool | None = None
    security_groups: tuple[str, ...] = ()


class IngressRule(FrozenModel):
    """One inbound permission: protocol ("-1" = all), port range, sources: CIDRs,
    managed prefix lists (ids) and other security groups (ids)."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    cidrs: tuple[str, ...] = ()
    prefix_lists: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


class PrefixList(FrozenModel):
    """A managed prefix list a security group rule names; `cidrs` None when its entries
    could not be read."""

    id: str
    region: str
    cidrs: tuple[str, ...] | None = None


class SecurityGroup(FrozenModel):
    id: str
    arn: str
    region: str
    name: str
    tags: dict[str, str] = Field(default_factory=dict)
    ingress: tuple[IngressRule, ...] = ()


class Secret(FrozenModel):
    """A Secrets Manager secret or SSM parameter, metadata only (never its value).
    `resource_policy` holds a secret's resource policy statements (empty: it has none);
    None when it was not read (an SSM parameter, a read that failed)."""

    arn: str
    name: str
    region: str
    store: Literal["secretsmanager", "ssm"] = "secretsmanager"
    created: datetime | None = None
    tags: dict[str, str] | None = None  # None: tags could not be read
    deletion_scheduled: bool = False
    resource_policy: tuple[Statement, ...] | None = None


class LoadBalancer(FrozenModel):
    """A classic or v2 load balancer. `deletion_protection` is None when unknown; a
    classic ELB has no such attribute, so it is False with `kind: classic`."""

    arn: str
    name: str
    region: str
    kind: Literal["classic", "network", "application", "gateway"]
    scheme: str | None = None
    tags: dict[str, str] | None = None
    deletion_protection: bool | None = None


class Trail(FrozenModel):
    arn: str
    name: str
    home_region: str
    multi_region: bool
    log_file_validation: bool
    logging: bool | None = None  # None: GetTrailStatus could not be read


class Quota(FrozenModel):
    """A Service Quotas value for one region."""

    service: str
    code: str
    name: str
    region: str
    value: float | None = None


class Gap(FrozenModel):
    """Evidence that could not be read: which facts, where, the IAM permission the call
    needs, and why it failed (AccessDenied, throttled, unsupported, service error)."""

    facts: FactKind
    permission: str
    reason: str
    region: str | None = None

    @property
    def text(self) -> str:
        where = f" in {self.region}" if self.region else ""
        if self.reason == "AccessDenied":
            return f"missing permission {self.permission}{where}"
        return f"{self.permission}{where}: {self.reason}"


class CloudFacts(FrozenModel):
    """Everything read from one account (or one offline file). `collected` names the
    kinds of facts this source covers: a kind outside it is "no evidence given" (an
    offline IAM template says nothing about instances), a kind in it with a Gap is
    "not assessable: missing permission X"."""

    source: str
    account: str | None = None
    regions: tuple[str, ...] = ()
    read_at: datetime | None = None
    collected: tuple[FactKind, ...] = ()
    roles: tuple[Principal, ...] = ()
    users: tuple[Principal, ...] = ()
    policies: tuple[Policy, ...] = ()
    instance_profiles: tuple[InstanceProfile, ...] = ()
    instances: tuple[Instance, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    secrets: tuple[Secret, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    trails: tuple[Trail, ...] = ()
    quotas: tuple[Quota, ...] = ()
    gaps: tuple[Gap, ...] = ()

    def gaps_for(self, kinds: tuple[FactKind, ...] | list[FactKind]) -> list[Gap]:
        wanted = set(kinds)
        return [g for g in self.gaps if g.facts in wanted]


def cluster_of(tags: dict[str, str] | None) -> str | None:
    """The Cluster API cluster a resource belongs to, from CAPA's own ownership tag.

    Not from `kubernetes.io/cluster/<name>`: the Kubernetes cloud provider puts that tag
    on what it creates for a cluster (a Service's load balancer and its security group,
    volumes), and kops or EKS node groups on their instances; none of those is CAPA's,
    and a check judging them as CAPA's names the wrong resource. CAPA tags everything it
    creates with its own key (capa@2cf09d7 api/v1beta2/tags.go:163,255-271)."""
    if not tags:
        return None
    for key, value in tags.items():
        if key.startswith(CLUSTER_TAG_PREFIX) and value == "owned":
            return key[len(CLUSTER_TAG_PREFIX) :]
    return None


#: Tags EKS puts on a managed node group's instances (AWS EKS user guide, "Managed node
#: groups"); CAPA tags such a node group only with the cloud provider's
#: `kubernetes.io/cluster/<eks-name>` key (capa@2cf09d7 pkg/cloud/services/eks/nodegroup.go:140-144,202
#: ngTags), so with EKS's own launch template its instances carry no CAPA tag.
EKS_CLUSTER_TAG = "eks:cluster-name"
EKS_NODEGROUP_TAG = "eks:nodegroup-name"


def eks_node_of(tags: dict[str, str] | None) -> tuple[str, str] | None:
    """(EKS cluster, node group) of an EKS managed node group's instance with no CAPA
    tag: it may be CAPA's (an AWSManagedMachinePool of an AWSManagedControlPlane) or
    another tool's; capsa does not read EKS clusters, so which is unknown."""
    if not tags or cluster_of(tags) is not None:
        return None
    cluster, group = tags.get(EKS_CLUSTER_TAG), tags.get(EKS_NODEGROUP_TAG)
    return (cluster, group) if cluster and group else None


def role_of(tags: dict[str, str] | None) -> str | None:
    """CAPA's role tag: control-plane, node, apiserver, bastion, ..."""
    return (tags or {}).get(ROLE_TAG)


def account_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] or None if len(parts) > 5 else None
