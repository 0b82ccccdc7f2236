"""Read an AWS account into `CloudFacts`, read-only, every listing paginated.

Each kind of fact is read by one step; a step that fails becomes a `Gap` (the IAM
permission it needed and why: AccessDenied, still throttled after the bounded retries,
a service that does not answer) and the other steps go on. Only a run that cannot start
at all (no credentials, no region) raises InputError. Secrets and parameters are listed
by name and tags; their values are never requested (the guard refuses those calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from capsa.errors import InputError, Problem
from capsa.sources.aws.client import AwsSession
from capsa.sources.aws.facts import (
    FACT_KINDS,
    CloudFacts,
    Instance,
    LoadBalancer,
    PrefixList,
    Quota,
    Secret,
    SecurityGroup,
    Trail,
)
from capsa.sources.aws.read_ec2 import read_ec2, read_security_groups
from capsa.sources.aws.read_iam import read_iam
from capsa.sources.aws.read_services import (
    read_load_balancers,
    read_parameters,
    read_quotas,
    read_secrets,
    read_trails,
)
from capsa.sources.aws.reader import Reader


@dataclass(frozen=True)
class AwsOptions:
    """What `--aws` reads: a profile (None: the default chain), regions (empty: the
    configured default region), when the read happens (for ages; default now)."""

    profile: str | None = None
    regions: tuple[str, ...] = ()
    now: datetime | None = None
    max_attempts: int = 4
    page_size: int | None = None  # items per page; None: capsa's defaults (tests page small)


def _identity(session: AwsSession, region: str) -> tuple[str, str]:
    """(account id, partition) of the caller; InputError when no credentials work."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        answer = session.client("sts", region).get_caller_identity()
    except NoCredentialsError:
        raise InputError(
            [
                Problem(
                    "--aws",
                    None,
                    None,
                    "no AWS credentials found: set AWS_PROFILE or --aws-profile, or the "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables",
                )
            ]
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise InputError(
            [Problem("--aws", None, None, f"cannot identify the AWS caller: {error}")]
        ) from None
    arn = str(answer.get("Arn", "arn:aws:"))
    return str(answer["Account"]), arn.split(":")[1] or "aws"


def read_account(options: AwsOptions, session: AwsSession | None = None) -> CloudFacts:
    """Everything capsa reads from the account, with the gaps where it could not."""
    if session is None:
        session = AwsSession(options.profile, max_attempts=options.max_attempts)
    regions = options.regions or ((session.default_region,) if session.default_region else ())
    if not regions:
        raise InputError(
            [
                Problem(
                    "--aws",
                    None,
                    None,
                    "no AWS region: pass --aws-region or set AWS_REGION / a profile region",
                )
            ]
        )
    account, partition = _identity(session, regions[0])
    reader = Reader(session, account, partition, options.page_size)
    found: dict[str, Any] = {}
    instances: list[Instance] = []
    groups: list[SecurityGroup] = []
    prefix_lists: list[PrefixList] = []
    secrets: list[Secret] = []
    balancers: list[LoadBalancer] = []
    trails: dict[str, Trail] = {}
    quotas: list[Quota] = []
    reader.step(partial(read_iam, reader, found))
    for region in regions:
        reader.step(partial(read_ec2, reader, region, instances))
        reader.step(partial(read_security_groups, reader, region, groups, prefix_lists))
        reader.step(partial(read_secrets, reader, region, secrets))
        reader.step(partial(read_parameters, reader, region, secrets))
        reader.step(partial(read_load_balancers, reader, region, balancers))
        reader.step(partial(read_trails, reader, region, trails))
        reader.step(partial(read_quotas, reader, region, quotas))
    iam_gaps = [g for g in reader.gaps if g.facts == "roles"]
    # One GAAD call reads roles, users, policies and instance profiles alike.
    extra = [
        g.model_copy(update={"facts": kind})
        for g in iam_gaps
        for kind in ("users", "policies", "instanceProfiles")
    ]
    return CloudFacts(
        source=f"aws account {account} ({', '.join(regions)})",
        account=account,
        regions=tuple(regions),
        read_at=options.now or datetime.now(UTC),
        collected=FACT_KINDS,
        roles=found.get("roles", ()),
        users=found.get("users", ()),
        policies=found.get("policies", ()),
        instance_profiles=found.get("instance_profiles", ()),
        instances=tuple(instances),
        security_groups=tuple(groups),
        prefix_lists=tuple(prefix_lists),
        secrets=tuple(secrets),
        load_balancers=tuple(balancers),
        trails=tuple(trails.values()),
        quotas=tuple(quotas),
        gaps=(*reader.gaps, *extra),
    )
