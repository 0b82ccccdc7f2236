"""Read-only HTTP access to a Kubernetes API server: GET only, bounded retries, a request log.

Every request capsa sends to a cluster goes through `ReadOnlyApi.get_json`, so the
"never write to the cluster" promise is kept in one place: there is no other verb.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2

RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one request: 429 and 5xx only."""

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (0-based); Retry-After wins."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return float(min(self.base_delay * (2**attempt), self.max_delay))


class ApiFailure(Exception):
    """A request that did not produce a usable answer. `code` is None for transport errors."""

    def __init__(self, path: str, code: int | None, reason: str, message: str) -> None:
        self.path = path
        self.code = code
        self.reason = reason
        self.message = message
        super().__init__(f"GET {path}: {code or reason}: {message}")


@dataclass
class ReadOnlyApi:
    """GETs JSON documents from one API server and records each request it sends."""

    client: httpx2.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = field(default=lambda _s: None)
    log: list[tuple[str, str]] = field(default_factory=list)

    def get_json(
        self, path: str, params: Mapping[str, str] | None = None, accept: str | None = None
    ) -> dict[str, Any]:
        """GET `path` and return the decoded object, retrying 429/5xx with backoff."""
        headers = {"Accept": accept or "application/json"}
        query = dict(params or {})
        shown = path + ("?" + str(httpx2.QueryParams(query)) if query else "")
        attempt = 0
        while True:
            self.log.append(("GET", shown))
            try:
                response = self.client.get(path, params=query, headers=headers)
            except httpx2.TimeoutException as exc:
                raise ApiFailure(path, None, "Timeout", f"no answer in time ({exc})") from None
            except httpx2.HTTPError as exc:
                raise ApiFailure(
                    path, None, "Unreachable", str(exc) or type(exc).__name__
                ) from None
            if response.status_code == 200:
                return _decode(path, response)
            failure = _failure(path, response)
            if response.status_code not in RETRYABLE or attempt >= self.policy.max_retries:
                raise failure
            self.sleep(self.policy.delay(attempt, _retry_after(response)))
            attempt += 1


def _decode(path: str, response: httpx2.Response) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError:
        raise ApiFailure(path, 200, "BadResponse", "answer is not JSON") from None
    if not isinstance(data, dict):
        raise ApiFailure(path, 200, "BadResponse", "answer is not a JSON object")
    return data


def _failure(path: str, response: httpx2.Response) -> ApiFailure:
    """Turn an error answer into ApiFailure, using the Status object when there is one."""
    reason = response.reason_phrase or "Error"
    message = f"HTTP {response.status_code}"
    try:
        status = json.loads(response.content)
    except ValueError:
        status = None
    if isinstance(status, dict) and status.get("kind") == "Status":
        reason = str(status.get("reason") or reason)
        message = str(status.get("message") or message)
    return ApiFailure(path, response.status_code, reason, message)


def _retry_after(response: httpx2.Response) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date relative to Date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(response.headers.get("Date", value))
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0)
