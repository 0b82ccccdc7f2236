"""EC2 per region: instances (not terminated) joined with their image owner and root
volume encryption, and security groups with their inbound rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from capsa.sources.aws.facts import (
    IngressRule,
    Instance,
    MetadataOptions,
    PrefixList,
    SecurityGroup,
)
from capsa.sources.aws.reader import Reader, tags_of


def read_ec2(reader: Reader, region: str, instances: list[Instance]) -> None:
    raw: list[dict[str, Any]] = []
    for page in reader.pages(
        "instances", "ec2", "DescribeInstances", region, PaginationConfig={"PageSize": 1000}
    ):
        for reservation in page.get("Reservations", ()):
            raw.extend(
                i
                for i in reservation.get("Instances", ())
                if i.get("State", {}).get("Name") not in ("terminated", "shutting-down")
            )
    owners: dict[str, str] = {}
    encrypted: dict[str, bool] = {}
    images = sorted({i["ImageId"] for i in raw if i.get("ImageId")})
    if images:

        def read_images() -> None:
            for start in range(0, len(images), 200):
                page = reader.call(
                    "images",
                    "ec2",
                    "DescribeImages",
                    region,
                    Filters=[{"Name": "image-id", "Values": images[start : start + 200]}],
                )
                owners.update({im["ImageId"]: im.get("OwnerId", "") for im in page["Images"]})

        reader.step(read_images)
    if raw:

        def read_volumes() -> None:
            for page in reader.pages(
                "volumes",
                "ec2",
                "DescribeVolumes",
                region,
                Filters=[{"Name": "attachment.status", "Values": ["attached"]}],
            ):
                encrypted.update(
                    {v["VolumeId"]: bool(v.get("Encrypted")) for v in page.get("Volumes", ())}
                )

        reader.step(read_volumes)
    for item in raw:
        instances.append(_instance(reader, region, item, owners, encrypted))


def _instance(
    reader: Reader,
    region: str,
    item: dict[str, Any],
    owners: dict[str, str],
    encrypted: dict[str, bool],
) -> Instance:
    metadata = item.get("MetadataOptions") or {}
    hop = metadata.get("HttpPutResponseHopLimit")
    root_name = item.get("RootDeviceName")
    root_volume = next(
        (
            m.get("Ebs", {}).get("VolumeId")
            for m in item.get("BlockDeviceMappings", ())
            if m.get("DeviceName") == root_name
        ),
        None,
    )
    profile = (item.get("IamInstanceProfile") or {}).get("Arn")
    image = item.get("ImageId")
    launched = item.get("LaunchTime")
    return Instance(
        id=item["InstanceId"],
        arn=reader.arn("ec2", region, f"instance/{item['InstanceId']}"),
        region=region,
        state=str(item.get("State", {}).get("Name", "unknown")),
        launch_time=launched if isinstance(launched, datetime) else None,
        tags=tags_of(item.get("Tags")),
        instance_profile=profile if isinstance(profile, str) else None,
        metadata_options=MetadataOptions(
            http_tokens=metadata.get("HttpTokens"),
            http_endpoint=metadata.get("HttpEndpoint"),
            hop_limit=hop if isinstance(hop, int) else None,
        ),
        public_ip=item.get("PublicIpAddress"),
        image_id=image,
        image_owner=owners.get(image) if image else None,
        root_volume_encrypted=encrypted.get(root_volume) if root_volume else None,
        security_groups=tuple(g["GroupId"] for g in item.get("SecurityGroups", ())),
    )


def read_security_groups(
    reader: Reader, region: str, out: list[SecurityGroup], lists: list[PrefixList]
) -> None:
    named: set[str] = set()
    for page in reader.pages("securityGroups", "ec2", "DescribeSecurityGroups", region):
        for group in page.get("SecurityGroups", ()):
            rules = []
            for perm in group.get("IpPermissions", ()):
                cidrs = [r.get("CidrIp") for r in perm.get("IpRanges", ())]
                cidrs += [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", ())]
                prefixes = [p.get("PrefixListId") for p in perm.get("PrefixListIds", ())]
                pairs = [g.get("GroupId") for g in perm.get("UserIdGroupPairs", ())]
                rule = IngressRule(
                    protocol=str(perm.get("IpProtocol", "-1")),
                    from_port=perm.get("FromPort"),
                    to_port=perm.get("ToPort"),
                    cidrs=tuple(c for c in cidrs if isinstance(c, str)),
                    prefix_lists=tuple(p for p in prefixes if isinstance(p, str)),
                    groups=tuple(g for g in pairs if isinstance(g, str)),
                )
                named.update(rule.prefix_lists)
                rules.append(rule)
            out.append(
                SecurityGroup(
                    id=group["GroupId"],
                    arn=reader.arn("ec2", region, f"security-group/{group['GroupId']}"),
                    region=region,
                    name=str(group.get("GroupName", "")),
                    tags=tags_of(group.get("Tags")),
                    ingress=tuple(rules),
                )
            )
    for list_id in sorted(named):
        entries: list[str] | None = None

        def read_entries(list_id: str = list_id) -> None:
            nonlocal entries
            found = []
            for page in reader.pages(
                "prefixLists", "ec2", "GetManagedPrefixListEntries", region,
                PrefixListId=list_id,
            ):  # fmt: skip
                found += [e["Cidr"] for e in page.get("Entries", ()) if "Cidr" in e]
            entries = found

        reader.step(read_entries)
        lists.append(
            PrefixList(
                id=list_id, region=region, cidrs=tuple(entries) if entries is not None else None
            )
        )
