"""Which IAM roles play which part in a CAPA deployment, from two kinds of evidence:
the instances that use them (CAPA's role tag on instances whose profile holds the
role) and clusterawsadm's names (`<role>.cluster-api-provider-aws.sigs.k8s.io`,
capa@2cf09d7 cmd/clusterawsadm/cloudformation/bootstrap/template.go:72-74,139-166).

Also the probe ARNs the IAM checks ask about: a bootstrap secret of *another* cluster,
the controllers role, an instance to launch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from capsa.cloud.iam import Grant, denials, grants, policies_of
from capsa.sources.aws.facts import (
    CloudFacts,
    LoadBalancer,
    Policy,
    Principal,
    Secret,
    Statement,
    cluster_of,
    role_of,
)

SUFFIX = ".cluster-api-provider-aws.sigs.k8s.io"
#: A UUID no cluster uses: a grant covering it covers every cluster's bootstrap data
#: (CAPA names secrets aws.cluster.x-k8s.io/<uuid>-<n>, parameters
#: /cluster.x-k8s.io/<uuid>/<n>; capa@2cf09d7 pkg/cloud/services/secretsmanager/secret.go:38-44,
#: pkg/cloud/services/ssm/secret.go:40-52).
OTHER_CLUSTER_UUID = "00000000-0000-4000-8000-00000000c0de"

ROLE_KINDS = ("controllers", "control-plane", "nodes")


@dataclass(frozen=True)
class RoleUse:
    """Who uses a role: the clusters and CAPA role tags of the instances running with
    it, and the instances with no CAPA cluster tag that run with it too."""

    clusters: frozenset[str]
    instance_roles: frozenset[str]
    outsiders: frozenset[str] = frozenset()


def role_uses(facts: CloudFacts) -> dict[str, RoleUse]:
    """Role ARN -> the clusters and instance roles of running instances using it."""
    profiles = {p.arn: p.roles for p in facts.instance_profiles}
    clusters: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, set[str]] = defaultdict(set)
    outsiders: dict[str, set[str]] = defaultdict(set)
    for instance in facts.instances:
        if instance.state not in ("running", "pending", "stopping", "stopped"):
            continue
        cluster = cluster_of(instance.tags)
        for role in profiles.get(instance.instance_profile or "", ()):
            if cluster:
                clusters[role].add(cluster)
            else:
                outsiders[role].add(instance.id)
            tag = role_of(instance.tags)
            if tag:
                kinds[role].add(tag)
    return {
        arn: RoleUse(frozenset(clusters[arn]), frozenset(kinds[arn]), frozenset(outsiders[arn]))
        for arn in set(clusters) | set(kinds) | set(outsiders)
    }


def named_kind(role: Principal) -> str | None:
    """controllers / control-plane / nodes when the role has clusterawsadm's name (any
    name prefix: `<prefix><kind><suffix>`)."""
    if not role.name.endswith(SUFFIX):
        return None
    stem = role.name[: -len(SUFFIX)]
    for kind in ROLE_KINDS:
        if stem.endswith(kind):
            return kind
    return None


def role_kinds(role: Principal, uses: dict[str, RoleUse]) -> set[str]:
    """The parts a role plays: by its name and by the instances that use it."""
    kinds = {named_kind(role)} - {None}
    use = uses.get(role.arn)
    if use is not None:
        kinds |= {
            "control-plane" if r == "control-plane" else "nodes"
            for r in use.instance_roles
            if r in ("control-plane", "node")
        }
    return {k for k in kinds if k is not None}


def capa_roles(facts: CloudFacts) -> list[tuple[Principal, set[str]]]:
    """Every role that plays a CAPA part, with those parts."""
    uses = role_uses(facts)
    out = []
    for role in facts.roles:
        kinds = role_kinds(role, uses)
        if kinds:
            out.append((role, kinds))
    return out


def partition(facts: CloudFacts) -> str:
    for role in facts.roles:
        return role.arn.split(":")[1] or "aws"
    return "aws"


def account(facts: CloudFacts) -> str:
    return facts.account or "123456789012"


def _named_regions(policies: Iterable[Policy], service: str) -> set[str]:
    """Regions the policies' resource ARNs of `service` name: a literal region as
    written, a region pattern as a region it matches (`eu-*` as `eu-x`), so a grant
    scoped to a region no read covered is still tried."""
    found: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            for resource in (*statement.resources, *statement.not_resources):
                parts = resource.split(":")
                if len(parts) > 4 and parts[2] in (service, "*") and parts[3] not in ("", "*"):
                    found.add(parts[3].replace("*", "x").replace("?", "x"))
    return found


def probe_regions(
    facts: CloudFacts, policies: Iterable[Policy] = (), service: str = ""
) -> list[str]:
    """Every region a probe ARN is tried in: each region read, each region a fact was
    found in, each region the principal's policies name for `service`; us-east-1 when
    none is known (an offline file). A grant in any of them counts: one region's answer
    must not depend on the order of --aws-region."""
    known = {*facts.regions, *(s.region for s in facts.secrets)}
    known |= {i.region for i in facts.instances}
    known |= _named_regions(policies, service) if service else set()
    return sorted(known) or ["us-east-1"]


#: What returns a bootstrap value, per resource the action is authorised on: CAPA's
#: nodes read Secrets Manager secrets (GetSecretValue; BatchGetSecretValue needs it per
#: secret) or SSM parameters, whose values GetParameter, GetParameters and
#: GetParameterHistory return for the parameter's ARN and GetParametersByPath for the
#: path's (capa@2cf09d7 pkg/cloud/services/ssm/secret.go:40-52; AWS Service
#: Authorization Reference, AWS Systems Manager).
SECRET_READS = ("secretsmanager:GetSecretValue",)
PARAMETER_READS = ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory")
PATH_READS = ("ssm:GetParametersByPath",)


def other_cluster_secret(facts: CloudFacts, region: str) -> str:
    return (
        f"arn:{partition(facts)}:secretsmanager:{region}:{account(facts)}:secret:"
        f"aws.cluster.x-k8s.io/{OTHER_CLUSTER_UUID}-0-AbCdEf"
    )


def other_cluster_parameters(facts: CloudFacts, region: str) -> tuple[str, tuple[str, ...]]:
    """(a parameter's ARN, the ARNs of the paths above it) of another cluster."""
    base = f"arn:{partition(facts)}:ssm:{region}:{account(facts)}:parameter/cluster.x-k8s.io"
    return f"{base}/{OTHER_CLUSTER_UUID}/0", (f"{base}/{OTHER_CLUSTER_UUID}", base)


def bootstrap_reads(facts: CloudFacts, policies: Sequence[Policy]) -> list[Grant]:
    """Grants in `policies` that read another cluster's bootstrap secret or parameter,
    by any action that returns the value, in any region tried."""
    found: list[Grant] = []
    for region in probe_regions(facts, policies, "secretsmanager"):
        secret = other_cluster_secret(facts, region)
        found += [g for a in SECRET_READS for g in grants(policies, a, secret)]
    for region in probe_regions(facts, policies, "ssm"):
        parameter, paths = other_cluster_parameters(facts, region)
        found += [g for a in PARAMETER_READS for g in grants(policies, a, parameter)]
        found += [g for a in PATH_READS for path in paths for g in grants(policies, a, path)]
    return list(dict.fromkeys(found))


def _applies_to(statement: Statement, role: Principal) -> bool:
    """Whether a resource policy's statement applies to `role` (its ARN, a session of
    it, or everyone). For an Allow the account alone does not: it defers to the role's
    own policies. A Deny naming the account denies every principal in it."""
    session = f"{role.arn.split(':role/')[0].replace(':iam:', ':sts:')}:assumed-role/{role.name}/"
    names = {role.arn}
    if statement.effect == "Deny":
        account = role.arn.split(":")[4]
        names |= {account, f"{role.arn.split(':')[0]}:{role.arn.split(':')[1]}:iam::{account}:root"}

    def named(principals: tuple[str, ...]) -> bool:
        return any(p in names or p.startswith(session) for p in principals)

    if statement.not_principals:
        return not named(statement.not_principals)
    return "*" in statement.principals or named(statement.principals)


@dataclass(frozen=True)
class SharedRead:
    """A bootstrap secret whose resource policy lets a role read it: the Allow, and the
    Deny statements under a Condition (in the secret's policy or the role's own) that
    may cancel it; an unconditional Deny leaves the secret out altogether."""

    secret: Secret
    grant: Grant
    denied_under_condition: tuple[Grant, ...] = ()

    @property
    def conditional(self) -> bool:
        return self.grant.conditional or bool(self.denied_under_condition)


def resource_policy_reads(
    facts: CloudFacts, role: Principal, own: frozenset[str]
) -> list[SharedRead]:
    """Every bootstrap secret of a cluster other than `own` whose resource policy allows
    `role` GetSecretValue (within the same account a resource policy naming the role
    grants it on its own), unless a Deny without a Condition applies: in the secret's
    policy or in the role's own policies, an explicit Deny in any applicable policy wins.
    Service control policies and permission boundaries are not read."""
    found: list[SharedRead] = []
    identity = policies_of(role, facts)
    for secret in facts.secrets:
        if secret.store != "secretsmanager" or secret.deletion_scheduled:
            continue
        if not secret.resource_policy or cluster_of(secret.tags) in own - {None}:
            continue
        statements = tuple(s for s in secret.resource_policy if _applies_to(s, role))
        allows = Policy(arn=f"{secret.arn}#resource-policy", name="resource policy",
                        statements=tuple(s for s in statements if s.effect == "Allow"))  # fmt: skip
        denies = Policy(arn=allows.arn, name=allows.name,
                        statements=tuple(s for s in statements if s.effect == "Deny"))  # fmt: skip
        for action in SECRET_READS:
            granted = grants([allows], action, secret.arn)
            if not granted:
                continue
            denied = denials([denies, *identity], action, secret.arn)
            if any(not d.conditional for d in denied):
                continue
            found += [SharedRead(secret, g, tuple(denied)) for g in granted]
    return found


def controllers_role_arns(facts: CloudFacts) -> list[str]:
    """The controllers role(s) by name, or clusterawsadm's default name in this account."""
    found = [r.arn for r in facts.roles if named_kind(r) == "controllers"]
    return found or [f"arn:{partition(facts)}:iam::{account(facts)}:role/controllers{SUFFIX}"]


def launches(facts: CloudFacts, policies: Sequence[Policy]) -> list[Grant]:
    """Grants of ec2:RunInstances on an instance in any region tried."""
    return list(
        dict.fromkeys(
            g
            for region in probe_regions(facts, policies, "ec2")
            for g in grants(
                policies,
                "ec2:RunInstances",
                f"arn:{partition(facts)}:ec2:{region}:{account(facts)}:instance/*",
            )
        )
    )


def load_balancer_deleters(facts: CloudFacts, lb: LoadBalancer) -> list[Principal]:
    """Roles and users besides the controllers role holding an unconditional
    elasticloadbalancing:DeleteLoadBalancer on `lb`."""
    controllers = set(controllers_role_arns(facts))
    return [
        principal
        for principal in (*facts.roles, *facts.users)
        if principal.arn not in controllers
        and any(
            not g.conditional
            for g in grants(
                policies_of(principal, facts), "elasticloadbalancing:DeleteLoadBalancer", lb.arn
            )
        )
    ]
