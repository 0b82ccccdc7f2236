"""A fact that brings a subject into a check's scope and could not be read leaves the
check not assessable, never passing: a control-plane role of any name is known only by
the instances that run with it, so with ec2:DescribeInstances denied AWS-001/002/003
cannot say that no role fails."""

from __future__ import annotations

from cloud_support import read
from motoserver import Fault, MotoServer
from seed import CONTROLLERS_POLICY, SUFFIX, _policy, add_custom_control_plane, clients

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import run_checks

SCOPED = ("CAPSA-AWS-001", "CAPSA-AWS-002", "CAPSA-AWS-003")


def _seed(moto: MotoServer) -> str:
    """clusterawsadm's controllers role, and a custom-named control-plane role with the
    controllers policy that only its instance shows to be a control plane."""
    iam = clients(moto.endpoint)["iam"]
    controllers = _policy(iam, f"controllers{SUFFIX}", CONTROLLERS_POLICY)
    iam.create_role(RoleName=f"controllers{SUFFIX}", AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(RoleName=f"controllers{SUFFIX}", PolicyArn=controllers)
    return add_custom_control_plane(moto.endpoint, "solo", controllers)


def test_instances_unread_make_role_checks_not_assessable(moto: MotoServer) -> None:
    _seed(moto)
    moto.recorder.always("DescribeInstances", Fault(403, "UnauthorizedOperation"))
    facts, _ = read(moto)
    results = run_checks(cloud_checks(), facts)
    unknown = {u.check_id: u.reason for u in results.unknown}
    for check in SCOPED:
        assert unknown[check] == (
            "not assessable: missing permission ec2:DescribeInstances in eu-west-1"
        ), check
    assert not [p for p in results.passes if p.check_id in SCOPED]


def test_instances_read_bring_the_custom_role_into_scope(moto: MotoServer) -> None:
    custom = _seed(moto)
    facts, _ = read(moto)
    results = run_checks(cloud_checks(), facts)
    fired = {f.resource.name for f in results.findings if f.check_id == "CAPSA-AWS-001"}
    assert fired == {custom}
    assert not [u for u in results.unknown if u.check_id in SCOPED]


def test_offline_files_without_instances_still_run_the_role_checks() -> None:
    """A source that does not cover instances at all (clusterawsadm files) is judged on
    what it holds, as before: scopedBy counts gaps, not absence."""
    from capsa.sources.aws.facts import CloudFacts, Principal

    facts = CloudFacts(
        source="file",
        account="111122223333",
        collected=("roles", "policies", "instanceProfiles"),
        roles=(
            Principal(arn=f"arn:aws:iam::111122223333:role/nodes{SUFFIX}", name=f"nodes{SUFFIX}"),
        ),
    )
    results = run_checks(cloud_checks(), facts)
    assert {p.check_id for p in results.passes} >= {"CAPSA-AWS-002", "CAPSA-AWS-003"}
