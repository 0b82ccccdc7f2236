"""The one place that decides which AWS operations capsa may send: an explicit allowlist.

Why a list and not a rule such as "Describe/List/Get only": several read-looking
operations return secret material (secretsmanager:BatchGetSecretValue is a *List* action,
ec2:DescribeInstanceAttribute and DescribeLaunchTemplateVersions return user data that
holds bootstrap tokens, ssm:GetParameter decrypts). Each entry maps the botocore
(service, operation) to the IAM action it needs, so the minimal read-only policy capsa
ships (`capsa aws policy`, `data/capsa-readonly-policy.json`) is derived from this list
and a test keeps the two equal.

The guard is registered on every client capsa creates (`capsa.sources.aws.client`), at
`provide-client-params` (before the request is even built) with a `before-send` backstop
that refuses any request the first check did not mark. It is not registered on the boto3
Session: botocore's credential chain builds its own STS client from that session to
assume a profile's role, and a session-wide guard would refuse that call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: (botocore service name, operation) -> IAM action. Nothing else is ever sent.
ALLOWED: Mapping[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("iam", "GetAccountAuthorizationDetails"): "iam:GetAccountAuthorizationDetails",
    ("ec2", "DescribeInstances"): "ec2:DescribeInstances",
    ("ec2", "DescribeImages"): "ec2:DescribeImages",
    ("ec2", "DescribeVolumes"): "ec2:DescribeVolumes",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("ec2", "GetManagedPrefixListEntries"): "ec2:GetManagedPrefixListEntries",
    ("secretsmanager", "ListSecrets"): "secretsmanager:ListSecrets",
    ("secretsmanager", "GetResourcePolicy"): "secretsmanager:GetResourcePolicy",
    ("ssm", "DescribeParameters"): "ssm:DescribeParameters",
    ("ssm", "ListTagsForResource"): "ssm:ListTagsForResource",
    ("elb", "DescribeLoadBalancers"): "elasticloadbalancing:DescribeLoadBalancers",
    ("elb", "DescribeTags"): "elasticloadbalancing:DescribeTags",
    ("elbv2", "DescribeLoadBalancers"): "elasticloadbalancing:DescribeLoadBalancers",
    ("elbv2", "DescribeTags"): "elasticloadbalancing:DescribeTags",
    ("elbv2", "DescribeLoadBalancerAttributes"): (
        "elasticloadbalancing:DescribeLoadBalancerAttributes"
    ),
    ("cloudtrail", "DescribeTrails"): "cloudtrail:DescribeTrails",
    ("cloudtrail", "GetTrailStatus"): "cloudtrail:GetTrailStatus",
    ("service-quotas", "GetServiceQuota"): "servicequotas:GetServiceQuota",
}

#: Parameters that would turn an allowed read into a read of secret material.
FORBIDDEN_PARAMETERS = frozenset({"WithDecryption"})

#: Operations that return secret material; none may ever be allowed (a test checks).
SECRET_READERS = frozenset(
    {
        ("secretsmanager", "GetSecretValue"),
        ("secretsmanager", "BatchGetSecretValue"),
        ("secretsmanager", "GetRandomPassword"),
        ("ssm", "GetParameter"),
        ("ssm", "GetParameters"),
        ("ssm", "GetParametersByPath"),
        ("ssm", "GetParameterHistory"),
        ("ec2", "GetPasswordData"),
        ("ec2", "GetConsoleOutput"),
        ("ec2", "GetConsoleScreenshot"),
        ("ec2", "GetLaunchTemplateData"),
        ("ec2", "DescribeLaunchTemplateVersions"),
        ("ec2", "DescribeInstanceAttribute"),
        ("autoscaling", "DescribeLaunchConfigurations"),
        ("kms", "Decrypt"),
        ("sts", "AssumeRole"),
        ("sts", "GetSessionToken"),
        ("ecr", "GetAuthorizationToken"),
        ("s3", "GetObject"),
    }
)

_MARK = "capsa_read_only_checked"


class ForbiddenOperation(RuntimeError):
    """Raised before a request capsa must never send leaves the process."""


def check_operation(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise ForbiddenOperation unless (service, operation) is allowlisted and no
    forbidden parameter is set."""
    if (service, operation) not in ALLOWED:
        raise ForbiddenOperation(
            f"{service}:{operation} is not in capsa's read-only allowlist; refused before sending"
        )
    bad = sorted(k for k in FORBIDDEN_PARAMETERS if params.get(k))
    if bad:
        raise ForbiddenOperation(f"{service}:{operation} with {', '.join(bad)} is refused")


def _on_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    check_operation(model.service_model.service_name, model.name, params)
    context[_MARK] = True


def _before_send(request: Any, **_: Any) -> None:
    if request.context.get(_MARK) is not True:
        raise ForbiddenOperation(
            "a request that did not pass capsa's allowlist was about to be sent"
        )


def install(client: Any) -> Any:
    """Guard one boto3 client (its own event system, not the Session's); returns it."""
    events = client.meta.events
    events.register_first("provide-client-params.*.*", _on_params)
    events.register_last("before-send.*.*", _before_send)
    return client


def required_actions() -> list[str]:
    """The IAM actions capsa's calls need, sorted, without repeats."""
    return sorted(set(ALLOWED.values()))


def policy_document() -> dict[str, Any]:
    """The minimal read-only IAM policy for `--aws`, derived from the allowlist."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CapsaReadOnly",
                "Effect": "Allow",
                "Action": required_actions(),
                "Resource": "*",
            }
        ],
    }


def policy_text() -> str:
    """`policy_document()` as the JSON text shipped in the package and printed by
    `capsa aws policy`."""
    return json.dumps(policy_document(), indent=2) + "\n"
