"""API discovery: which Cluster API, provider and core kinds a cluster serves, at which version.

Walks `/api`, `/apis` and each group version's resource list the way kubectl does, keeps the
kinds an assessment needs, and picks the newest served version of each kind (GA before
beta before alpha, higher numbers first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from capsa.sources.cluster_http import ApiFailure, ReadOnlyApi

CAPI_GROUPS = frozenset(
    {
        "cluster.x-k8s.io",
        "bootstrap.cluster.x-k8s.io",
        "controlplane.cluster.x-k8s.io",
        "infrastructure.cluster.x-k8s.io",
        "addons.cluster.x-k8s.io",
        "clusterctl.cluster.x-k8s.io",
    }
)

# Plurals read from the built-in groups; every kind of the Cluster API groups is read.
WANTED_BUILTIN: dict[str, frozenset[str]] = {
    "": frozenset({"namespaces", "resourcequotas", "serviceaccounts", "secrets", "pods"}),
    "apps": frozenset({"deployments"}),
    "rbac.authorization.k8s.io": frozenset(
        {"roles", "clusterroles", "rolebindings", "clusterrolebindings"}
    ),
}

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


@dataclass(frozen=True)
class ServedKind:
    """One listable kind at the version capsa will read it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def list_path(self, namespace: str | None) -> str:
        """The collection URL, cluster-wide when `namespace` is None."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


@dataclass(frozen=True)
class Discovery:
    """What discovery found, plus the group versions it could not read and why."""

    kinds: tuple[ServedKind, ...]
    unreadable: tuple[tuple[str, str], ...]


def version_rank(version: str) -> tuple[int, int, int]:
    """Sort key, higher is newer: v1 > v1beta2 > v1beta1 > v1alpha3; unknown shapes last."""
    match = _VERSION.match(version)
    if match is None:
        return (-1, 0, 0)
    major = int(match.group(1))
    stage = {"alpha": 0, "beta": 1, None: 2}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, major, minor)


def _wanted(group: str, plural: str) -> bool:
    if group in CAPI_GROUPS:
        return True
    return plural in WANTED_BUILTIN.get(group, frozenset())


def _read_group_version(
    api: ReadOnlyApi, group: str, version: str, seen: dict[tuple[str, str], ServedKind]
) -> None:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    doc = api.get_json(path)
    for entry in doc.get("resources") or []:
        if not isinstance(entry, dict):
            continue
        plural = str(entry.get("name", ""))
        verbs = entry.get("verbs") or []
        if "/" in plural or "list" not in verbs or not _wanted(group, plural):
            continue
        key = (group, plural)
        if key not in seen:  # versions are visited newest first
            seen[key] = ServedKind(
                group, version, str(entry.get("kind", "")), plural, bool(entry.get("namespaced"))
            )


def discover(api: ReadOnlyApi) -> Discovery:
    """Find the kinds to read. Raises ApiFailure only when `/api` itself cannot be read."""
    seen: dict[tuple[str, str], ServedKind] = {}
    unreadable: list[tuple[str, str]] = []
    core = api.get_json("/api")
    targets: list[tuple[str, str]] = [("", str(v)) for v in core.get("versions") or []]
    try:
        groups = api.get_json("/apis").get("groups") or []
    except ApiFailure as exc:
        groups = []
        unreadable.append(("/apis", f"{exc.code or exc.reason}: {exc.message}"))
    for group in groups:
        name = str(group.get("name", ""))
        if name not in CAPI_GROUPS and name not in WANTED_BUILTIN:
            continue
        versions = [str(v.get("version", "")) for v in group.get("versions") or []]
        targets.extend((name, v) for v in sorted(versions, key=version_rank, reverse=True))
    for group_name, version in targets:
        try:
            _read_group_version(api, group_name, version, seen)
        except ApiFailure as exc:
            if exc.code == 404:  # the group version went away between calls: nothing served
                continue
            label = f"{group_name}/{version}" if group_name else version
            unreadable.append((label, f"{exc.code or exc.reason}: {exc.message}"))
    ordered = sorted(seen.values(), key=lambda k: (k.group, k.plural))
    return Discovery(tuple(ordered), tuple(unreadable))
