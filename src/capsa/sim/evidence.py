"""Deployment settings read from a scan: per cluster and machine role, whether a
MachineHealthCheck covers the machines, its node-startup timeout, whether remediation is
capped; and the bootstrap token TTL from the live check that reads it.

A setting found on an object is `evidence` (with the object's file:line); one looked for
among the inputs and not found is `absent` (the inputs may not hold all the cluster
runs); without a scan, or for what no input can show, the upstream default stands as
`assumed`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from capsa.capi.clusters import ClusterView
from capsa.capi.context import ROLE_CONTROL_PLANE, ROLE_WORKER, HealthCheck
from capsa.checks.findings import Finding
from capsa.display import shown
from capsa.graph.deployment import cluster_keys
from capsa.kube import dig
from capsa.live.bootstrap import TTL_FLAG, parse_go_duration
from capsa.scan.result import ScanResult
from capsa.sim.settings import SettingCatalogue, SettingValue
from capsa.sources.resource import Resource

MHC = "machine-health-check"
TIMEOUT = "node-startup-timeout"
CAPPED = "remediation-capped"
TTL = "bootstrap-token-ttl"
TTL_CHECK = "CAPSA-LIVE-004"
CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane"
ROLES = (ROLE_CONTROL_PLANE, ROLE_WORKER)
NO_EVIDENCE = "no deployment evidence"


@dataclass(frozen=True)
class Scope:
    """One cluster's machines of one role, and the settings that apply to them."""

    name: str
    role: str | None
    settings: Mapping[str, SettingValue]


Display = Callable[[str], str]


def _same(path: str) -> str:
    return path


def _where(resource: Resource, display: Display) -> str:
    line = f":{resource.origin.line}" if resource.origin.line else ""
    name = shown(f"{resource.namespace or 'default'}/{resource.name}")
    return f"{resource.kind} {name} ({display(resource.origin.path)}{line})"


def _selects_control_plane(body: Mapping[str, Any]) -> bool:
    selector = dig(body, "spec", "selector")
    labels = dig(selector, "matchLabels")
    if isinstance(labels, Mapping) and CONTROL_PLANE_LABEL in labels:
        return True
    expressions = dig(selector, "matchExpressions")
    return isinstance(expressions, list) and any(
        isinstance(e, Mapping) and e.get("key") == CONTROL_PLANE_LABEL for e in expressions
    )


@dataclass(frozen=True)
class _Check:
    """A health check of a cluster with what the scan shows of it."""

    check: HealthCheck
    resource: Resource | None
    display: Display

    @property
    def role(self) -> str:
        if self.resource is not None:
            control = _selects_control_plane(self.resource.body)
            return ROLE_CONTROL_PLANE if control else ROLE_WORKER
        return ROLE_CONTROL_PLANE if self.check.name == "control-plane" else ROLE_WORKER

    @property
    def label(self) -> str:
        if self.resource is not None:
            return _where(self.resource, self.display)
        return f"{self.check.source} health check {shown(self.check.name)!r}"

    def startup_timeout(self) -> int | None:
        """nodeStartupTimeout in seconds as written (v1beta2 or v1beta1), else None."""
        body = self.resource.body if self.resource is not None else None
        seconds = dig(body, "spec", "checks", "nodeStartupTimeoutSeconds")
        if isinstance(seconds, int) and not isinstance(seconds, bool):
            return seconds
        text = dig(body, "spec", "nodeStartupTimeout")
        parsed = parse_go_duration(text) if isinstance(text, str) else None
        return None if parsed is None else int(parsed.total_seconds())


def _health_checks(view: ClusterView, display: Display) -> list[_Check]:
    resources = {
        m.resource.name: m.resource for m in view.members if m.resource.kind == "MachineHealthCheck"
    }
    return [
        _Check(hc, resources.get(hc.name) if hc.source == "MachineHealthCheck" else None, display)
        for hc in view.machine_health_checks
    ]


def _kcp_max_retry(view: ClusterView) -> bool:
    body = view.control_plane.body if view.control_plane is not None else None
    return any(
        dig(body, "spec", *path, "maxRetry") is not None
        for path in (("remediation",), ("remediationStrategy",))
    )


def _role_settings(
    view: ClusterView, role: str, catalogue: SettingCatalogue, display: Display
) -> dict[str, SettingValue]:
    covering = [c for c in _health_checks(view, display) if c.role == role]
    machines = "control-plane" if role == ROLE_CONTROL_PLANE else "worker"
    out: dict[str, SettingValue] = {}
    if covering:
        names = "; ".join(c.label for c in covering)
        out[MHC] = SettingValue(MHC, True, "evidence", names)
        first = covering[0]
        timeout = first.startup_timeout()
        if timeout is not None:
            out[TIMEOUT] = SettingValue(TIMEOUT, timeout, "evidence", first.label)
        else:
            default = catalogue.default(TIMEOUT)
            basis = f"{first.label} leaves it unset: {default.basis}"
            out[TIMEOUT] = SettingValue(TIMEOUT, default.value, "evidence", basis)
    else:
        basis = f"no MachineHealthCheck among the inputs selects the {machines} machines"
        out[MHC] = SettingValue(MHC, False, "absent", basis)
    capped = [c for c in covering if c.check.remediation]
    if capped:
        out[CAPPED] = SettingValue(CAPPED, True, "evidence", capped[0].label)
    elif role == ROLE_CONTROL_PLANE and _kcp_max_retry(view) and view.control_plane is not None:
        out[CAPPED] = SettingValue(CAPPED, True, "evidence", _where(view.control_plane, display))
    elif covering:
        out[CAPPED] = SettingValue(CAPPED, False, "evidence", f"{covering[0].label} sets no cap")
    else:
        out[CAPPED] = SettingValue(CAPPED, False, "absent", "no remediation cap among the inputs")
    return out


_TTL_VALUE = re.compile(re.escape(TTL_FLAG) + r"=([^\s:]+)")


def token_ttl(findings: Iterable[Finding], display: Display = _same) -> SettingValue | None:
    """The bootstrap token TTL from a CAPSA-LIVE-004 finding (the longest, when several)."""
    best: SettingValue | None = None
    for finding in findings:
        if finding.check_id != TTL_CHECK:
            continue
        match = _TTL_VALUE.search(finding.message)
        parsed = parse_go_duration(match.group(1)) if match else None
        if parsed is None:
            continue
        seconds = int(parsed.total_seconds())
        if best is None or seconds > int(best.value):
            line = f":{finding.location.line}" if finding.location.line else ""
            place = f"{display(finding.location.path)}{line}"
            where = f"{TTL_CHECK} on {finding.resource.label} ({place})"
            best = SettingValue(TTL, seconds, "evidence", where)
    return best


def scopes(
    result: ScanResult | None, catalogue: SettingCatalogue, display: Display = _same
) -> list[Scope]:
    """One scope per cluster and machine role; one assumed scope without clusters.
    `display` shortens the paths evidence is cited with."""
    shared: dict[str, SettingValue] = {}
    ttl = token_ttl(result.findings, display) if result is not None else None
    if ttl is not None:
        shared[TTL] = ttl
    views = (result.clusters or ()) if result is not None else ()
    if not views:
        return [Scope(NO_EVIDENCE, None, {**catalogue.defaults(), **shared})]
    out = []
    # named as the attack graph names them: templates whose name is an unresolved
    # variable are one cluster per file (`namespace/${NAME}@file`), not one name repeated
    for view, key in zip(views, cluster_keys(views), strict=True):
        for role in ROLES:
            found = _role_settings(view, role, catalogue, display)
            values = {**catalogue.defaults(), **shared, **found}
            out.append(Scope(key, role, values))
    return out
