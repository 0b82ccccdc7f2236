"""The only place capsa creates AWS clients: guarded, counted, with bounded retries.

Credentials, profile and endpoint come from the standard AWS configuration chain exactly
as the AWS CLI reads them (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`…, `AWS_ENDPOINT_URL`,
`~/.aws/config` with `role_arn` profiles); capsa adds nothing of its own. Every client
gets the read-only guard (`capsa.sources.aws.guard`) on its own event system, and a
retry handler for throttling and transient errors whose attempts are bounded and whose
delay function can be replaced (tests never sleep on the wall clock).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from capsa.sources.aws import guard

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_TRANSIENT_CODES = frozenset({"InternalError", "InternalFailure", "ServiceUnavailable"})
_TRANSIENT_STATUS = frozenset({429, 502, 503, 504})

Delay = Callable[[int], float]


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff (seconds before retry `attempt`), capped at 8 s."""
    return random.uniform(0, min(8.0, 0.5 * 2**attempt))  # noqa: S311 - jitter, not crypto


@dataclass
class CallLog:
    """What capsa asked of AWS: calls per (service, operation), HTTP sends (retries
    included) and throttled answers. Read by the benchmark and `--aws` summaries."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    sends: int = 0
    throttled: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class AwsSession:
    """A boto3 session (default chain, optional profile) that hands out guarded clients,
    one per (service, region), and logs every call they make."""

    def __init__(
        self,
        profile: str | None = None,
        *,
        max_attempts: int = 4,
        delay: Delay = backoff,
    ) -> None:
        import boto3  # imported here: a scan without --aws never loads the SDK

        self._session = boto3.Session(profile_name=profile)
        self._max_attempts = max_attempts
        self._delay = delay
        self._clients: dict[tuple[str, str | None], Any] = {}
        self.log = CallLog()

    @property
    def max_attempts(self) -> int:
        """HTTP sends per call at most, retries included."""
        return self._max_attempts

    @property
    def default_region(self) -> str | None:
        region = self._session.region_name
        return region if isinstance(region, str) and region else None

    def client(self, service: str, region: str | None = None) -> Any:
        """The guarded client for `service` in `region` (created once)."""
        key = (service, region)
        found = self._clients.get(key)
        if found is not None:
            return found
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},  # capsa's handler retries
            user_agent_extra="capsa",
            connect_timeout=10,
            read_timeout=60,
        )
        client = guard.install(self._session.client(service, region_name=region, config=config))
        events = client.meta.events
        events.register("provide-client-params.*.*", self._count_call)
        events.register("before-send.*.*", self._count_send)
        events.register_first("needs-retry.*.*", self._needs_retry)
        self._clients[key] = client
        return client

    # --- event handlers -------------------------------------------------------------------

    def _count_call(self, model: Any, **_: Any) -> None:
        self.log.calls[(model.service_model.service_name, model.name)] += 1

    def _count_send(self, **_: Any) -> None:
        self.log.sends += 1

    def _needs_retry(
        self,
        attempts: int,
        response: Any = None,
        caught_exception: Exception | None = None,
        **_: Any,
    ) -> float | None:
        """Seconds to wait before another attempt, or None to stop (botocore then raises
        the last error). Throttling, 429/502/503/504 and connection errors are retried
        up to `max_attempts` sends in all."""
        if attempts >= self._max_attempts:
            return None
        if caught_exception is not None:
            from botocore.exceptions import ConnectionError as BotoConnectionError
            from botocore.exceptions import HTTPClientError

            retry = isinstance(caught_exception, BotoConnectionError | HTTPClientError)
        elif response is not None:
            http, parsed = response
            code = (parsed or {}).get("Error", {}).get("Code", "")
            if code in THROTTLING_CODES:
                self.log.throttled += 1
            retry = (
                code in THROTTLING_CODES
                or code in _TRANSIENT_CODES
                or getattr(http, "status_code", 0) in _TRANSIENT_STATUS
            )
        else:
            retry = False
        return max(0.0, self._delay(attempts)) if retry else None
