"""IAM facts from a CloudFormation template read as a manifest (clusterawsadm's
`bootstrap create-stack` output and its upstream fixtures), so IAM checks run from git.

Only the IAM resource types clusterawsadm writes are read: AWS::IAM::Role,
AWS::IAM::ManagedPolicy and AWS::IAM::InstanceProfile, with `{Ref: LogicalId}`
references resolved within the file. The account is unknown offline, so ARNs carry
`${AWS::AccountId}` as the template itself would. Dates: PyYAML reads an unquoted
`Version: 2012-10-17` as a date; nothing here depends on `Version`.
"""

from __future__ import annotations

from typing import Any

from capsa.errors import Problem
from capsa.kube import items_of, mapping_of
from capsa.sources.aws import policydoc
from capsa.sources.aws.facts import CloudFacts, InstanceProfile, Policy, Principal, Where
from capsa.sources.resource import Resource
from capsa.yamlio import LineDict, position_of

API_VERSION = "cloudformation.amazonaws.com/v1"
KIND = "CloudFormationTemplate"
ACCOUNT = "${AWS::AccountId}"
_IAM_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile"})


def is_template(doc: Any) -> bool:
    """A CloudFormation template: the format version key, or Resources typed AWS::…."""
    if not isinstance(doc, dict):
        return False
    if "AWSTemplateFormatVersion" in doc:
        return True
    resources = doc.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::")
        for r in resources.values()
    )


def as_manifest(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The template wrapped as a Kubernetes-style object, so it travels as a Resource."""
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}, "template": doc}


def _resources(resource: Resource) -> dict[str, Any]:
    template = resource.body.get("template")
    return mapping_of(template.get("Resources") if isinstance(template, dict) else None)


def shape_problems(resource: Resource) -> list[Problem]:
    """A problem for each IAM resource field of a type CloudFormation refuses, which the
    facts (`facts_from_template`) leave out, at its line."""
    items = _resources(resource)
    out: list[Problem] = []

    def problem(logical: Any, what: str, *path: str | int) -> None:
        position = position_of(items, (logical, *path))
        line = position[0] if position else resource.origin.line
        out.append(Problem(resource.origin.path, line, None, f"{logical}: {what}"))

    for logical, item in items.items():
        if not isinstance(item, dict) or item.get("Type") not in _IAM_TYPES:
            continue
        props = item.get("Properties")
        if props is None:
            continue
        if not isinstance(props, dict):
            problem(
                logical, "Properties must be a mapping; the resource is read as empty", "Properties"
            )
            continue
        for key in ("Roles", "Policies", "ManagedPolicyArns"):
            if props.get(key) is not None and not isinstance(props[key], list):
                problem(
                    logical,
                    f"Properties.{key} must be a list; that field is ignored",
                    "Properties",
                    key,
                )
        documents = [
            ("PolicyDocument", props.get("PolicyDocument")),
            ("AssumeRolePolicyDocument", props.get("AssumeRolePolicyDocument")),
        ]
        documents += [
            (f"Policies[{at}].PolicyDocument", p.get("PolicyDocument"))
            for at, p in enumerate(items_of(props.get("Policies")))
            if isinstance(p, dict)
        ]
        for name, raw in documents:
            if policydoc.unreadable(raw):
                problem(
                    logical,
                    f"Properties.{name} must be a policy document (a mapping, "
                    "or JSON text capsa can parse); its statements are left out",
                    "Properties",
                )
        trust = props.get("AssumeRolePolicyDocument")
        for at in policydoc.malformed_trust_statements(trust):
            problem(
                logical,
                f"Properties.AssumeRolePolicyDocument.Statement[{at}].Condition must map "
                "operators to mappings of condition keys (IAM refuses this document); that "
                "statement is left out of the trust the cloud checks read",
                "Properties",
                "AssumeRolePolicyDocument",
                "Statement",
                at,
            )
    return out


def _ref(value: Any) -> str | None:
    return str(value["Ref"]) if isinstance(value, dict) and "Ref" in value else None


def _name(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and value else fallback


def facts_from_template(resource: Resource) -> CloudFacts:
    """The roles, managed policies and instance profiles a template creates."""
    items = _resources(resource)
    path = resource.origin.path

    def where(logical: str) -> Where:
        found = items.key_position(logical) if isinstance(items, LineDict) else None
        return Where(path=path, line=found[0] if found else resource.origin.line)

    names: dict[str, str] = {}
    for logical, item in items.items():
        props = mapping_of(item.get("Properties")) if isinstance(item, dict) else {}
        if isinstance(item, dict) and item.get("Type") == "AWS::IAM::Role":
            names[logical] = _name(props.get("RoleName"), str(logical))

    def role_arn(ref: Any) -> str | None:
        logical = _ref(ref)
        return f"arn:aws:iam::{ACCOUNT}:role/{names[logical]}" if logical in names else None

    policies: list[Policy] = []
    attached: dict[str, list[str]] = {}
    profiles: list[InstanceProfile] = []
    for logical, item in items.items():
        if not isinstance(item, dict):
            continue
        props = mapping_of(item.get("Properties"))
        kind = item.get("Type")
        if kind == "AWS::IAM::ManagedPolicy":
            name = _name(props.get("ManagedPolicyName"), str(logical))
            arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
            policies.append(
                Policy(
                    arn=arn,
                    name=name,
                    statements=policydoc.statements(props.get("PolicyDocument")),
                    where=where(str(logical)),
                )
            )
            for ref in items_of(props.get("Roles")):
                role = role_arn(ref)
                if role:
                    attached.setdefault(role, []).append(arn)
        elif kind == "AWS::IAM::InstanceProfile":
            name = _name(props.get("InstanceProfileName"), str(logical))
            members = tuple(r for r in (role_arn(x) for x in items_of(props.get("Roles"))) if r)
            profiles.append(
                InstanceProfile(
                    arn=f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}",
                    name=name,
                    roles=members,
                    where=where(str(logical)),
                )
            )
    roles: list[Principal] = []
    for logical, name in names.items():
        props = mapping_of(items[logical].get("Properties"))
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        services, accounts = policydoc.trusted(props.get("AssumeRolePolicyDocument"))
        inline = tuple(
            Policy(
                arn=f"{arn}#{p.get('PolicyName', '')}",
                name=str(p.get("PolicyName", "")),
                statements=policydoc.statements(p.get("PolicyDocument")),
                inline=True,
            )
            for p in items_of(props.get("Policies"))
            if isinstance(p, dict)
        )
        managed = [str(a) for a in items_of(props.get("ManagedPolicyArns")) if isinstance(a, str)]
        roles.append(
            Principal(
                arn=arn,
                name=name,
                trusted_services=services,
                trusted_accounts=accounts,
                trusted_under_condition=policydoc.trusted_under_condition(
                    props.get("AssumeRolePolicyDocument")
                ),
                trust_condition_keys=policydoc.trust_condition_keys(
                    props.get("AssumeRolePolicyDocument")
                ),
                managed_policies=tuple(dict.fromkeys([*attached.get(arn, []), *managed])),
                inline_policies=inline,
                instance_profiles=tuple(p.arn for p in profiles if arn in p.roles),
                where=where(logical),
            )
        )
    return CloudFacts(
        source=f"CloudFormation template {path}",
        collected=("roles", "policies", "instanceProfiles"),
        roles=tuple(roles),
        policies=tuple(policies),
        instance_profiles=tuple(profiles),
    )
