"""The JSON document of a scan (`schemas/scan-report.json`): what CI jobs, baselines and
other tools read.

Stable shape: `schema`, `kind`, `root` (the folder every `location.path` is relative
to: relative to the working directory when inside it, else absolute), `findings[]`, `errors[]`, `notes[]`, `summary`; fields may
be added, never renamed. Its names are the contract every other capsa JSON output follows. Findings hidden by a baseline are counted in `summary.baseline`, not listed, so
this output can itself serve as the next baseline together with the listed findings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from capsa import SCHEMA, __version__
from capsa.checks.findings import CheckResult, Finding
from capsa.checks.suppressions import AppliedSuppression, RefusedSuppression, Suppression
from capsa.errors import Problem
from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult
from capsa.sources.root import shown_path


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
    }


def _finding(finding: Finding, how: AppliedSuppression | None) -> dict[str, Any]:
    out = finding.as_dict()
    if how is not None:
        out["suppression"] = {
            "source": how.source,
            "reason": how.reason,
            "approver": how.approver,
            "expires": how.expires.isoformat() if how.expires else None,
            "path": how.path,
            "line": how.line,
        }
    return out


def _result(result: CheckResult) -> dict[str, Any]:
    return {
        "check": result.check_id,
        "resource": result.resource.as_dict(),
        "location": result.location.as_dict(),
        "reason": result.reason,
    }


def _passed(result: CheckResult) -> dict[str, Any]:
    """A pass, with what it rests on when that is a default (upstream's, or a clusterctl
    template's own default for a variable given no value): an auditor asks why it
    passed."""
    return {**_result(result), "byDefault": result.by_default}


def _expired(entry: Suppression) -> dict[str, Any]:
    return {
        "check": entry.check,
        "resource": {"kind": entry.kind, "namespace": entry.namespace, "name": entry.name},
        "reason": entry.reason,
        "expires": entry.expires.isoformat(),
        "approver": entry.approver,
        "path": entry.path,
        "line": entry.line,
    }


def _refused(entry: RefusedSuppression) -> dict[str, Any]:
    return {
        "fingerprint": entry.fingerprint,
        "check": entry.check_id,
        "source": entry.source,
        "path": entry.path,
        "line": entry.line,
        "why": entry.why,
    }


def to_json(result: ScanResult) -> dict[str, Any]:
    """The scan as JSON-ready plain data (no Secret values ever reach a Finding)."""
    result = rebased(result)  # locations relative to the scan root
    how = {a.fingerprint: a for a in result.suppressions}
    return {
        "schema": SCHEMA,
        "kind": "ScanReport",
        "tool": {"name": "capsa", "version": __version__},
        "root": shown_path(Path(result.root)) if result.root else None,
        "findings": [_finding(f, how.get(f.fingerprint)) for f in result.findings],
        "errors": [_problem(p) for p in result.errors],
        "notes": [_problem(p) for p in result.notes],
        "passes": [_passed(p) for p in result.passes],
        "unknown": [_result(u) for u in result.unknown],
        "notApplicable": [_result(n) for n in result.not_applicable],
        "suppressions": {
            "expired": [_expired(s) for s in result.expired_suppressions],
            "refused": [_refused(r) for r in result.refused_suppressions],
            "suppressedCritical": [f.fingerprint for f in result.suppressed_critical],
        },
        "summary": result.summary.as_dict(),
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"
