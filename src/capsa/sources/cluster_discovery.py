"""API discovery: which Cluster API, provider and core kinds a cluster serves, at which version.

Walks `/api`, `/apis` and each group version's resource list the way kubectl does, keeps the
kinds an assessment needs, and picks the newest served version of each kind (GA before
beta before alpha, higher numbers first).

Discovery answers come from the server and go into later URLs, so every name is checked
before use: a group must be a DNS subdomain, a version look like `v1beta2`, a plural be a
DNS label and a kind a plain identifier; any other entry is skipped and counted as
malformed, never requested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from capsa.sources.cluster_http import (
    ApiFailure,
    ApiPath,
    ReadOnlyApi,
    ReadStopped,
    is_api_version,
    is_dns_label,
    is_dns_subdomain,
)

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

# The kinds capsa's analyses read, by group: when discovery of a group fails, those of its
# kinds found at no other version were not read (never absent: nothing said they are not
# served). Built-in kinds follow WANTED_BUILTIN; Cluster API kinds are those the live and
# manifest analyses look up by kind.
KIND_GROUPS: dict[str, str] = {
    "Namespace": "",
    "ResourceQuota": "",
    "ServiceAccount": "",
    "Secret": "",
    "Pod": "",
    "Deployment": "apps",
    "Role": "rbac.authorization.k8s.io",
    "ClusterRole": "rbac.authorization.k8s.io",
    "RoleBinding": "rbac.authorization.k8s.io",
    "ClusterRoleBinding": "rbac.authorization.k8s.io",
    "Cluster": "cluster.x-k8s.io",
    "ClusterClass": "cluster.x-k8s.io",
    "Machine": "cluster.x-k8s.io",
    "MachineSet": "cluster.x-k8s.io",
    "MachineDeployment": "cluster.x-k8s.io",
    "MachinePool": "cluster.x-k8s.io",
    "MachineHealthCheck": "cluster.x-k8s.io",
    "KubeadmConfig": "bootstrap.cluster.x-k8s.io",
    "KubeadmConfigTemplate": "bootstrap.cluster.x-k8s.io",
    "KubeadmControlPlane": "controlplane.cluster.x-k8s.io",
    "KubeadmControlPlaneTemplate": "controlplane.cluster.x-k8s.io",
    "AWSManagedControlPlane": "controlplane.cluster.x-k8s.io",
    "AWSCluster": "infrastructure.cluster.x-k8s.io",
    "AWSClusterTemplate": "infrastructure.cluster.x-k8s.io",
    "AWSMachine": "infrastructure.cluster.x-k8s.io",
    "AWSMachineTemplate": "infrastructure.cluster.x-k8s.io",
    "AWSClusterStaticIdentity": "infrastructure.cluster.x-k8s.io",
    "AWSClusterRoleIdentity": "infrastructure.cluster.x-k8s.io",
    "AWSClusterControllerIdentity": "infrastructure.cluster.x-k8s.io",
    "ClusterResourceSet": "addons.cluster.x-k8s.io",
    "ClusterResourceSetBinding": "addons.cluster.x-k8s.io",
    "Provider": "clusterctl.cluster.x-k8s.io",
}
GROUP_LIST = "/apis"

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")


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

    def list_path(self, namespace: str | None) -> ApiPath:
        """The collection URL, cluster-wide when `namespace` is None (built from validated
        parts: a namespace that is not a DNS label raises ValueError)."""
        base = ApiPath.group(self.group, self.version) if self.group else ApiPath.core(self.version)
        if namespace is not None and self.namespaced:
            return base.child("namespaces", namespace, self.plural)
        return base.child(self.plural)


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


def _resources(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The entries of an APIResourceList, and how many were not even mappings."""
    entries = doc.get("resources")
    if not isinstance(entries, list):
        return [], 1 if entries is not None else 0
    good = [e for e in entries if isinstance(e, dict)]
    return good, len(entries) - len(good)


def _read_group_version(
    api: ReadOnlyApi, group: str, version: str, seen: dict[tuple[str, str], ServedKind]
) -> int:
    """Record the wanted kinds one group version serves; returns the malformed entries."""
    path = ApiPath.group(group, version) if group else ApiPath.core(version)
    entries, malformed = _resources(api.get_json(path))
    for entry in entries:
        plural, kind, verbs = entry.get("name"), entry.get("kind"), entry.get("verbs")
        if isinstance(plural, str) and "/" in plural:
            continue  # a subresource
        if not (
            isinstance(plural, str)
            and is_dns_label(plural)
            and isinstance(kind, str)
            and _KIND.fullmatch(kind)
            and isinstance(verbs, list)
        ):
            malformed += 1
            continue
        if "list" not in verbs or not _wanted(group, plural):
            continue
        key = (group, plural)
        if key not in seen:  # versions are visited newest first
            seen[key] = ServedKind(group, version, kind, plural, entry.get("namespaced") is True)
    return malformed


def _versions(values: Any) -> tuple[list[str], int]:
    """Valid version strings of a discovery list, and how many entries were not."""
    if not isinstance(values, list):
        return [], 1 if values is not None else 0
    good = [v for v in values if isinstance(v, str) and is_api_version(v)]
    return good, len(values) - len(good)


def _groups(doc: dict[str, Any]) -> tuple[list[tuple[str, list[str]]], int]:
    """(group, versions) of an APIGroupList, and how many entries were malformed."""
    raw = doc.get("groups")
    if not isinstance(raw, list):
        return [], 1 if raw is not None else 0
    out: list[tuple[str, list[str]]] = []
    malformed = 0
    for group in raw:
        name = group.get("name") if isinstance(group, dict) else None
        listed = group.get("versions") if isinstance(group, dict) else None
        if not isinstance(name, str) or not is_dns_subdomain(name) or not isinstance(listed, list):
            malformed += 1
            continue
        versions, bad = _versions(
            [v.get("version") if isinstance(v, dict) else None for v in listed]
        )
        malformed += bad
        out.append((name, versions))
    return out, malformed


def discover(api: ReadOnlyApi) -> Discovery:
    """Find the kinds to read. Raises ApiFailure only when `/api` itself cannot be read
    or names no valid version."""
    seen: dict[tuple[str, str], ServedKind] = {}
    unreadable: list[tuple[str, str]] = []
    core = api.get_json(ApiPath.core())
    core_versions, malformed = _versions(core.get("versions"))
    if not core_versions:
        raise ApiFailure("/api", 200, "BadResponse", "discovery answer names no API version")
    targets: list[tuple[str, str]] = [("", v) for v in core_versions]
    try:
        groups, bad = _groups(api.get_json(ApiPath.group()))
        malformed += bad
    except ReadStopped:
        raise
    except ApiFailure as exc:
        groups = []
        unreadable.append((GROUP_LIST, f"{exc.code or exc.reason}: {exc.message}"))
    for name, versions in groups:
        if name not in CAPI_GROUPS and name not in WANTED_BUILTIN:
            continue
        targets.extend((name, v) for v in sorted(versions, key=version_rank, reverse=True))
    for group_name, version in targets:
        try:
            malformed += _read_group_version(api, group_name, version, seen)
        except ReadStopped:
            raise
        except ApiFailure as exc:
            if exc.code == 404:  # the group version went away between calls: nothing served
                continue
            label = f"{group_name}/{version}" if group_name else version
            unreadable.append((label, f"{exc.code or exc.reason}: {exc.message}"))
    if malformed:
        unreadable.append(("discovery", f"{malformed} malformed entries skipped"))
    ordered = sorted(seen.values(), key=lambda k: (k.group, k.plural))
    return Discovery(tuple(ordered), tuple(unreadable))


def hidden_kinds(found: Discovery) -> dict[str, str]:
    """Kinds of `KIND_GROUPS` that a failed discovery document may have hidden, with why:
    those of a group whose version list (or, `/apis` failing, of every named group) could
    not be read and that no other version served."""
    served = {k.kind for k in found.kinds}
    out: dict[str, str] = {}
    for label, reason in found.unreadable:
        if label == "discovery":
            continue  # malformed entries: skipped, counted, named by no group
        group = None if label == GROUP_LIST else (label.rsplit("/", 1)[0] if "/" in label else "")
        for kind, of in KIND_GROUPS.items():
            if kind in served or kind in out or (group is not None and of != group):
                continue
            if group is None and of == "":
                continue  # /apis lists the named groups; the core group is /api
            out[kind] = f"discovery of {label} failed ({reason})"
    return out
