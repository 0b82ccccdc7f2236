"""IAM files the offline cloud tests read: a CloudFormation template, as clusterawsadm
writes one, whose control-plane role can launch instances and pass them any CAPA role
(the controllers' powers)."""

from __future__ import annotations

SUFFIX = ".cluster-api-provider-aws.sigs.k8s.io"


def _controller_statements(indent: int) -> str:
    pad = " " * indent
    return (
        f"{pad}- Action: [ec2:RunInstances]\n{pad}  Effect: Allow\n{pad}  Resource: ['*']\n"
        f"{pad}- Action: [iam:PassRole]\n{pad}  Effect: Allow\n"
        f"{pad}  Resource: ['arn:*:iam::*:role/*{SUFFIX}']\n"
    )


def iam_template(
    role_name: str,
    *,
    policy: str = "inline",
    attached: bool = True,
    profile: str | None = None,
) -> str:
    """A template with `ControlPlaneRole` named `role_name` holding the controllers'
    powers in an `inline` policy or a `managed` one (attached to the role unless
    `attached` is false), and an instance profile `profile` of that role when named."""
    text = (
        "AWSTemplateFormatVersion: 2010-09-09\nResources:\n"
        "  ControlPlaneRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
        f"      RoleName: {role_name}\n"
        "      AssumeRolePolicyDocument:\n        Statement:\n"
        "        - Action: [sts:AssumeRole]\n          Effect: Allow\n"
        "          Principal: {Service: [ec2.amazonaws.com]}\n"
    )
    if policy == "inline":
        text += "      Policies:\n      - PolicyName: too-much\n        PolicyDocument:\n"
        text += "          Statement:\n" + _controller_statements(10)
    else:
        text += (
            "  Controllers:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n"
            f"      ManagedPolicyName: controllers{SUFFIX}\n      PolicyDocument:\n"
            "        Version: 2012-10-17\n        Statement:\n" + _controller_statements(8)
        )
        if attached:
            text += "      Roles:\n      - Ref: ControlPlaneRole\n"
    if profile is not None:
        text += (
            "  ControlPlaneProfile:\n    Type: AWS::IAM::InstanceProfile\n    Properties:\n"
            f"      InstanceProfileName: {profile}\n      Roles: [{{Ref: ControlPlaneRole}}]\n"
        )
    return text
