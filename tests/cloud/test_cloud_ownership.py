"""Which resources are CAPA's: its own cluster tag (and, for the API load balancer, its
`apiserver` role tag), never the Kubernetes cloud provider's `kubernetes.io/cluster/`
tag, which also marks a Service's load balancer and its security group."""

from __future__ import annotations

from cloud_support import REGION, read
from motoserver import MotoServer
from seed import add_service_load_balancer, add_user, clients, seed_default

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import run_checks

API_LB = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/workload-apiserver"
DELETE_ANY_LB = [
    {"Effect": "Allow", "Action": "elasticloadbalancing:DeleteLoadBalancer", "Resource": "*"}
]


def _results(moto: MotoServer):  # type: ignore[no-untyped-def]
    facts, _ = read(moto)
    return run_checks(cloud_checks(), facts)


def test_only_capas_api_load_balancer_is_judged(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    service = add_service_load_balancer(moto.endpoint, "workload")
    add_user(moto.endpoint, "lb-janitor", DELETE_ANY_LB)
    results = _results(moto)
    for check in ("CAPSA-AWS-011", "CAPSA-AWS-030"):
        named = {f.resource.name for f in results.findings if f.check_id == check}
        assert named == {API_LB}, check
        judged = {
            r.resource.name for r in (*results.passes, *results.unknown) if r.check_id == check
        }
        assert service not in judged


def test_a_service_load_balancer_alone_is_nothing_to_judge(moto: MotoServer) -> None:
    add_service_load_balancer(moto.endpoint, "workload")
    add_user(moto.endpoint, "lb-janitor", DELETE_ANY_LB)
    results = _results(moto)
    assert not [f for f in results.findings if f.check_id in ("CAPSA-AWS-011", "CAPSA-AWS-030")]
    na = {r.check_id: r.reason for r in results.not_applicable}
    assert na["CAPSA-AWS-011"].startswith("no CAPA-tagged API load balancer")


def test_a_cloud_provider_security_group_is_not_a_cluster_group(moto: MotoServer) -> None:
    """The cloud provider's group for a Service on port 22 is no CAPA node's SSH."""
    ec2 = clients(moto.endpoint)["ec2"]
    group = ec2.create_security_group(
        GroupName="k8s-elb-a1b2c3d4e5f6svc",
        Description="Security group for Kubernetes ELB",
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": "kubernetes.io/cluster/workload", "Value": "owned"}],
            }
        ],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )  # fmt: skip
    results = _results(moto)
    assert not [f for f in results.findings if f.check_id == "CAPSA-AWS-025"]
    seed_default(moto.endpoint)  # CAPA's own open group still fires
    results = _results(moto)
    fired = {f.resource.name for f in results.findings if f.check_id == "CAPSA-AWS-025"}
    assert fired and not any(group in arn for arn in fired)


def _node(moto: MotoServer, tags: dict[str, str], tokens: str, hops: int) -> str:
    from seed import GOOD_AMI

    answer = clients(moto.endpoint)["ec2"].run_instances(
        MinCount=1,
        MaxCount=1,
        ImageId=GOOD_AMI,
        MetadataOptions={"HttpTokens": tokens, "HttpPutResponseHopLimit": hops},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    )
    return f"arn:aws:ec2:{REGION}:123456789012:instance/{answer['Instances'][0]['InstanceId']}"


EKS_NODE = {
    "kubernetes.io/cluster/default_capi-eks": "owned",
    "eks:cluster-name": "default_capi-eks",
    "eks:nodegroup-name": "default_capi-eks-pool-0",
}
IMDS = ("CAPSA-AWS-020", "CAPSA-AWS-021")


def test_an_eks_node_group_instance_failing_imds_is_undecided(moto: MotoServer) -> None:
    node = _node(moto, EKS_NODE, "optional", 2)
    results = _results(moto)
    assert not [f for f in results.findings if f.check_id in IMDS]
    unknown = {u.check_id: u.reason or "" for u in results.unknown if u.resource.name == node}
    assert set(unknown) >= set(IMDS)
    assert "node group default_capi-eks-pool-0 of EKS cluster default_capi-eks" in unknown[IMDS[0]]


def test_an_eks_node_group_instance_passing_imds_passes(moto: MotoServer) -> None:
    node = _node(moto, EKS_NODE, "required", 1)
    results = _results(moto)
    passes = {p.check_id: p.reason or "" for p in results.passes if p.resource.name == node}
    assert set(passes) >= set(IMDS) and "EKS cluster default_capi-eks" in passes[IMDS[1]]


def test_the_cloud_provider_tag_alone_is_no_cluster_instance(moto: MotoServer) -> None:
    node = _node(moto, {"kubernetes.io/cluster/kops": "owned"}, "optional", 2)
    results = _results(moto)
    judged = {r.resource.name for r in (*results.findings, *results.passes, *results.unknown)}
    assert node not in judged
    assert {r.check_id for r in results.not_applicable} >= set(IMDS)
