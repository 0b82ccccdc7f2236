"""Bootstrap data (Secrets Manager secrets and SSM parameters, names and tags only),
load balancers with their tags and deletion protection, CloudTrail trails and their
logging status, and the Service Quotas values capsa reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from capsa.sources.aws import policydoc
from capsa.sources.aws.facts import (
    API_SERVER_ROLE,
    LoadBalancer,
    Quota,
    Secret,
    Statement,
    Trail,
    cluster_of,
    role_of,
)
from capsa.sources.aws.reader import Reader, tags_of

#: Name prefixes CAPA gives bootstrap data (capa@2cf09d7
#: pkg/cloud/services/secretsmanager/secret.go:38-44, pkg/cloud/services/ssm/secret.go:40-52).
SECRET_PREFIX = "aws.cluster.x-k8s.io/"  # noqa: S105 - a name prefix, not a secret
PARAMETER_PREFIX = "/cluster.x-k8s.io/"

#: (service code, quota code, what it limits) read for STRIDE-DOS-1.
QUOTAS = (
    ("ec2", "L-1216C47A", "Running On-Demand Standard instances (vCPUs)"),
    ("elasticloadbalancing", "L-E9E9831D", "Classic Load Balancers per Region"),
)
_PAGE = 100
_TAG_BATCH = 20  # elb/elbv2 DescribeTags take at most 20 names or ARNs


def read_secrets(reader: Reader, region: str, out: list[Secret]) -> None:
    found: list[dict[str, Any]] = []
    for page in reader.pages(
        "secrets",
        "secretsmanager",
        "ListSecrets",
        region,
        IncludePlannedDeletion=True,
        Filters=[{"Key": "name", "Values": [SECRET_PREFIX]}],
        PaginationConfig={"PageSize": _PAGE},
    ):
        found.extend(
            item
            for item in page.get("SecretList", ())
            if str(item.get("Name", "")).startswith(SECRET_PREFIX)
        )
    policies: dict[str, tuple[Statement, ...]] = {}

    def read_policies() -> None:
        # a secret's resource policy can grant GetSecretValue to a role whose own
        # policies do not; never the value. The first failure ends the region's reads
        # (one gap), and the secrets not read keep no policy (None: unknown).
        for item in found:
            if item.get("DeletedDate") is None:
                answer = reader.call(
                    "secretPolicies", "secretsmanager", "GetResourcePolicy", region,
                    SecretId=item["ARN"],
                )  # fmt: skip
                policies[item["ARN"]] = policydoc.resource_statements(answer.get("ResourcePolicy"))

    reader.step(read_policies)
    for item in found:
        created = item.get("CreatedDate")
        out.append(
            Secret(
                arn=item["ARN"],
                name=str(item["Name"]),
                region=region,
                created=created if isinstance(created, datetime) else None,
                tags=tags_of(item.get("Tags")),
                deletion_scheduled=item.get("DeletedDate") is not None,
                resource_policy=policies.get(item["ARN"]),
            )
        )


def read_parameters(reader: Reader, region: str, out: list[Secret]) -> None:
    found: list[dict[str, Any]] = []
    for page in reader.pages(
        "parameters",
        "ssm",
        "DescribeParameters",
        region,
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [PARAMETER_PREFIX]}],
    ):
        found.extend(page.get("Parameters", ()))
    for item in found:
        name = str(item["Name"])
        tags: dict[str, str] | None = None

        def read_tags(name: str = name) -> None:
            nonlocal tags
            answer = reader.call(
                "parameters",
                "ssm",
                "ListTagsForResource",
                region,
                ResourceType="Parameter",
                ResourceId=name,
            )
            tags = tags_of(answer.get("TagList"))

        reader.step(read_tags)
        modified = item.get("LastModifiedDate")
        out.append(
            Secret(
                arn=item.get("ARN") or reader.arn("ssm", region, f"parameter{name}"),
                name=name,
                region=region,
                store="ssm",
                created=modified if isinstance(modified, datetime) else None,
                tags=tags,
            )
        )


# --- load balancers, CloudTrail, quotas ---------------------------------------------------


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_load_balancers(reader: Reader, region: str, out: list[LoadBalancer]) -> None:
    classic: list[dict[str, Any]] = []
    for page in reader.pages("loadBalancers", "elb", "DescribeLoadBalancers", region):
        classic.extend(page.get("LoadBalancerDescriptions", ()))
    names = [str(lb["LoadBalancerName"]) for lb in classic]
    tags: dict[str, dict[str, str]] = {}
    for batch in _batches(names, _TAG_BATCH):
        answer = reader.call(
            "loadBalancers", "elb", "DescribeTags", region, LoadBalancerNames=batch
        )
        for item in answer.get("TagDescriptions", ()):
            tags[str(item.get("LoadBalancerName"))] = tags_of(item.get("Tags"))
    for lb in classic:
        name = str(lb["LoadBalancerName"])
        out.append(
            LoadBalancer(
                arn=reader.arn("elasticloadbalancing", region, f"loadbalancer/{name}"),
                name=name,
                region=region,
                kind="classic",
                scheme=lb.get("Scheme"),
                tags=tags.get(name),
                deletion_protection=False,  # classic ELBs have no such attribute
            )
        )
    modern: list[dict[str, Any]] = []
    for page in reader.pages("loadBalancers", "elbv2", "DescribeLoadBalancers", region):
        modern.extend(page.get("LoadBalancers", ()))
    arns = [str(lb["LoadBalancerArn"]) for lb in modern]
    for batch in _batches(arns, _TAG_BATCH):
        answer = reader.call("loadBalancers", "elbv2", "DescribeTags", region, ResourceArns=batch)
        for item in answer.get("TagDescriptions", ()):
            tags[str(item.get("ResourceArn"))] = tags_of(item.get("Tags"))
    for lb in modern:
        arn = str(lb["LoadBalancerArn"])
        protection: bool | None = None
        if cluster_of(tags.get(arn)) is not None and role_of(tags.get(arn)) == API_SERVER_ROLE:
            answer = reader.call(
                "loadBalancers",
                "elbv2",
                "DescribeLoadBalancerAttributes",
                region,
                LoadBalancerArn=arn,
            )
            values = {a.get("Key"): a.get("Value") for a in answer.get("Attributes", ())}
            flag = values.get("deletion_protection.enabled")
            protection = None if flag is None else str(flag).lower() == "true"
        kind = str(lb.get("Type", "application"))
        out.append(
            LoadBalancer(
                arn=arn,
                name=str(lb.get("LoadBalancerName", "")),
                region=region,
                kind=kind if kind in ("network", "application", "gateway") else "application",
                scheme=lb.get("Scheme"),
                tags=tags.get(arn),
                deletion_protection=protection,
            )
        )


def read_trails(reader: Reader, region: str, seen: dict[str, Trail]) -> None:
    answer = reader.call("trails", "cloudtrail", "DescribeTrails", region, includeShadowTrails=True)
    for item in answer.get("trailList", ()):
        arn = str(item.get("TrailARN"))
        if arn in seen:
            continue
        home = str(item.get("HomeRegion") or region)
        logging: bool | None = None

        def read_status(arn: str = arn, home: str = home) -> None:
            nonlocal logging
            status = reader.call("trails", "cloudtrail", "GetTrailStatus", home, Name=arn)
            logging = bool(status.get("IsLogging"))

        reader.step(read_status)
        seen[arn] = Trail(
            arn=arn,
            name=str(item.get("Name", "")),
            home_region=home,
            multi_region=bool(item.get("IsMultiRegionTrail")),
            log_file_validation=bool(item.get("LogFileValidationEnabled")),
            logging=logging,
        )


def read_quotas(reader: Reader, region: str, out: list[Quota]) -> None:
    for service, code, name in QUOTAS:

        def read(service: str = service, code: str = code, name: str = name) -> None:
            answer = reader.call(
                "quotas", "service-quotas", "GetServiceQuota", region,
                ServiceCode=service, QuotaCode=code,
            )  # fmt: skip
            value = answer.get("Quota", {}).get("Value")
            out.append(
                Quota(
                    service=service,
                    code=code,
                    name=str(answer.get("Quota", {}).get("QuotaName") or name),
                    region=region,
                    value=float(value) if isinstance(value, int | float) else None,
                )
            )

        reader.step(read)
