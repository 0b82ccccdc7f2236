"""A live management cluster as a source of Resources, read-only and with Secrets as metadata.

Builds the HTTP client from the kubeconfig (`cluster_config`: contexts, tokens, client
certificates, exec plugins, TLS settings), then sends only GETs through `ReadOnlyApi`,
within `LiveLimits` (a deadline for the whole read, caps on pages, bytes and retries).
Objects whose metadata lacks the shape Kubernetes guarantees are skipped and counted.
Secrets are listed as `PartialObjectMetadataList`: names, labels, annotations (minus
`kubectl.kubernetes.io/last-applied-configuration`, which can embed data), owner references
and creation times. A Secret's `type` is not part of its metadata, so it is never known here.
Pods are read only in provider namespaces and kept as metadata plus status.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from capsa.display import display_path, one_line
from capsa.errors import Problem
from capsa.sources.cluster_config import KubeconfigError, connect
from capsa.sources.cluster_discovery import ServedKind, discover, hidden_kinds
from capsa.sources.cluster_http import (
    ApiFailure,
    LiveLimits,
    ReadOnlyApi,
    ReadStopped,
    RetryPolicy,
    is_dns_label,
)
from capsa.sources.cluster_list import list_kind
from capsa.sources.controllers import controller_namespaces
from capsa.sources.resource import Origin, Resource

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_POD_KEEP = ("apiVersion", "kind", "metadata", "status")
METADATA_ONLY = (
    "not read: capsa lists Secrets as metadata only (PartialObjectMetadata) and never reads "
    "their values; the API gives a Secret's type and key names only with the values"
)
POD_NOT_READ = (
    "not read: capsa keeps a Pod's metadata and status only (its spec is the Deployment's)"
)
# Fields of live objects capsa deliberately does not read: a check reading them there is
# unknown with this reason (`capsa.checks.engine`), never judged on their absence.
WITHHELD: dict[str, dict[tuple[str | int, ...], str]] = {
    "Secret": {
        ("data",): METADATA_ONLY,
        ("stringData",): METADATA_ONLY,
        ("type",): METADATA_ONLY,
    },
    "Pod": {("spec",): POD_NOT_READ},
}


@dataclass(frozen=True)
class ClusterReadResult:
    """Everything read from one cluster, what could not be read, and every request sent.
    `kinds_read` and `kinds_failed` count the lists attempted; `stopped` says why the
    read ended early (deadline, server gone), if it did. `unread` names each kind not
    (or not fully) read and why: a list that failed, a group whose discovery failed, Pods
    whose namespaces could not be found; such a kind is unknown, never absent."""

    resources: list[Resource]
    problems: list[Problem]
    not_assessable: list[tuple[str, str]]
    requests: list[tuple[str, str]]
    context: str = ""
    kinds_read: int = 0
    kinds_failed: int = 0
    stopped: str | None = None
    unread: dict[str, str] = field(default_factory=dict)

    @property
    def unusable(self) -> bool:
        """True when nothing of the cluster could be read: the read gives no evidence."""
        return not self.resources or self.kinds_read == 0


def _clean_metadata(item: dict[str, Any]) -> dict[str, Any] | None:
    """The item's metadata when it has the shape Kubernetes guarantees (a mapping with a
    name, string labels and annotations); None for an item that cannot be used."""
    meta = item.get("metadata")
    if not isinstance(meta, dict):
        return None
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name or not isinstance(namespace, str | None):
        return None
    clean = dict(meta)
    clean.pop("managedFields", None)
    for key in ("labels", "annotations"):
        value = clean.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            clean.pop(key)
            continue
        clean[key] = {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
    return clean


@dataclass
class _Reader:
    api: ReadOnlyApi
    context: str
    where: str
    page_size: int
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_assessable: list[tuple[str, str]] = field(default_factory=list)
    kinds_read: int = 0
    kinds_failed: int = 0
    unread: dict[str, str] = field(default_factory=dict)

    def read(self, kind: ServedKind, namespaces: Sequence[str | None]) -> list[Resource]:
        """List one kind in each namespace given; failures are recorded, never raised
        (except ReadStopped: the whole read ends)."""
        found: list[Resource] = []
        secret = kind.group == "" and kind.plural == "secrets"
        failed = False
        for namespace in namespaces if kind.namespaced else [None]:
            try:
                items = list_kind(self.api, kind, namespace, self.page_size, metadata_only=secret)
            except ReadStopped:
                raise
            except ApiFailure as exc:
                self._failed(kind, namespace, exc)
                failed = True
                continue
            skipped = 0
            for item in items:
                resource = self._resource(kind, item)
                if resource is None:
                    skipped += 1
                else:
                    found.append(resource)
            if skipped:
                message = (
                    f"{skipped} {kind.kind} object(s) without a usable name or metadata skipped"
                )
                path = f"{self.where}{kind.list_path(namespace)}"
                self.problems.append(Problem(path, None, None, message))
        if failed:
            self.kinds_failed += 1
        else:
            self.kinds_read += 1
        self.resources.extend(found)
        return found

    def _failed(self, kind: ServedKind, namespace: str | None, exc: ApiFailure) -> None:
        scope = f" in namespace {namespace}" if namespace else ""
        if exc.code in (401, 403):
            reason = f"not allowed to list {kind.plural}{scope} ({exc.code} {exc.reason})"
        elif exc.code == 404:
            reason = f"{kind.api_version} {kind.plural} is not served{scope} (404)"
        else:
            reason = f"could not list {kind.plural}{scope}: {exc.code or exc.reason}: {exc.message}"
            self.problems.append(Problem(f"{self.where}{exc.path}", None, None, reason))
        self.unreadable(kind.kind, reason)

    def unreadable(self, kind: str, reason: str) -> None:
        """`kind` was not read, for `reason`: not assessed, and unread for the checks."""
        self.not_assessable.append((kind, reason))
        self.unread.setdefault(kind, reason)

    def _resource(self, kind: ServedKind, item: dict[str, Any]) -> Resource | None:
        meta = _clean_metadata(item)
        if meta is None:
            return None
        if kind.kind == "Secret":
            annotations = dict(meta.get("annotations") or {})
            annotations.pop(LAST_APPLIED, None)
            if annotations:
                meta["annotations"] = annotations
            else:
                meta.pop("annotations", None)
            body: dict[str, Any] = {"metadata": meta}
        elif kind.kind == "Pod":
            body = {k: item[k] for k in _POD_KEEP if k in item}
            body["metadata"] = meta
        else:
            body = dict(item)
            body["metadata"] = meta
        body["apiVersion"] = kind.api_version
        body["kind"] = kind.kind
        namespace = meta.get("namespace") if kind.namespaced else None
        name = str(meta["name"])
        origin = Origin(f"cluster://{self.context}/{namespace or ''}/{kind.kind}/{name}")
        withheld = WITHHELD.get(kind.kind, {}) if kind.group == "" else {}
        return Resource(
            kind.api_version,
            kind.kind,
            namespace,
            name,
            body,
            origin,
            unknown_paths=frozenset(withheld),
            unknown_reasons=dict(withheld),
        )


def _provider_namespaces(resources: Sequence[Resource]) -> list[str]:
    """Namespaces running Cluster API controllers, by the rule the checks judge them with
    (`capsa.sources.controllers.controller_namespaces`): Pods are listed exactly where
    `LiveIndex.provider_namespaces` will look for them."""
    return sorted(ns for ns in controller_namespaces(resources) if is_dns_label(ns))


def _bad_namespaces(namespaces: Sequence[str]) -> list[Problem]:
    return [
        Problem(
            "--namespace",
            None,
            None,
            f"{one_line(ns[:70])!r} is not a namespace name (a DNS label: lowercase letters, "
            "digits and '-', at most 63 characters); nothing was requested",
        )
        for ns in namespaces
        if not is_dns_label(ns)
    ]


def read_cluster(
    kubeconfig: str | None,
    context: str | None,
    namespaces: Sequence[str] = (),
    page_size: int = 500,
    *,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    limits: LiveLimits | None = None,
) -> ClusterReadResult:
    """Read the Cluster API, provider and security-relevant core objects of a cluster.

    `namespaces` limits namespaced kinds to those namespaces (cluster-scoped kinds are
    always read); a name that is not a DNS label is refused before any request.
    `timeout` overrides the per-operation (idle) timeout of `limits`. Nothing is raised
    for unusable input or API failures: they come back as problems and not-assessable
    kinds, next to the log of every (GET) request sent.
    """
    bounds = limits or LiveLimits()
    if timeout is not None:
        bounds = replace(bounds, idle_timeout=timeout, request_timeout=max(timeout, 1.0))
    where = display_path(kubeconfig or "kubeconfig")
    refused = _bad_namespaces(namespaces)
    if refused:
        return ClusterReadResult([], refused, [], [])
    try:
        connection = connect(kubeconfig, context, bounds)
    except KubeconfigError as exc:
        return ClusterReadResult([], [Problem(where, None, None, str(exc))], [], [])
    api = ReadOnlyApi(connection.client, retry or RetryPolicy(), sleep, bounds, connection.window)
    context_name = connection.context
    reader = _Reader(api, context_name, f"cluster://{context_name}", max(1, page_size))
    stopped: str | None = None
    try:
        stopped = _read_all(api, reader, namespaces)
    finally:
        connection.client.close()
    return ClusterReadResult(
        reader.resources,
        reader.problems,
        reader.not_assessable,
        api.log,
        context_name,
        reader.kinds_read,
        reader.kinds_failed,
        stopped,
        reader.unread,
    )


def _read_all(api: ReadOnlyApi, reader: _Reader, namespaces: Sequence[str]) -> str | None:
    """Discover and list every kind; returns why the read stopped early, if it did."""
    try:
        found = discover(api)
    except ApiFailure as exc:
        message = f"cannot discover the API: {exc.code or exc.reason}: {exc.message}"
        reader.problems.append(Problem(f"{reader.where}{exc.path}", None, None, message))
        return message if isinstance(exc, ReadStopped) else None
    for label, reason in found.unreadable:
        reader.not_assessable.append((label, f"discovery failed: {reason}"))
    for hidden, reason in hidden_kinds(found).items():
        reader.unread.setdefault(hidden, reason)
    if not found.kinds:
        message = "discovery found none of the kinds capsa reads"
        reader.problems.append(Problem(reader.where, None, None, message))
        return None
    scope: list[str | None] = list(namespaces) if namespaces else [None]
    pods = next((k for k in found.kinds if k.group == "" and k.plural == "pods"), None)
    pending = [k for k in found.kinds if k is not pods]
    try:
        while pending:
            reader.read(pending[0], scope)
            pending.pop(0)
        if pods is not None:
            pending = [pods]
            provider_ns = _provider_namespaces(reader.resources)
            if namespaces:
                provider_ns = [ns for ns in provider_ns if ns in namespaces]
            reader.read(pods, list(provider_ns))
            pending = []
            for source in ("Deployment", "Provider"):
                if source in reader.unread:
                    why = reader.unread[source]
                    reader.unread.setdefault(
                        "Pod",
                        "Pods are listed in the controllers' namespaces, found from "
                        f"Deployments and Providers; {source}s were not read ({why})",
                    )
    except ReadStopped as stop:
        reason = f"{stop.reason}: {stop.message}"
        for kind in pending:
            reader.unreadable(kind.kind, f"not read: the read stopped ({reason})")
            reader.kinds_failed += 1
        left = ", ".join(k.kind for k in pending) or "none"
        message = f"live read stopped early ({reason}); kinds not read: {left}"
        reader.problems.append(Problem(reader.where, None, None, message))
        return reason
    return None


def read_problems(result: ClusterReadResult, where: str) -> list[Problem]:
    """What a scan must say about a live read besides its own problems: that nothing could
    be read (the scan is then unusable), or which kinds are missing from a partial read."""
    if result.unusable:
        failed = sorted({kind for kind, _ in result.not_assessable})
        detail = f": {', '.join(failed)} could not be read" if failed else ""
        return [Problem(where, None, None, f"nothing could be read from the cluster{detail}")]
    missing = sorted({f"{kind} ({why})" for kind, why in result.not_assessable})
    if not missing:
        return []
    shown = "; ".join(missing[:12]) + (
        f"; and {len(missing) - 12} more" if len(missing) > 12 else ""
    )
    return [Problem(where, None, None, f"partial read, not assessed: {shown}")]
