"""Reading an AWS account at scale: 1,000 instances, 200 roles and 5,000 bootstrap secrets
in moto (server mode, loopback HTTP), read by `--aws` and judged by the cloud checks.

Prints the calls and pages capsa made, the wall time of the read and of the checks, the
reading process's peak RSS (moto runs in its own process), and the ratio to a raw boto3 listing of the same data in
the same process (the listings that carry it: GetAccountAuthorizationDetails,
DescribeInstances, DescribeImages, DescribeVolumes, ListSecrets), the floor any reader
over HTTP pays.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cloud"))

from motoserver import GOOD_AMI  # noqa: E402

INSTANCES, ROLES, SECRETS = 1000, 200, 5000
CLUSTERS = 20
REGION = "eu-west-1"
ACCOUNT = "123456789012"
CLUSTER_TAG = "sigs.k8s.io/cluster-api-provider-aws/cluster/"


def _environment(endpoint: str) -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )


def _seed(endpoint: str) -> float:
    """Over HTTP, as a user's tooling would create them (the server is another process)."""
    import boto3

    start = time.perf_counter()
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    for i in range(ROLES):
        iam.create_role(RoleName=f"role-{i:03d}", AssumeRolePolicyDocument=trust)
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION)
    per_call = 100
    for batch in range(INSTANCES // per_call):
        cluster = f"c{batch % CLUSTERS:02d}"
        ec2.run_instances(
            ImageId=GOOD_AMI,
            MinCount=per_call,
            MaxCount=per_call,
            MetadataOptions={"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": f"{CLUSTER_TAG}{cluster}", "Value": "owned"},
                        {"Key": "Name", "Value": f"{cluster}-md-{batch}"},
                    ],
                }
            ],
        )
    sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    for i in range(SECRETS):
        cluster = f"c{i % CLUSTERS:02d}"
        sm.create_secret(
            Name=f"aws.cluster.x-k8s.io/{i:08d}-0000-4000-8000-000000000000-0",
            SecretBinary=b"not-read",
            Tags=[
                {"Key": f"{CLUSTER_TAG}{cluster}", "Value": "owned"},
                {"Key": "Name", "Value": f"m-{i}"},
            ],
        )
    return time.perf_counter() - start


def _raw_listing(endpoint: str) -> tuple[float, int]:
    """Seconds and items for the same data through plain boto3 paginators."""
    import boto3

    start = time.perf_counter()
    items = 0
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        items += len(page["RoleDetailList"])
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION)
    images: set[str] = set()
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            items += len(reservation["Instances"])
            images.update(i["ImageId"] for i in reservation["Instances"])
    found = ec2.describe_images(Filters=[{"Name": "image-id", "Values": sorted(images)}])
    items += len(found["Images"])
    for page in ec2.get_paginator("describe_volumes").paginate():
        items += len(page["Volumes"])
    sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    for page in sm.get_paginator("list_secrets").paginate(PaginationConfig={"PageSize": 100}):
        items += len(page["SecretList"])
    return time.perf_counter() - start, items


def main() -> None:
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "cloud" / "moto_process.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        _environment(endpoint)
        _run(endpoint)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run(endpoint: str) -> None:
    from capsa.cloud.catalog import cloud_checks
    from capsa.cloud.engine import run_checks
    from capsa.sources.aws.client import AwsSession
    from capsa.sources.aws.collect import AwsOptions, read_account

    seed_s = _seed(endpoint)
    _raw_listing(endpoint)  # warm the server so both readers meet it in the same state
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    session = AwsSession()
    start = time.perf_counter()
    facts = read_account(AwsOptions(regions=(REGION,), now=datetime.now(UTC)), session)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    results = run_checks(cloud_checks(), facts)
    checks_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    raw_s, raw_items = _raw_listing(endpoint)
    calls: dict[str, Any] = {f"{s}:{o}": n for (s, o), n in sorted(session.log.calls.items())}
    print(
        f"seeded                {INSTANCES} instances, {ROLES} roles, {SECRETS} secrets in {seed_s:.1f} s (moto in its own process)"
    )
    print(
        f"facts                 {len(facts.instances)} instances, {len(facts.roles)} roles, "
        f"{len(facts.secrets)} secrets; gaps: {sorted({g.text for g in facts.gaps})}"
    )
    print(f"calls                 {session.log.total_calls} ({session.log.sends} HTTP sends)")
    for name, count in calls.items():
        print(f"  {name:50} {count}")
    print(f"read (--aws)          {read_s:.2f} s")
    print(
        f"cloud checks          {checks_s:.2f} s  ({len(results.findings)} findings, "
        f"{len(results.passes)} passes, {len(results.unknown)} unknown)"
    )
    print(
        f"peak RSS              {peak / 1024:.0f} MiB (reading process; {before / 1024:.0f} MiB before the read)"
    )
    print(f"raw boto3 listing     {raw_s:.2f} s for {raw_items} items (same process, same server)")
    print(
        f"ratio                 read {read_s / raw_s:.2f}x, read+checks {(read_s + checks_s) / raw_s:.2f}x"
    )


if __name__ == "__main__":
    main()
