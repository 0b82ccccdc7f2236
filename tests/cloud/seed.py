"""Seed moto accounts the cloud tests read: one as CAPA leaves it by default, one hardened.

The default account follows clusterawsadm's defaults (capa@2cf09d7
cmd/clusterawsadm/cloudformation/bootstrap/): three roles and instance profiles named
`<role>.cluster-api-provider-aws.sigs.k8s.io`, the controllers policy attached to the
controllers *and* control-plane roles (cluster_api_controller.go:41-52), the nodes policy
(GetSecretValue on every aws.cluster.x-k8s.io/* secret) on the control-plane and nodes
roles (cluster_api_node.go:24-36). Statements are trimmed to the actions the checks look
at. Two clusters (mgmt, workload) share those profiles, IMDS allows v1, a node has hop
limit 2, a workload node boots an AMI from an unknown account, one bootstrap secret
outlived its instance, the API load balancer is a classic ELB, no trail exists.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from motoserver import BAD_AMI, GOOD_AMI, SENTINEL

REGION = "eu-west-1"
SUFFIX = ".cluster-api-provider-aws.sigs.k8s.io"
CLUSTER_TAG = "sigs.k8s.io/cluster-api-provider-aws/cluster/"
ROLE_TAG = "sigs.k8s.io/cluster-api-provider-aws/role"
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

CONTROLLERS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ec2:RunInstances",
                "ec2:TerminateInstances",
                "ec2:CreateSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:DescribeInstances",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:DeleteLoadBalancer",
            ],
            "Resource": ["*"],
        },
        {
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [f"arn:*:iam::*:role/*{SUFFIX}"],
        },
        {
            "Effect": "Allow",
            "Action": [
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:TagResource",
            ],
            "Resource": ["arn:*:secretsmanager:*:*:secret:aws.cluster.x-k8s.io/*"],
        },
    ],
}
NODES_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ec2:DescribeInstances", "ec2:CreateTags", "ecr:GetAuthorizationToken"],
            "Resource": ["*"],
        },
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue"],
            "Resource": ["arn:*:secretsmanager:*:*:secret:aws.cluster.x-k8s.io/*"],
        },
    ],
}
CLOUD_PROVIDER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateVolume", "ec2:AttachVolume", "ec2:DescribeInstances"],
            "Resource": ["*"],
        }
    ],
}


def clients(endpoint: str) -> dict[str, Any]:
    names = ("iam", "ec2", "secretsmanager", "ssm", "elb", "elbv2", "cloudtrail", "s3")
    return {n: boto3.client(n, endpoint_url=endpoint, region_name=REGION) for n in names}


def _role(iam: Any, name: str, policies: list[str]) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    for arn in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)


def _policy(iam: Any, name: str, document: dict[str, Any]) -> str:
    return str(
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    )


def instance_tags(cluster: str, role: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "ResourceType": "instance",
            "Tags": [
                {"Key": f"{CLUSTER_TAG}{cluster}", "Value": "owned"},
                {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"},
                {"Key": ROLE_TAG, "Value": role},
                {"Key": "Name", "Value": name},
            ],
        }
    ]


def secret_tags(cluster: str, role: str, name: str) -> list[dict[str, str]]:
    return [
        {"Key": f"{CLUSTER_TAG}{cluster}", "Value": "owned"},
        {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"},
        {"Key": ROLE_TAG, "Value": role},
        {"Key": "Name", "Value": name},
    ]


def _run(ec2: Any, *, cluster: str, role: str, name: str, profile: str, **extra: Any) -> str:
    answer = ec2.run_instances(
        MinCount=1,
        MaxCount=1,
        IamInstanceProfile={"Name": profile},
        TagSpecifications=instance_tags(cluster, role, name),
        **extra,
    )
    return str(answer["Instances"][0]["InstanceId"])


def seed_default(endpoint: str) -> dict[str, str]:
    """The default-CAPA account; returns the ARNs/ids the tests name."""
    c = clients(endpoint)
    iam, ec2 = c["iam"], c["ec2"]
    controllers = _policy(iam, f"controllers{SUFFIX}", CONTROLLERS_POLICY)
    nodes = _policy(iam, f"nodes{SUFFIX}", NODES_POLICY)
    cloud_cp = _policy(iam, f"control-plane{SUFFIX}", CLOUD_PROVIDER_POLICY)
    _role(iam, f"controllers{SUFFIX}", [controllers])
    _role(iam, f"control-plane{SUFFIX}", [controllers, nodes, cloud_cp])
    _role(iam, f"nodes{SUFFIX}", [nodes])
    iam.create_user(UserName="ci-deployer")
    iam.put_user_policy(
        UserName="ci-deployer",
        PolicyName="deploy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ec2:RunInstances", "iam:PassRole"],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    group = ec2.create_security_group(
        GroupName="workload-apiserver-lb",
        Description="Kubernetes API server",
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": f"{CLUSTER_TAG}workload", "Value": "owned"}],
            }
        ],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 6443, "ToPort": 6443,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )  # fmt: skip
    ids: dict[str, str] = {"sg": group, "controllers_policy": controllers}
    v1 = {"HttpTokens": "optional", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}
    hop2 = {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"}
    for cluster in ("mgmt", "workload"):
        ids[f"{cluster}-cp"] = _run(
            ec2, cluster=cluster, role="control-plane", name=f"{cluster}-control-plane-a",
            profile=f"control-plane{SUFFIX}", ImageId=GOOD_AMI, SecurityGroupIds=[group],
            MetadataOptions=v1,
        )  # fmt: skip
        ids[f"{cluster}-node"] = _run(
            ec2, cluster=cluster, role="node", name=f"{cluster}-md-0-a",
            profile=f"nodes{SUFFIX}", ImageId=BAD_AMI if cluster == "workload" else GOOD_AMI,
            MetadataOptions=hop2,
        )  # fmt: skip
    sm = c["secretsmanager"]
    ids["lingering"] = sm.create_secret(
        Name="aws.cluster.x-k8s.io/0b1c2d3e-aaaa-4bbb-8ccc-000000000001-0",
        SecretBinary=SENTINEL.encode(),
        Tags=secret_tags("workload", "node", "workload-md-0-gone"),
    )["ARN"]
    ids["fresh"] = sm.create_secret(
        Name="aws.cluster.x-k8s.io/0b1c2d3e-aaaa-4bbb-8ccc-000000000002-0",
        SecretBinary=SENTINEL.encode(),
        Tags=secret_tags("mgmt", "node", "mgmt-md-0-a"),
    )["ARN"]
    c["elb"].create_load_balancer(
        LoadBalancerName="workload-apiserver",
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 6443, "InstancePort": 6443}],
        AvailabilityZones=[f"{REGION}a"],
        Scheme="internet-facing",
        Tags=[
            {"Key": f"{CLUSTER_TAG}workload", "Value": "owned"},
            {"Key": ROLE_TAG, "Value": "apiserver"},
        ],
    )
    return ids


HARDENED_CLOUD_PROVIDER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": ["*"]},
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateVolume", "ec2:AttachVolume"],
            "Resource": ["*"],
            "Condition": {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}workload": "owned"}},
        },
    ],
}
HARDENED_NODES_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": ["*"]},
    ],
}


def seed_hardened(endpoint: str) -> dict[str, str]:
    """One workload cluster with its own narrow roles, IMDSv2 only, encrypted root
    volumes, CNCF AMIs, no public control plane, a protected NLB and a logging trail."""
    c = clients(endpoint)
    iam, ec2 = c["iam"], c["ec2"]
    controllers = _policy(iam, f"controllers{SUFFIX}", CONTROLLERS_POLICY)
    nodes = _policy(iam, "workload-nodes", HARDENED_NODES_POLICY)
    cloud_cp = _policy(iam, "workload-control-plane", HARDENED_CLOUD_PROVIDER_POLICY)
    _role(iam, f"controllers{SUFFIX}", [controllers])
    _role(iam, "workload-control-plane", [cloud_cp])
    _role(iam, "workload-nodes", [nodes])
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone=f"{REGION}a")[
        "Subnet"
    ]["SubnetId"]
    group = ec2.create_security_group(
        GroupName="workload-apiserver-lb",
        Description="Kubernetes API server",
        VpcId=vpc,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": f"{CLUSTER_TAG}workload", "Value": "owned"}],
            }
        ],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 6443, "ToPort": 6443,
             "IpRanges": [{"CidrIp": "10.1.0.0/16"}]},
        ],
    )  # fmt: skip
    v2 = {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}
    encrypted = [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 20, "Encrypted": True}}]
    ids: dict[str, str] = {"sg": group}
    for role, profile, name in (
        ("control-plane", "workload-control-plane", "workload-control-plane-a"),
        ("node", "workload-nodes", "workload-md-0-a"),
    ):
        ids[role] = _run(
            ec2, cluster="workload", role=role, name=name, profile=profile, ImageId=GOOD_AMI,
            SubnetId=subnet, SecurityGroupIds=[group], MetadataOptions=v2,
            BlockDeviceMappings=encrypted,
        )  # fmt: skip
    ids["nlb"] = add_protected_nlb(endpoint, subnet)
    ids["trail"] = add_trail(endpoint)
    return ids


def add_protected_nlb(endpoint: str, subnet: str) -> str:
    """An internal NLB for cluster `workload`'s API server with deletion protection on."""
    elbv2 = clients(endpoint)["elbv2"]
    nlb = str(
        elbv2.create_load_balancer(
            Name="workload-apiserver",
            Subnets=[subnet],
            Scheme="internal",
            Type="network",
            Tags=[
                {"Key": f"{CLUSTER_TAG}workload", "Value": "owned"},
                {"Key": ROLE_TAG, "Value": "apiserver"},
            ],
        )["LoadBalancers"][0]["LoadBalancerArn"]
    )
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=nlb, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    return nlb


def add_trail(endpoint: str) -> str:
    """A logging multi-region trail with log file validation."""
    c = clients(endpoint)
    c["s3"].create_bucket(
        Bucket="audit-trail", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    trail = str(
        c["cloudtrail"].create_trail(
            Name="org-trail",
            S3BucketName="audit-trail",
            IsMultiRegionTrail=True,
            EnableLogFileValidation=True,
        )["TrailARN"]
    )
    c["cloudtrail"].start_logging(Name=trail)
    return trail


def add_bootstrap_parameter(endpoint: str, cluster: str, machine: str) -> str:
    """A CAPA SSM bootstrap parameter for `machine` (value: the sentinel)."""
    ssm = clients(endpoint)["ssm"]
    name = "/cluster.x-k8s.io/0b1c2d3e-aaaa-4bbb-8ccc-000000000003/0"
    ssm.put_parameter(
        Name=name,
        Value=SENTINEL,
        Type="SecureString",
        Tags=secret_tags(cluster, "node", machine),
    )
    return f"arn:aws:ssm:{REGION}:123456789012:parameter{name}"


#: Canned Service Quotas answer (moto answers only for the `vpc` service code).
def quota_answer(code: str, value: float) -> dict[str, Any]:
    return {
        "Quota": {
            "ServiceCode": "ec2" if code == "L-1216C47A" else "elasticloadbalancing",
            "QuotaCode": code,
            "QuotaName": "canned by the test",
            "Value": value,
        }
    }


def add_service_load_balancer(endpoint: str, cluster: str) -> str:
    """A classic ELB as the Kubernetes cloud provider makes one for a Service of type
    LoadBalancer: tagged `kubernetes.io/cluster/<cluster>=owned`, no CAPA tag or role."""
    c = clients(endpoint)
    c["elb"].create_load_balancer(
        LoadBalancerName="a1b2c3d4e5f6svc",
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 30443}],
        AvailabilityZones=[f"{REGION}a"],
        Scheme="internet-facing",
        Tags=[
            {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"},
            {"Key": "kubernetes.io/service-name", "Value": "default/web"},
        ],
    )
    return f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/a1b2c3d4e5f6svc"


def add_user(endpoint: str, name: str, statements: list[dict[str, Any]]) -> str:
    """A user with one inline policy of `statements`."""
    iam = clients(endpoint)["iam"]
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return f"arn:aws:iam::123456789012:user/{name}"


def add_custom_control_plane(endpoint: str, cluster: str, policy_arn: str) -> str:
    """A control-plane role of no clusterawsadm name carrying `policy_arn`, known as a
    control-plane role only through the CAPA-tagged instance that runs with it."""
    c = clients(endpoint)
    _role(c["iam"], f"{cluster}-cp-custom", [policy_arn])
    _run(
        c["ec2"], cluster=cluster, role="control-plane", name=f"{cluster}-cp-0",
        profile=f"{cluster}-cp-custom", ImageId=GOOD_AMI,
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
    )  # fmt: skip
    return f"arn:aws:iam::123456789012:role/{cluster}-cp-custom"


def add_node_role(endpoint: str, prefix: str, statements: list[dict[str, Any]]) -> str:
    """A nodes role with clusterawsadm's name under `prefix` (so CAPA's by name alone)
    and one inline policy of `statements`."""
    iam = clients(endpoint)["iam"]
    name = f"{prefix}nodes{SUFFIX}"
    _role(iam, name, [])
    iam.put_role_policy(
        RoleName=name,
        PolicyName="bootstrap",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return f"arn:aws:iam::123456789012:role/{name}"


def add_prefix_list_rule(endpoint: str, group: str, port: int, cidrs: list[str]) -> str:
    """A managed prefix list of `cidrs`, allowed into `group` on `port`."""
    ec2 = clients(endpoint)["ec2"]
    listed = ec2.create_managed_prefix_list(
        PrefixListName=f"sources-{port}",
        MaxEntries=max(len(cidrs), 1),
        AddressFamily="IPv4",
        Entries=[{"Cidr": c} for c in cidrs],
    )["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
             "PrefixListIds": [{"PrefixListId": listed}]},
        ],
    )  # fmt: skip
    return str(listed)
