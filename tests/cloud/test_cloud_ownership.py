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
