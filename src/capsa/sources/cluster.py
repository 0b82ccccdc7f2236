"""A live management cluster as a source of Resources, read-only and with Secrets as metadata.

Uses lightkube's kubeconfig handling (contexts, tokens, client certificates, exec plugins,
TLS settings) to build the HTTP client, then sends only GETs through `ReadOnlyApi`.
Secrets are listed as `PartialObjectMetadataList`: names, labels, annotations (minus
`kubectl.kubernetes.io/last-applied-configuration`, which can embed data), owner references
and creation times. A Secret's `type` is not part of its metadata, so it is never known here.
Pods are read only in provider namespaces and kept as metadata plus status.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from capsa.errors import Problem
from capsa.sources.cluster_discovery import ServedKind, discover
from capsa.sources.cluster_http import ApiFailure, ReadOnlyApi, RetryPolicy
from capsa.sources.cluster_list import list_kind
from capsa.sources.resource import Origin, Resource

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PROVIDER_LABEL = "cluster.x-k8s.io/provider"
_POD_KEEP = ("apiVersion", "kind", "metadata", "status")


@dataclass(frozen=True)
class ClusterReadResult:
    """Everything read from one cluster, what could not be read, and every request sent."""

    resources: list[Resource]
    problems: list[Problem]
    not_assessable: list[tuple[str, str]]
    requests: list[tuple[str, str]]
    context: str = ""


@dataclass
class _Reader:
    api: ReadOnlyApi
    context: str
    where: str
    page_size: int
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_assessable: list[tuple[str, str]] = field(default_factory=list)

    def read(self, kind: ServedKind, namespaces: Sequence[str | None]) -> list[Resource]:
        """List one kind in each namespace given; failures are recorded, never raised."""
        found: list[Resource] = []
        secret = kind.group == "" and kind.plural == "secrets"
        for namespace in namespaces if kind.namespaced else [None]:
            try:
                items = list_kind(self.api, kind, namespace, self.page_size, metadata_only=secret)
            except ApiFailure as exc:
                self._failed(kind, namespace, exc)
                continue
            found.extend(self._resource(kind, item) for item in items)
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
        self.not_assessable.append((kind.kind, reason))

    def _resource(self, kind: ServedKind, item: dict[str, Any]) -> Resource:
        meta = dict(item.get("metadata") or {})
        meta.pop("managedFields", None)
        if kind.kind == "Secret":
            annotations = {k: v for k, v in (meta.get("annotations") or {}).items()}
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
        name = str(meta.get("name", ""))
        origin = Origin(f"cluster://{self.context}/{namespace or ''}/{kind.kind}/{name}")
        return Resource(kind.api_version, kind.kind, namespace, name, body, origin)


def _client(kubeconfig: str | None, context: str | None, timeout: float) -> tuple[Any, str]:
    """Build lightkube's HTTP client for the chosen context; raises ValueError with a reason."""
    import httpx2
    import yaml
    from lightkube.config import client_adapter
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    try:
        config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
        single = config.get(context)
        if single is None:
            raise ValueError("kubeconfig has no current context; pass --context")
        if single.user is None:
            raise ValueError(f"context {single.context_name!r} names no user")
        params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(timeout))
        return client_adapter.Client(single, params), str(single.context_name)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    except yaml.MarkedYAMLError as exc:  # its text quotes the line, which may hold a token
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(
            f"kubeconfig cannot be used: not valid YAML{where}: {exc.problem or exc.context}"
        ) from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"kubeconfig is malformed ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # yaml, msgspec and ssl errors from a broken file
        if isinstance(exc, ValueError):
            raise
        raise ValueError(f"kubeconfig cannot be used ({type(exc).__name__}: {exc})") from None


def _provider_namespaces(resources: Iterable[Resource]) -> list[str]:
    """Namespaces running Cluster API controllers: labelled Deployments and clusterctl Providers."""
    found: set[str] = set()
    for res in resources:
        if res.namespace is None:
            continue
        labels = (res.body.get("metadata") or {}).get("labels") or {}
        if (res.kind == "Deployment" and PROVIDER_LABEL in labels) or (
            res.kind == "Provider" and res.group == "clusterctl.cluster.x-k8s.io"
        ):
            found.add(res.namespace)
    return sorted(found)


def read_cluster(
    kubeconfig: str | None,
    context: str | None,
    namespaces: Sequence[str] = (),
    page_size: int = 500,
    *,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ClusterReadResult:
    """Read the Cluster API, provider and security-relevant core objects of a cluster.

    `namespaces` limits namespaced kinds to those namespaces (cluster-scoped kinds are
    always read). Nothing is raised for unusable input or API failures: they come back as
    problems and not-assessable kinds, next to the log of every (GET) request sent.
    """
    where = kubeconfig or "kubeconfig"
    try:
        client, context_name = _client(kubeconfig, context, timeout)
    except ValueError as exc:
        return ClusterReadResult([], [Problem(where, None, None, str(exc))], [], [])
    api = ReadOnlyApi(client, retry or RetryPolicy(), sleep)
    reader = _Reader(api, context_name, f"cluster://{context_name}", max(1, page_size))
    try:
        try:
            found = discover(api)
        except ApiFailure as exc:
            message = f"cannot discover the API: {exc.code or exc.reason}: {exc.message}"
            reader.problems.append(Problem(f"{reader.where}{exc.path}", None, None, message))
            return ClusterReadResult([], reader.problems, [], api.log, context_name)
        for label, reason in found.unreadable:
            reader.not_assessable.append((label, f"discovery failed: {reason}"))
        scope: list[str | None] = list(namespaces) if namespaces else [None]
        pods: ServedKind | None = None
        for kind in found.kinds:
            if kind.group == "" and kind.plural == "pods":
                pods = kind
                continue
            reader.read(kind, scope)
        if pods is not None:
            provider_ns = _provider_namespaces(reader.resources)
            if namespaces:
                provider_ns = [ns for ns in provider_ns if ns in namespaces]
            reader.read(pods, list(provider_ns))
    finally:
        client.close()
    return ClusterReadResult(
        reader.resources, reader.problems, reader.not_assessable, api.log, context_name
    )
