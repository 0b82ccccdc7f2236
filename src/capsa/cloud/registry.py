"""Cloud checks that CEL cannot state register their function here, under their id.

Like live checks: every module of the package is imported on first use, and the loader
refuses an entry with `function: true` and no function, or a function without an entry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal

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


@dataclass(frozen=True)
class Registration:
    check_id: str
    function: CloudFunction
    where: str


_REGISTRY: dict[str, Registration] = {}


def cloud_check(check_id: str) -> Callable[[CloudFunction], CloudFunction]:
    """Register the decorated function as the analysis of cloud check `check_id`."""

    def register(function: CloudFunction) -> CloudFunction:
        where = f"{function.__module__}.{getattr(function, '__qualname__', function)}"
        known = _REGISTRY.get(check_id)
        if known is not None and known.where != where:
            raise ValueError(f"{check_id} is registered twice: {known.where} and {where}")
        _REGISTRY[check_id] = Registration(check_id, function, where)
        return function

    return register


@cache
def registered() -> dict[str, Registration]:
    """Every registered function by check id, after importing each module of the package."""
    package = importlib.import_module("capsa.cloud")
    for info in pkgutil.iter_modules(package.__path__, "capsa.cloud."):
        importlib.import_module(info.name)
    return dict(_REGISTRY)
