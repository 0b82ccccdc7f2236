"""Read-only HTTP access to a Kubernetes API server: GET only, bounded in every dimension,
a request log.

Every request capsa sends to a cluster goes through `ReadOnlyApi.get_json`, so the
promises of the live read are kept in one place:

- GET is the only verb, to a URL built from validated parts (`ApiPath`): no segment can
  hold `/`, `..`, `?`, `#` or `%`, so no name — a `--namespace` given by the user, a
  group, version or plural the server announced — can point a request elsewhere;
- a request for Secrets without the metadata-only Accept header is refused before it
  is sent, whoever built it;
- time: the whole read has a deadline (`LiveLimits.deadline`, `--timeout`), each request
  a total limit enforced down to each socket operation (`cluster_transport`), retries a
  per-request and a whole-read budget, and a wait the server asks for (Retry-After) a
  cap — never past the deadline;
- memory: an answer is streamed, its compressed and decompressed bytes counted against
  `max_response_bytes` (a gzip bomb stops at the cap), and its JSON nesting limited;
- a server that stops answering (several requests in a row failing after their retries)
  ends the read instead of being waited on kind after kind.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx2

from capsa.display import one_line
from capsa.sources.cluster_transport import Window

RETRYABLE = frozenset({429, 500, 502, 503, 504})
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
MAX_JSON_DEPTH = 200
"""Deepest nesting accepted in an answer (as for YAML files): recursive walkers stop near 1000."""
_MAX_ERROR_BODY = 64 * 1024
_MAX_MESSAGE = 300

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_VERSION = re.compile(r"v[0-9]+(?:(?:alpha|beta)[0-9]+)?")


def is_dns_label(name: str) -> bool:
    """RFC 1123 label, as Kubernetes requires of namespace names and resource plurals."""
    return bool(_DNS_LABEL.fullmatch(name))


def is_dns_subdomain(name: str) -> bool:
    """RFC 1123 subdomain, as Kubernetes requires of API group names."""
    return len(name) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(name))


def is_api_version(name: str) -> bool:
    """A Kubernetes API version: v1, v1beta2, v1alpha3."""
    return bool(_VERSION.fullmatch(name))


@dataclass(frozen=True)
class LiveLimits:
    """How far a live read may go. The defaults are documented in docs/security.md."""

    deadline: float = 180.0
    """Seconds for the whole read (`--timeout`): discovery, every list, every retry."""
    request_timeout: float = 30.0
    """Seconds for one request, answer included, however slowly it trickles in."""
    idle_timeout: float = 10.0
    """Seconds any one socket operation (connect, a read, a write) may wait."""
    max_response_bytes: int = 64 * 1024 * 1024
    """Bytes of one answer, after decompression."""
    max_pages: int = 200
    """Pages of one list (at 500 items a page: 100,000 objects of one kind)."""
    max_retries_total: int = 12
    """Retries of 429/5xx answers over the whole read."""
    max_wait_total: float = 45.0
    """Seconds spent waiting between retries over the whole read."""
    max_failures_in_a_row: int = 3
    """Requests failing in a row (after their retries) before the server is given up on."""
    exec_timeout: float = 30.0
    """Seconds a kubeconfig exec credential plugin may run."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one request: 429 and 5xx only."""

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (0-based); Retry-After wins, up to
        `max_delay`."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return float(min(self.base_delay * (2**attempt), self.max_delay))


@dataclass(frozen=True)
class ApiPath:
    """A URL path on the API server, built only from validated segments."""

    segments: tuple[str, ...]

    @classmethod
    def core(cls, version: str | None = None) -> ApiPath:
        """`/api` or `/api/<version>`."""
        return cls.of("api", *([version] if version is not None else []))

    @classmethod
    def group(cls, group: str | None = None, version: str | None = None) -> ApiPath:
        """`/apis`, or `/apis/<group>/<version>`."""
        if group is None:
            return cls.of("apis")
        return cls.of("apis", group, *([version] if version is not None else []))

    @classmethod
    def of(cls, *segments: str) -> ApiPath:
        for segment in segments:
            if not (is_dns_subdomain(segment) or is_api_version(segment)):
                raise ValueError(f"not a valid URL path segment: {one_line(segment[:80])!r}")
        return cls(tuple(segments))

    def child(self, *segments: str) -> ApiPath:
        return ApiPath.of(*self.segments, *segments)

    @property
    def wants_secrets(self) -> bool:
        """True for any path naming the core group's secrets resource."""
        return self.segments[:1] == ("api",) and "secrets" in self.segments[2:]

    def __str__(self) -> str:
        return "/" + "/".join(quote(s, safe="") for s in self.segments)


class ApiFailure(Exception):
    """A request that did not produce a usable answer. `code` is None for transport errors.
    `message` is safe to show: server text is shortened and made terminal-safe."""

    def __init__(self, path: str, code: int | None, reason: str, message: str) -> None:
        self.path = path
        self.code = code
        self.reason = one_line(reason[:80])
        self.message = one_line(message[:_MAX_MESSAGE])
        super().__init__(f"GET {path}: {code or self.reason}: {self.message}")


class ReadStopped(ApiFailure):
    """The whole read must stop: its deadline passed or the server stopped answering."""


class CredentialError(Exception):
    """Credentials could not be obtained (an exec plugin failed, a token is unusable).
    The message names the cause, never a credential or the plugin's output."""


@dataclass
class _Budget:
    retries: int
    wait: float
    failures_in_a_row: int = 0


def _http_status(response: httpx2.Response, body: bytes) -> tuple[str, str]:
    """(reason, message) of an error answer, from its Status object when there is one."""
    reason = response.reason_phrase or "Error"
    message = f"HTTP {response.status_code}"
    try:
        status = json.loads(body)
    except (ValueError, RecursionError):
        status = None
    if isinstance(status, dict) and status.get("kind") == "Status":
        reason = str(status.get("reason") or reason)
        message = str(status.get("message") or message)
    return reason, message


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def retry_after_seconds(value: str | None, date: str | None, now: datetime) -> float | None:
    """Retry-After as seconds to wait: delta-seconds, or an HTTP date relative to the
    answer's Date (else `now`; a date already past means no wait). Anything else —
    `nan`, `inf`, a negative number, text that is neither — is ignored (None), so the
    backoff decides."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _until_date(value, date, now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _until_date(value: str, date: str | None, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(value)
        base = parsedate_to_datetime(date) if date else now
        seconds = (when - base).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


@dataclass
class ReadOnlyApi:
    """GETs JSON documents from one API server within `limits`, and records each request."""

    client: httpx2.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = field(default=lambda _s: None)
    limits: LiveLimits = field(default_factory=LiveLimits)
    window: Window = field(default_factory=Window)
    log: list[tuple[str, str]] = field(default_factory=list)
    _budget: _Budget = field(init=False)
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._budget = _Budget(self.limits.max_retries_total, self.limits.max_wait_total)
        self._deadline = self.window.clock() + self.limits.deadline

    @property
    def clock(self) -> Callable[[], float]:
        return self.window.clock

    def time_left(self) -> float:
        return self._deadline - self.clock()

    def get_json(
        self, path: ApiPath, params: Mapping[str, str] | None = None, accept: str | None = None
    ) -> dict[str, Any]:
        """GET `path` and return the decoded object, retrying 429/5xx with backoff."""
        shown = str(path)
        if path.wants_secrets and accept != METADATA_ACCEPT:
            raise ApiFailure(shown, None, "Refused", "Secrets are only ever read as metadata")
        headers = {"Accept": accept or "application/json", "Accept-Encoding": "gzip"}
        query = dict(params or {})
        logged = shown + ("?" + str(httpx2.QueryParams(query)) if query else "")
        attempt = 0
        while True:
            self._check_deadline(shown)
            self.log.append(("GET", logged))
            try:
                code, response, body = self._send(shown, query, headers)
            except ApiFailure as lost:
                self._failed(lost)
                raise
            if code == 200:
                self._budget.failures_in_a_row = 0
                return self._decode(shown, body)
            reason, message = _http_status(response, body)
            refused = ApiFailure(shown, code, reason, message)
            if code not in RETRYABLE or not self._may_retry(attempt, response):
                self._failed(refused)
                raise refused
            attempt += 1

    # --- one request ----------------------------------------------------------------------

    def _send(
        self, shown: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, httpx2.Response, bytes]:
        self.window.until = self.clock() + min(self.limits.request_timeout, self.time_left())
        try:
            with self.client.stream("GET", shown, params=query, headers=headers) as response:
                if response.status_code == 200:
                    body = self._read_body(shown, response, self.limits.max_response_bytes)
                else:  # only its Status object is of use: read the start of it
                    body = self._read_body(shown, response, _MAX_ERROR_BODY, truncate=True)
                return response.status_code, response, body
        except httpx2.TimeoutException:
            raise ApiFailure(shown, None, "Timeout", "no complete answer in time") from None
        except (httpx2.LocalProtocolError, httpx2.UnsupportedProtocol):
            # the request itself could not be sent (an invalid header); its text may quote one
            raise ApiFailure(shown, None, "BadRequest", "the request could not be sent") from None
        except httpx2.HTTPError as exc:
            raise ApiFailure(shown, None, "Unreachable", _transport_reason(exc)) from None
        except CredentialError as exc:
            raise ReadStopped(shown, None, "Credentials", str(exc)) from None
        finally:
            self.window.until = float("inf")

    def _read_body(
        self, shown: str, response: httpx2.Response, cap: int, *, truncate: bool = False
    ) -> bytes:
        """The decoded body, at most `cap` bytes: over it, an ApiFailure (or, with
        `truncate`, the first `cap` bytes)."""
        code = response.status_code
        too_large = ApiFailure(shown, code, "TooLarge", f"answer over {cap} bytes; not read")
        declared = response.headers.get("Content-Length", "")
        if not truncate and declared.isdigit() and int(declared) > cap:
            raise too_large
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", ""):
            raise ApiFailure(shown, code, "BadResponse", "answer in an unsupported encoding")
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in _decoded(response.iter_raw(), encoding == "gzip", cap):
                if self.clock() > self.window.until:  # also bounded behind a proxy
                    raise ApiFailure(shown, None, "Timeout", "no complete answer in time")
                chunks.append(chunk)
                total += len(chunk)
                if total > cap:
                    if truncate:
                        break
                    raise too_large
        except zlib.error:
            raise ApiFailure(shown, code, "BadResponse", "answer is not valid gzip") from None
        return b"".join(chunks)[: cap if truncate else None]

    def _decode(self, shown: str, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except RecursionError:
            raise ApiFailure(shown, 200, "BadResponse", "answer nested too deeply") from None
        except ValueError:
            raise ApiFailure(shown, 200, "BadResponse", "answer is not JSON") from None
        if not isinstance(data, dict):
            raise ApiFailure(shown, 200, "BadResponse", "answer is not a JSON object")
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ApiFailure(
                shown, 200, "BadResponse", f"answer nested deeper than {MAX_JSON_DEPTH} levels"
            )
        return data

    # --- budgets --------------------------------------------------------------------------

    def _check_deadline(self, shown: str) -> None:
        if self.time_left() <= 0:
            raise ReadStopped(
                shown,
                None,
                "Deadline",
                f"the live read's time limit ({self.limits.deadline:g} s, --timeout) was reached",
            )

    def _failed(self, failure: ApiFailure) -> None:
        if isinstance(failure, ReadStopped):
            return
        if failure.code is None or failure.code in RETRYABLE:
            self._budget.failures_in_a_row += 1
        else:
            self._budget.failures_in_a_row = 0
        if self._budget.failures_in_a_row >= self.limits.max_failures_in_a_row:
            raise ReadStopped(
                failure.path,
                failure.code,
                "Unavailable",
                f"{self._budget.failures_in_a_row} requests in a row failed "
                f"(last: {failure.code or failure.reason}: {failure.message}); stopped reading",
            )

    def _may_retry(self, attempt: int, response: httpx2.Response) -> bool:
        """Wait before a retry when the budgets allow it; False when they do not."""
        if attempt >= self.policy.max_retries or self._budget.retries <= 0:
            return False
        asked = retry_after_seconds(
            response.headers.get("Retry-After"), response.headers.get("Date"), datetime.now(UTC)
        )
        wait = self.policy.delay(attempt, asked)
        if wait > self._budget.wait or wait >= self.time_left():
            return False
        self._budget.retries -= 1
        self._budget.wait -= wait
        self.sleep(wait)
        return True


def _decoded(raw: Iterator[bytes], gzip: bool, cap: int) -> Iterator[bytes]:
    """The body's bytes, gunzipped in bounded steps when `gzip` (at most cap + 1 bytes out
    of each step, so a small compressed chunk cannot expand into gigabytes at once)."""
    if not gzip:
        yield from raw
        return
    inflate = zlib.decompressobj(wbits=47)  # gzip or zlib header
    for chunk in raw:
        data = chunk
        while data:
            out = inflate.decompress(data, cap + 1)
            if out:
                yield out
            data = inflate.unconsumed_tail
        if inflate.eof:
            return
    tail = inflate.flush()
    if tail:
        yield tail


def _transport_reason(exc: httpx2.HTTPError) -> str:
    """Why a request failed at the transport level, without the request's own content."""
    name = type(exc).__name__
    if isinstance(exc, httpx2.ConnectError | httpx2.RemoteProtocolError):
        return f"{name}: {one_line(str(exc)[:160])}" if str(exc) else name
    return name
