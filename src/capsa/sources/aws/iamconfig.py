"""IAM facts from a clusterawsadm `AWSIAMConfiguration` read as a manifest: the roles,
instance profiles and managed policies `clusterawsadm bootstrap iam create-cloudformation-stack`
would create from it, with its defaults applied.

The policy statements are the ones the cloud checks judge, carried over from clusterawsadm
(capa@2cf09d7 cmd/clusterawsadm/cloudformation/bootstrap/), not the whole documents: the
controllers policy's EC2/ELB writes on "*" (cluster_api_controller.go:78-160, a subset of
its ~110 actions), its iam:PassRole on `role/<allowedEC2InstanceProfiles>`
(:255-261,530-543) and its per-backend secret writes (:263-290); the nodes policy's
bootstrap-data reads (cluster_api_node.go:24-49). Attachments follow template.go:94-187:
the controllers policy goes to the controllers role and, unless
controlPlane.disableClusterAPIControllerPolicyAttachment, the control-plane role; the
nodes policy to the nodes role and, unless controlPlane.disableCloudProviderPolicy, the
control-plane role. Fields clusterawsadm would ignore are not guessed at.
"""

from __future__ import annotations

from typing import Any

from capsa.errors import Problem
from capsa.kube import items_of, mapping_of
from capsa.sources.aws.facts import CloudFacts, InstanceProfile, Policy, Principal, Statement, Where
from capsa.sources.resource import Resource
from capsa.yamlio import LineDict, position_of

GROUP = "bootstrap.aws.infrastructure.cluster.x-k8s.io"
KIND = "AWSIAMConfiguration"
DEFAULT_SUFFIX = ".cluster-api-provider-aws.sigs.k8s.io"
ACCOUNT = "${AWS::AccountId}"
_EC2_TRUST = ("ec2.amazonaws.com",)

_CONTROLLER_WRITES = (
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateTags",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
)
_SECRET_ARN = "arn:*:secretsmanager:*:*:secret:aws.cluster.x-k8s.io/*"  # noqa: S105 - an ARN pattern
_PARAMETER_ARN = "arn:*:ssm:*:*:parameter/cluster.x-k8s.io/*"


_ROLE_FIELDS = frozenset(
    {"disable", "extraPolicyAttachments", "extraStatements", "path", "permissionsBoundary",
     "trustStatements", "tags"}
)  # fmt: skip
#: Fields clusterawsadm knows (capa@2cf09d7 cmd/clusterawsadm/api/bootstrap/v1beta1/types.go:
#: AWSIAMConfigurationSpec, ControlPlane, ClusterAPIControllers, Nodes, AWSIAMRoleSpec).
#: It decodes the file leniently (cmd/clusterawsadm/configreader/configreader.go:136), so
#: a misspelt field is dropped without a word; capsa says so.
KNOWN_FIELDS: dict[str, frozenset[str]] = {
    "spec": frozenset(
        {"namePrefix", "nameSuffix", "controlPlane", "clusterAPIControllers", "nodes",
         "bootstrapUser", "stackName", "stackTags", "region", "eks", "eventBridge",
         "partition", "secureSecretBackends", "s3Buckets", "allowAssumeRole"}
    ),
    "controlPlane": _ROLE_FIELDS
    | {"disableClusterAPIControllerPolicyAttachment", "disableCloudProviderPolicy", "enableCSIPolicy"},
    "clusterAPIControllers": _ROLE_FIELDS | {"allowedEC2InstanceProfiles"},
    "nodes": _ROLE_FIELDS | {"disableCloudProviderPolicy", "ec2ContainerRegistryReadOnly"},
}  # fmt: skip


def unknown_fields(resource: Resource) -> list[Problem]:
    """A problem for each field clusterawsadm would silently ignore, at its line."""
    spec = resource.body.get("spec")
    if not isinstance(spec, dict):
        return []
    out: list[Problem] = []
    sections: list[tuple[str, dict[str, Any], str]] = [("spec", spec, "spec")]
    sections += [
        (k, v, f"spec.{k}") for k, v in spec.items() if k in KNOWN_FIELDS and isinstance(v, dict)
    ]
    for name, section, where in sections:
        known = KNOWN_FIELDS[name]
        for key in section:
            if not isinstance(key, str) or key in known:
                continue
            import difflib  # only for a misspelt field: ~2 ms at every scan otherwise

            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            position = section.key_position(key) if isinstance(section, LineDict) else None
            line = position[0] if position else resource.origin.line
            out.append(
                Problem(
                    resource.origin.path,
                    line,
                    None,
                    f"{where}.{key} is not an AWSIAMConfiguration field: clusterawsadm ignores "
                    f"it without a word{hint}",
                )
            )
    return out


_LISTS = {
    "spec": ("secureSecretBackends",),
    "controlPlane": ("extraStatements", "extraPolicyAttachments"),
    "clusterAPIControllers": ("extraStatements", "extraPolicyAttachments",
                              "allowedEC2InstanceProfiles"),
    "nodes": ("extraStatements", "extraPolicyAttachments"),
}  # fmt: skip


def shape_problems(resource: Resource) -> list[Problem]:
    """A problem for each field the facts read whose type clusterawsadm refuses: the
    facts leave it out (`facts_from_config`)."""
    spec = resource.body.get("spec")
    if not isinstance(spec, dict):
        return []
    out: list[Problem] = []

    def problem(path: tuple[str, ...], what: str) -> None:
        position = position_of(spec, path)
        line = position[0] if position else resource.origin.line
        out.append(Problem(resource.origin.path, line, None, f"spec.{'.'.join(path)} {what}"))

    for name, keys in _LISTS.items():
        section = spec if name == "spec" else spec.get(name)
        prefix: tuple[str, ...] = () if name == "spec" else (name,)
        if section is None:
            continue
        if not isinstance(section, dict):
            problem(prefix, "must be a mapping; that section is read as empty")
            continue
        for key in keys:
            if section.get(key) is not None and not isinstance(section[key], list):
                problem((*prefix, key), "must be a list; that field is ignored")
    return out


def is_config(resource: Resource) -> bool:
    return resource.kind == KIND and resource.group == GROUP


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _extra_statements(section: dict[str, Any]) -> tuple[Statement, ...]:
    out = []
    for item in items_of(section.get("extraStatements")):
        if not isinstance(item, dict) or item.get("Effect") not in ("Allow", "Deny"):
            continue
        actions, resources = item.get("Action"), item.get("Resource")
        out.append(
            Statement(
                effect=item["Effect"],
                actions=tuple(_strings(actions) or ([actions] if isinstance(actions, str) else [])),
                resources=tuple(
                    _strings(resources) or ([resources] if isinstance(resources, str) else [])
                ),
                conditional=bool(item.get("Condition")),
            )
        )
    return tuple(out)


def facts_from_config(resource: Resource) -> CloudFacts:
    """What clusterawsadm would create from this AWSIAMConfiguration."""
    spec = resource.body.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    prefix = str(spec.get("namePrefix") or "")
    suffix = spec.get("nameSuffix")
    suffix = DEFAULT_SUFFIX if not isinstance(suffix, str) else suffix
    partition = str(spec.get("partition") or "aws")
    stack = str(spec.get("stackName") or "cluster-api-provider-aws-sigs-k8s-io")
    backends = _strings(spec.get("secureSecretBackends")) or ["secrets-manager"]
    control_plane = mapping_of(spec.get("controlPlane"))
    controllers = mapping_of(spec.get("clusterAPIControllers"))
    nodes = mapping_of(spec.get("nodes"))
    where = Where(path=resource.origin.path, line=resource.origin.line)

    def name(role: str) -> str:
        return f"{prefix}{role}{suffix}"

    def policy_arn(role: str) -> str:
        return f"arn:{partition}:iam::{ACCOUNT}:policy/{name(role)}"

    allowed = _strings(controllers.get("allowedEC2InstanceProfiles")) or [f"*{suffix}"]
    controller_statements = [
        Statement(effect="Allow", actions=_CONTROLLER_WRITES, resources=("*",)),
        Statement(
            effect="Allow",
            actions=("iam:PassRole",),
            resources=tuple(f"arn:*:iam::*:role/{p}" for p in allowed),
        ),
    ]
    node_statements = [
        Statement(
            effect="Allow", actions=("ec2:DescribeInstances", "ec2:CreateTags"), resources=("*",)
        )
    ]
    if "secrets-manager" in backends:
        controller_statements.append(
            Statement(
                effect="Allow",
                actions=(
                    "secretsmanager:CreateSecret",
                    "secretsmanager:DeleteSecret",
                    "secretsmanager:TagResource",
                ),
                resources=(_SECRET_ARN,),
            )
        )
        node_statements.append(
            Statement(
                effect="Allow",
                actions=("secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue"),
                resources=(_SECRET_ARN,),
            )
        )
    if "ssm-parameter-store" in backends:
        controller_statements.append(
            Statement(
                effect="Allow",
                actions=("ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource"),
                resources=(_PARAMETER_ARN,),
            )
        )
        node_statements.append(
            Statement(
                effect="Allow",
                actions=("ssm:DeleteParameter", "ssm:GetParameter"),
                resources=(_PARAMETER_ARN,),
            )
        )
    policies = [
        Policy(
            arn=policy_arn("controllers"),
            name=name("controllers"),
            statements=tuple(controller_statements),
            where=where,
        )
    ]
    nodes_policy = not nodes.get("disableCloudProviderPolicy")
    if nodes_policy:
        policies.append(
            Policy(
                arn=policy_arn("nodes"),
                name=name("nodes"),
                statements=tuple(node_statements),
                where=where,
            )
        )
    attachments: dict[str, list[str]] = {
        "controllers": [policy_arn("controllers")],
        "control-plane": [],
        "nodes": [policy_arn("nodes")] if nodes_policy else [],
    }
    if not control_plane.get("disableClusterAPIControllerPolicyAttachment"):
        attachments["control-plane"].append(policy_arn("controllers"))
    if nodes_policy and not control_plane.get("disableCloudProviderPolicy"):
        attachments["control-plane"].append(policy_arn("nodes"))
    sections = {"controllers": controllers, "control-plane": control_plane, "nodes": nodes}
    roles: list[Principal] = []
    profiles: list[InstanceProfile] = []
    for role, section in sections.items():
        if section.get("disable"):
            continue
        arn = f"arn:{partition}:iam::{ACCOUNT}:role/{name(role)}"
        profile = f"arn:{partition}:iam::{ACCOUNT}:instance-profile/{name(role)}"
        extra = _extra_statements(section)
        inline = (
            (Policy(arn=f"{arn}#{stack}", name=stack, statements=extra, inline=True),)
            if extra
            else ()
        )
        roles.append(
            Principal(
                arn=arn,
                name=name(role),
                trusted_services=_EC2_TRUST,
                managed_policies=(
                    *attachments[role],
                    *_strings(section.get("extraPolicyAttachments")),
                ),
                inline_policies=inline,
                instance_profiles=(profile,),
                where=where,
            )
        )
        profiles.append(InstanceProfile(arn=profile, name=name(role), roles=(arn,), where=where))
    return CloudFacts(
        source=f"AWSIAMConfiguration {resource.origin.path}",
        collected=("roles", "policies", "instanceProfiles"),
        roles=tuple(roles),
        policies=tuple(policies),
        instance_profiles=tuple(profiles),
    )
