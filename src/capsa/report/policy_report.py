"""A scan as Kubernetes Policy Reports (wgpolicyk8s.io/v1alpha2): one PolicyReport per
namespace and one ClusterPolicyReport for resources without a namespace, each result a
check on one resource, for users to `kubectl apply` themselves (capsa never writes to a
cluster).

Results: a finding is `fail` (a suppressed one `skip`), a pass is `pass`, an undecided
result is `skip` with the reason in its message; `policy` is the check id, `rule` the
mitigation it evidences, `source` is capsa. The report's `summary` counts them. Field
names follow the CRD of kubernetes-sigs/wg-policy-prototypes (vendored in
schemas/vendor/, which the tests validate these objects against).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import yaml

from capsa.checks.findings import CheckResult, Finding, ResourceRef
from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult

API_VERSION = "wgpolicyk8s.io/v1alpha2"
_NAME = re.compile(r"[^a-z0-9-]+")
_SCORED_SEVERITIES = {"low", "medium", "high", "critical"}


def _object_ref(resource: ResourceRef) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "name": resource.name,
    }
    if resource.namespace:
        ref["namespace"] = resource.namespace
    return ref


def _result(
    check: str, resource: ResourceRef, outcome: str, message: str, stamp: dict[str, int]
) -> dict[str, Any]:
    return {
        "source": "capsa",
        "policy": check,
        "result": outcome,
        "message": message,
        "resources": [_object_ref(resource)],
        "scored": True,
        "timestamp": stamp,
    }


def _finding(finding: Finding, stamp: dict[str, int]) -> dict[str, Any]:
    outcome = "skip" if finding.suppressed else "fail"
    message = finding.message
    if finding.suppressed:
        message = f"suppressed ({finding.suppression_reason or 'no reason'}): {message}"
    out = _result(finding.check_id, finding.resource, outcome, message, stamp)
    if finding.mitigation:
        out["rule"] = finding.mitigation
    if finding.severity.value in _SCORED_SEVERITIES:
        out["severity"] = finding.severity.value
    out["category"] = ", ".join(finding.threats) or "hardening"
    out["properties"] = {
        "fingerprint": finding.fingerprint,
        "location": finding.location.label,
        "remediation": finding.remediation,
    }
    return out


def _check_result(result: CheckResult, outcome: str, stamp: dict[str, int]) -> dict[str, Any]:
    if outcome == "pass":
        message = f"passed by default: {result.by_default}" if result.by_default else "passed"
    else:
        message = f"could not be decided: {result.reason or 'no reason given'}"
    out = _result(result.check_id, result.resource, outcome, message, stamp)
    out["properties"] = {"location": result.location.label}
    return out


def _report_name(namespace: str | None) -> str:
    tail = _NAME.sub("-", (namespace or "cluster").lower()).strip("-") or "cluster"
    return f"capsa-{tail}"[:63].rstrip("-")


def policy_reports(result: ScanResult, now: datetime | None = None) -> list[dict[str, Any]]:
    """The report objects: PolicyReports by namespace (name order), then the
    ClusterPolicyReport (when any resource has no namespace)."""
    result = rebased(result)  # locations relative to the scan root
    moment = now or datetime.now(UTC)
    stamp = {"seconds": int(moment.timestamp()), "nanos": 0}
    by_namespace: dict[str | None, list[dict[str, Any]]] = defaultdict(list)

    def add(resource: ResourceRef, entry: dict[str, Any]) -> None:
        by_namespace[resource.namespace or None].append(entry)

    for f in result.findings:
        add(f.resource, _finding(f, stamp))
    for r in result.passes:
        add(r.resource, _check_result(r, "pass", stamp))
    for r in result.unknown:
        add(r.resource, _check_result(r, "skip", stamp))
    namespaced = sorted(n for n in by_namespace if n is not None)
    order: list[str | None] = [*namespaced, *([None] if None in by_namespace else [])]
    return [_report(namespace, by_namespace[namespace]) for namespace in order]


def _summary(results: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}
    for r in results:
        counts[r["result"]] += 1
    return counts


def _report(namespace: str | None, results: list[dict[str, Any]]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": _report_name(namespace),
        "labels": {"app.kubernetes.io/managed-by": "capsa"},
    }
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "PolicyReport" if namespace is not None else "ClusterPolicyReport",
        "metadata": metadata,
        "summary": _summary(results),
        "results": results,
    }


def render_policy_reports(result: ScanResult) -> str:
    """The reports as a multi-document YAML stream (`kubectl apply -f` reads it)."""
    reports = policy_reports(result)
    if not reports:
        return "# capsa: no check results, so no PolicyReport\n"
    return yaml.safe_dump_all(reports, sort_keys=False, width=100)
