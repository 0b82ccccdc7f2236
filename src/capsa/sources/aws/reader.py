"""One read step against AWS: a guarded call or a page of a paginated listing, with
every failure turned into a `Gap` (which permission, why) instead of an exception.

AccessDenied and its per-service spellings become "missing permission X"; throttling
that outlasts the client's bounded retries, an unsupported operation or an unreachable
service become a service error with its code. Nothing here raises to the caller except
`Failed`, which `step` records as a gap so the next step still runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from capsa.sources.aws.client import THROTTLING_CODES, AwsSession
from capsa.sources.aws.facts import FactKind, Gap
from capsa.sources.aws.guard import ALLOWED

ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthFailure",
        "OptInRequired",
    }
)


class Failed(Exception):
    """A step failed; carries the Gap to record."""

    def __init__(self, gap: Gap) -> None:
        super().__init__(gap.text)
        self.gap = gap


@dataclass
class Reader:
    session: AwsSession
    account: str
    partition: str
    page_size: int | None = None  # None: each listing's own page size
    gaps: list[Gap] = field(default_factory=list)

    # --- calls ----------------------------------------------------------------------------

    def call(self, kind: FactKind, service: str, op: str, region: str | None, **params: Any) -> Any:
        client = self.session.client(service, region)
        method = getattr(client, snake(op))
        return self._guarded(kind, service, op, region, lambda: method(**params))

    def pages(
        self, kind: FactKind, service: str, op: str, region: str | None, **params: Any
    ) -> Iterator[Any]:
        client = self.session.client(service, region)
        paginator = client.get_paginator(snake(op))
        if self.page_size is not None:
            params["PaginationConfig"] = {
                **params.get("PaginationConfig", {}),
                "PageSize": self.page_size,
            }
        iterator = iter(paginator.paginate(**params))
        while True:
            page = self._guarded(kind, service, op, region, lambda: next(iterator, None))
            if page is None:
                return
            yield page

    def _guarded(
        self, kind: FactKind, service: str, op: str, region: str | None, run: Callable[[], Any]
    ) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        permission = ALLOWED[(service, op)]
        try:
            return run()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ACCESS_DENIED:
                reason = "AccessDenied"
            elif code == "NoSuchResourceException" and service == "service-quotas":
                reason = "not available from Service Quotas in this region"
            elif code in THROTTLING_CODES:
                reason = f"still throttled ({code}) after {self.session.max_attempts} attempts"
            else:
                reason = f"service error {code or 'without a code'}"
            raise Failed(
                Gap(facts=kind, permission=permission, reason=reason, region=region)
            ) from None
        except BotoCoreError as error:
            reason = f"service error: {type(error).__name__}"
            raise Failed(
                Gap(facts=kind, permission=permission, reason=reason, region=region)
            ) from None

    def step(self, run: Callable[[], None]) -> None:
        try:
            run()
        except Failed as failed:
            self.gaps.append(failed.gap)

    def arn(self, service: str, region: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"


def snake(op: str) -> str:
    out = []
    for index, char in enumerate(op):
        if char.isupper() and index and not op[index - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def tags_of(items: Any) -> dict[str, str]:
    """AWS's [{Key, Value}] tag list as a mapping."""
    return {str(t.get("Key")): str(t.get("Value", "")) for t in items or () if isinstance(t, dict)}
