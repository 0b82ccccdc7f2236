"""Helpers the cloud tests share: the region they read and an `--aws` read of the moto
account that never sleeps between retries."""

from __future__ import annotations

from datetime import UTC, datetime

from motoserver import MotoServer

from capsa.sources.aws.client import AwsSession
from capsa.sources.aws.collect import AwsOptions, read_account
from capsa.sources.aws.facts import CloudFacts

REGION = "eu-west-1"


def no_wait(_attempt: int) -> float:
    return 0.0


def read(
    moto: MotoServer,
    *,
    regions: tuple[str, ...] = (REGION,),
    now: datetime | None = None,
    page_size: int | None = None,
) -> tuple[CloudFacts, AwsSession]:
    """Read the moto account as `--aws` does, without sleeping between retries, and clear
    the recorder first so its log holds only capsa's requests."""
    moto.recorder.operations.clear()
    session = AwsSession(delay=no_wait)
    options = AwsOptions(regions=regions, now=now or datetime.now(UTC), page_size=page_size)
    return read_account(options, session), session
