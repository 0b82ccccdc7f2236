"""Cloud checks that CEL cannot state register their function here, under their id.

Like live checks: every module of the package is imported on first use, and the loader
refuses an entry with `function: true` and no function, or a function without an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from capsa import functions
from capsa.sources.aws.facts import CloudFacts, Where

#: The CNCF account CAPA looks machine images up in by default (capa@2cf09d7
#: pkg/cloud/services/ec2/ami.go:54-56) and Canonical's, which bastions use (:58-62).
DEFAULT_IMAGE_OWNERS = ("819546954734", "099720109477")


@dataclass(frozen=True)
class CloudOptions:
    """Thresholds and allow-lists of the cloud checks."""

    image_owners: tuple[str, ...] = DEFAULT_IMAGE_OWNERS
    bootstrap_grace: timedelta = timedelta(minutes=10)
    max_instance_vcpus: float = 1024.0


@dataclass(frozen=True)
class CloudInput:
    facts: CloudFacts
    options: CloudOptions = CloudOptions()


@dataclass(frozen=True)
class Outcome:
    """What a check concluded about one cloud resource (named by its ARN). A check whose
    subject is absent from the facts (no cluster instance, no API load balancer) says
    `not-applicable` once, on the account: never evidence, never a pass."""

    verdict: Literal["fail", "pass", "unknown", "not-applicable"]
    kind: str
    arn: str
    detail: str = ""
    where: Where | None = None


def absent(facts: CloudFacts, what: str) -> Outcome:
    """The one not-applicable outcome, on the account, of a check that found `what` it
    looks at nowhere in the facts read."""
    regions = ", ".join(facts.regions)
    where = f" in {regions}" if regions else ""
    arn = f"arn:aws:iam::{facts.account or 'unknown'}:root"
    return Outcome("not-applicable", "AWSAccount", arn, f"no {what}{where}")


CloudFunction = Callable[[CloudInput], Iterable[Outcome]]


Registration = functions.Registration[CloudFunction]

_REGISTRY: functions.FunctionRegistry[CloudFunction] = functions.FunctionRegistry("capsa.cloud")
#: `@cloud_check(id)` registers the decorated function as the logic of cloud check `id`.
cloud_check = _REGISTRY.register
#: Every registered function by check id, after importing each module of the package.
registered = _REGISTRY.registered
