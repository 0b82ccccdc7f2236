"""CAPSA-AWS-025/026 on security groups as moto stores them: the union of a rule's
sources on the port (CIDRs and managed prefix list entries) admitting more public
addresses than a /16 of IPv4 or a /32 of IPv6 fails however it is split, private and
special-purpose space left out; a prefix list not read is undecided, naming it; a
narrower union, and another group as the source, pass."""

from __future__ import annotations

import ipaddress
from typing import Any

from cloud_support import REGION, read
from motoserver import Fault, MotoServer
from seed import CLUSTER_TAG, add_prefix_list_rule, clients

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import CloudResults, run_checks

CHECKS = ("CAPSA-AWS-025", "CAPSA-AWS-026")


def _group(moto: MotoServer, name: str, *permissions: dict[str, Any]) -> str:
    ec2 = clients(moto.endpoint)["ec2"]
    group = str(
        ec2.create_security_group(
            GroupName=name,
            Description=name,
            TagSpecifications=[
                {
                    "ResourceType": "security-group",
                    "Tags": [{"Key": f"{CLUSTER_TAG}workload", "Value": "owned"}],
                }
            ],
        )["GroupId"]
    )
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=list(permissions))
    return group


def _results(moto: MotoServer) -> CloudResults:
    facts, _ = read(moto)
    return run_checks([c for c in cloud_checks() if c.id in CHECKS], facts)


def _arn(group: str) -> str:
    return f"arn:aws:ec2:{REGION}:123456789012:security-group/{group}"


def _on(port: int, **sources: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **sources}


def test_halves_of_the_internet_and_a_prefix_list_of_it_fail(moto: MotoServer) -> None:
    halves = _group(
        moto,
        "bastion",
        _on(22, IpRanges=[{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]),
        _on(6443, Ipv6Ranges=[{"CidrIpv6": "::/1"}, {"CidrIpv6": "8000::/1"}]),
    )
    listed = _group(moto, "apiserver-lb")
    add_prefix_list_rule(moto.endpoint, listed, 6443, ["0.0.0.0/0"])
    results = _results(moto)
    fired = {(f.check_id, f.resource.name) for f in results.findings}
    assert fired == {
        ("CAPSA-AWS-025", _arn(halves)),
        ("CAPSA-AWS-026", _arn(halves)),
        ("CAPSA-AWS-026", _arn(listed)),
    }
    message = next(f.message for f in results.findings if f.resource.name == _arn(listed))
    assert "prefix list pl-" in message


def test_narrower_sources_and_group_references_pass(moto: MotoServer) -> None:
    peer = _group(moto, "lb")
    narrow = _group(
        moto,
        "control-plane",
        _on(22, IpRanges=[{"CidrIp": "52.94.0.0/16"}, {"CidrIp": "192.168.0.0/16"}]),
        _on(6443, UserIdGroupPairs=[{"GroupId": peer}]),
    )
    add_prefix_list_rule(moto.endpoint, narrow, 6443, ["10.0.0.0/8"])
    results = _results(moto)
    assert results.findings == [] and results.unknown == []
    passes = {(p.check_id, p.resource.name): p.reason for p in results.passes}
    assert peer in (passes[("CAPSA-AWS-026", _arn(narrow))] or "")


def test_a_prefix_list_not_read_is_undecided_naming_it(moto: MotoServer) -> None:
    group = _group(moto, "apiserver-lb")
    listed = add_prefix_list_rule(moto.endpoint, group, 6443, ["0.0.0.0/0"])
    moto.recorder.always("GetManagedPrefixListEntries", Fault(403, "UnauthorizedOperation"))
    results = _results(moto)
    assert [f for f in results.findings if f.check_id == "CAPSA-AWS-026"] == []
    [unknown] = [u for u in results.unknown if u.check_id == "CAPSA-AWS-026"]
    assert listed in (unknown.reason or "") and unknown.resource.name == _arn(group)
    assert [p for p in results.passes if p.check_id == "CAPSA-AWS-026"] == []


def _internet_but_private() -> list[dict[str, str]]:
    """Every IPv4 address except RFC 1918's, as the 31 CIDRs a reviewer wrote."""
    everything = [ipaddress.ip_network("0.0.0.0/0")]
    for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
        hole = ipaddress.ip_network(private)
        everything = [
            part
            for block in everything
            for part in (block.address_exclude(hole) if block.supernet_of(hole) else [block])
        ]
    return [{"CidrIp": str(n)} for n in everything]


def test_the_internet_but_private_space_fails_naming_the_share(moto: MotoServer) -> None:
    ranges = _internet_but_private()
    group = _group(moto, "node", _on(22, IpRanges=ranges))
    wide = _group(moto, "lb", _on(6443, IpRanges=[{"CidrIp": "52.0.0.0/15"}]))
    results = _results(moto)
    fired = {(f.check_id, f.resource.name): f.message for f in results.findings}
    assert set(fired) == {
        ("CAPSA-AWS-025", _arn(group)),
        ("CAPSA-AWS-026", _arn(wide)),
    }
    assert "100% of public IPv4" in fired[("CAPSA-AWS-025", _arn(group))]
    assert "52.0.0.0/15" in fired[("CAPSA-AWS-026", _arn(wide))]


def test_a_public_16_and_private_space_pass_saying_what_they_admit(moto: MotoServer) -> None:
    group = _group(
        moto,
        "node",
        _on(22, IpRanges=[{"CidrIp": "52.94.0.0/16"}, {"CidrIp": "100.64.0.0/10"}]),
        _on(6443, Ipv6Ranges=[{"CidrIpv6": "2600:1f00::/32"}, {"CidrIpv6": "fc00::/7"}]),
    )
    results = _results(moto)
    assert results.findings == [] and results.unknown == []
    passes = {(p.check_id, p.resource.name): p.reason or "" for p in results.passes}
    assert "65,536 addresses" in passes[("CAPSA-AWS-025", _arn(group))]
    assert "public IPv6" in passes[("CAPSA-AWS-026", _arn(group))]
