"""Cloud checks on a seeded moto account: the default-CAPA account fires every check it
should, on the resource it should (named by ARN); the hardened one passes them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from cloud_support import read
from motoserver import Fault, MotoServer
from seed import SUFFIX, quota_answer, seed_default, seed_hardened

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import CloudResults, run_checks

ACCOUNT = "123456789012"


def _by_check(items: list) -> dict[str, set[str]]:  # type: ignore[type-arg]
    out: dict[str, set[str]] = defaultdict(set)
    for item in items:
        out[item.check_id].add(item.resource.name)
    return out


def _run(moto: MotoServer, **kwargs: object) -> CloudResults:
    facts, _ = read(moto, **kwargs)  # type: ignore[arg-type]
    return run_checks(cloud_checks(), facts)


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_default_capa_account(moto: MotoServer) -> None:
    ids = seed_default(moto.endpoint)
    results = _run(moto)
    fired = _by_check(results.findings)
    instance = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/"
    assert fired["CAPSA-AWS-001"] == {role(f"control-plane{SUFFIX}")}
    assert fired["CAPSA-AWS-002"] == {role(f"control-plane{SUFFIX}"), role(f"nodes{SUFFIX}")}
    assert role(f"controllers{SUFFIX}") in fired["CAPSA-AWS-003"]
    assert fired["CAPSA-AWS-004"] == {
        role(f"control-plane{SUFFIX}"),
        f"arn:aws:iam::{ACCOUNT}:user/ci-deployer",
    }
    assert fired["CAPSA-AWS-005"] == {role(f"control-plane{SUFFIX}"), role(f"nodes{SUFFIX}")}
    assert fired["CAPSA-AWS-006"] == {f"arn:aws:iam::{ACCOUNT}:root"}
    assert fired["CAPSA-AWS-010"] == {ids["lingering"]}  # the fresh one's instance is booting
    assert fired["CAPSA-AWS-020"] == {
        instance + ids[k] for k in ("mgmt-cp", "mgmt-node", "workload-cp", "workload-node")
    }
    # every instance: the nodes' hop limit is 2, and IMDSv1 answers the control planes'
    # pods whatever their hop limit of 1
    assert fired["CAPSA-AWS-021"] == fired["CAPSA-AWS-020"]
    assert fired["CAPSA-AWS-022"] == {instance + ids["mgmt-cp"], instance + ids["workload-cp"]}
    assert fired["CAPSA-AWS-023"] == {instance + ids["workload-node"]}
    assert len(fired["CAPSA-AWS-024"]) == 4
    sg = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/{ids['sg']}"
    assert fired["CAPSA-AWS-025"] == {sg} and fired["CAPSA-AWS-026"] == {sg}
    lb = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/workload-apiserver"
    assert fired["CAPSA-AWS-011"] == {lb} and fired["CAPSA-AWS-030"] == {lb}
    assert "CAPSA-AWS-040" in fired and "CAPSA-AWS-041" in fired
    # Service Quotas: moto does not answer for ec2/elb, so not assessable, said why
    quota = [u for u in results.unknown if u.check_id == "CAPSA-AWS-050"]
    assert quota and all("not available from Service Quotas" in (u.reason or "") for u in quota)
    assert "CAPSA-AWS-050" not in fired


def test_lingering_secret_of_a_running_instance_after_the_grace(moto: MotoServer) -> None:
    ids = seed_default(moto.endpoint)
    later = datetime.now(UTC) + timedelta(hours=2)  # relative to moto's launch times
    results = _run(moto, now=later)
    assert _by_check(results.findings)["CAPSA-AWS-010"] == {ids["lingering"], ids["fresh"]}


def test_hardened_account(moto: MotoServer) -> None:
    ids = seed_hardened(moto.endpoint)
    moto.recorder.fail(  # moto answers Service Quotas only for `vpc`: canned answers
        "GetServiceQuota",
        Fault(200, body=quota_answer("L-1216C47A", 256)),
        Fault(200, body=quota_answer("L-E9E9831D", 20)),
    )
    results = _run(moto)
    fired = _by_check(results.findings)
    # only the controllers role keeps Resource "*" writes (CAPA needs them); that it may
    # pass itself gains it nothing, so CAPSA-AWS-004 stays silent
    assert set(fired) == {"CAPSA-AWS-003"}
    assert fired["CAPSA-AWS-003"] == {role(f"controllers{SUFFIX}")}
    passed = _by_check(results.passes)
    for check in ("CAPSA-AWS-001", "CAPSA-AWS-002", "CAPSA-AWS-004", "CAPSA-AWS-005",
                  "CAPSA-AWS-006", "CAPSA-AWS-011",
                  "CAPSA-AWS-020", "CAPSA-AWS-021", "CAPSA-AWS-022", "CAPSA-AWS-023",
                  "CAPSA-AWS-024", "CAPSA-AWS-025", "CAPSA-AWS-026", "CAPSA-AWS-030",
                  "CAPSA-AWS-040", "CAPSA-AWS-041", "CAPSA-AWS-050", "CAPSA-AWS-010"):  # fmt: skip
        assert check in passed, check
    assert ids["nlb"] in passed["CAPSA-AWS-030"]


def test_access_denied_makes_the_checks_not_assessable_never_pass(moto: MotoServer) -> None:
    seed_hardened(moto.endpoint)
    moto.recorder.always("DescribeInstances", Fault(403, "UnauthorizedOperation"))
    moto.recorder.always("DescribeTrails", Fault(400, "AccessDeniedException"))
    results = _run(moto)
    unknown = {u.check_id: u.reason for u in results.unknown}
    assert unknown["CAPSA-AWS-020"] == (
        "not assessable: missing permission ec2:DescribeInstances in eu-west-1"
    )
    assert unknown["CAPSA-AWS-040"] == (
        "not assessable: missing permission cloudtrail:DescribeTrails in eu-west-1"
    )
    passed = {p.check_id for p in results.passes}
    assert not passed & {"CAPSA-AWS-020", "CAPSA-AWS-021", "CAPSA-AWS-040", "CAPSA-AWS-041"}
