"""SARIF 2.1.0 for code-scanning services: one rule per check, one result per finding,
with file-relative locations, a stable partial fingerprint and suppressions marked.

Built from plain dicts (no SARIF library): the tests validate the output against the
official schema.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from capsa import __version__
from capsa.checks.findings import Finding, Severity
from capsa.checks.model import Check
from capsa.checks.suppressions import AppliedSuppression
from capsa.errors import Problem
from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult
from capsa.sources.root import relative_to_root

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
ROOT_ID = "SCANROOT"
FINGERPRINT_KEY = "capsaFingerprint/v2"
"""v2: the fingerprint names the file its finding points at (`findings.placed`); a key
whose value changed meaning gets a new name, so code scanning never matches across."""
# the SIG Security issue that tracks the Cluster API self-assessment
INFORMATION_URI = "https://github.com/kubernetes/sig-security/issues/8"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
# GitHub code scanning reads this score: >=9 critical, >=7 high, >=4 medium, else low
SECURITY_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
_REPO_REF = re.compile(
    r"^(?P<repo>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{7,40}):(?P<path>[^:]+)(?::(?P<line>\d+))?"
)
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def reference_url(reference: str) -> str | None:
    """An https URL for a reference: as given, or GitHub's for `owner/repo@commit:path:line`."""
    if reference.startswith(("https://", "http://")):
        return reference
    match = _REPO_REF.match(reference)
    if match is None:
        return None
    url = f"https://github.com/{match['repo']}/blob/{match['commit']}/{quote(match['path'])}"
    return f"{url}#L{match['line']}" if match["line"] else url


def _rule_name(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Check"


def sarif_rule(
    check_id: str,
    title: str,
    description: str,
    remediation: str,
    severity: Severity,
    threats: tuple[str, ...],
    references: tuple[str, ...],
) -> dict[str, Any]:
    """One reportingDescriptor; shared with the assessment's SARIF so both agree."""
    urls = [u for u in (reference_url(r) for r in references) if u]
    rule: dict[str, Any] = {
        "id": check_id,
        "name": _rule_name(title),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": remediation},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "tags": ["security", *threats],
            "security-severity": SECURITY_SCORE[severity],
            "precision": "high",
            "problem.severity": "error" if severity >= Severity.HIGH else "warning",
        },
    }
    if urls:
        rule["helpUri"] = urls[0]
    return rule


def _check_rule(check: Check) -> dict[str, Any]:
    return sarif_rule(
        check.id,
        " ".join(check.title.split()),
        " ".join(check.message.split()),
        " ".join(check.remediation.split()),
        check.severity,
        check.threats,
        check.references,
    )


def _finding_rule(finding: Finding) -> dict[str, Any]:
    return sarif_rule(
        finding.check_id,
        finding.title,
        finding.message,
        finding.remediation,
        finding.severity,
        finding.threats,
        finding.references,
    )


def _artifact(path: str) -> dict[str, Any]:
    """A URI relative to the scan root (`SCANROOT`) for a location the scan made relative
    to it; an absolute file URI for a file outside it (`--root`); other origins as they
    are."""
    if path == "-":
        return {"uri": "stdin"}
    if _URL_SCHEME.match(path):
        return {"uri": path}
    if not os.path.isabs(path):
        return {"uri": quote(Path(path).as_posix()), "uriBaseId": ROOT_ID}
    return {"uri": Path(os.path.abspath(path)).as_uri()}


def uri_base_ids(root: Path) -> dict[str, Any]:
    """`run.originalUriBaseIds`: where `SCANROOT` is, absolute, for consumers that
    resolve it (code scanning reads relative URIs from the repository's top instead, so
    the GitHub Action scans with `--root .`)."""
    return {
        ROOT_ID: {
            "uri": root.as_uri().rstrip("/") + "/",
            "description": {"text": "The scan root: every relative location is below it."},
        }
    }


def sarif_location(path: str, line: int | None, note: str | None = None) -> dict[str, Any]:
    """A physical location; lines below 1 (unknown) are left out rather than invented."""
    physical: dict[str, Any] = {"artifactLocation": _artifact(path)}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if note:
        location["message"] = {"text": note}
    return location


def _suppression(how: AppliedSuppression | None, finding: Finding) -> dict[str, Any]:
    if how is None:
        return {
            "kind": "external",
            "status": "accepted",
            "justification": finding.suppression_reason or "",
        }
    out: dict[str, Any] = {
        "kind": "inSource" if how.source == "annotation" else "external",
        "status": "accepted",
        "justification": how.reason,
    }
    if how.approver or how.expires:
        out["properties"] = {
            "approver": how.approver,
            "expires": how.expires.isoformat() if how.expires else None,
        }
    return out


def _result(finding: Finding, index: int, how: AppliedSuppression | None) -> dict[str, Any]:
    carrier = finding.location.carrier
    note = f"embedded in {carrier}" if carrier else None
    result: dict[str, Any] = {
        "ruleId": finding.check_id,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": f"{finding.resource.label}: {finding.message}"},
        "locations": [sarif_location(finding.location.path, finding.location.line, note)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "threats": list(finding.threats),
            "mitigation": finding.mitigation,
            "resource": finding.resource.as_dict(),
        },
    }
    if finding.suppressed:
        result["suppressions"] = [_suppression(how, finding)]
    return result


def _notification(problem: Problem, root: Path | None) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": problem.message},
        "locations": [sarif_location(relative_to_root(problem.path, root), problem.line)],
    }


def to_sarif(result: ScanResult) -> dict[str, Any]:
    """The SARIF log. File URIs are relative to the scan root, published as `SCANROOT`."""
    result = rebased(result)  # locations relative to the scan root
    base = Path(result.root) if result.root else None
    rules = [_check_rule(c) for c in result.checks]
    index = {c.id: i for i, c in enumerate(result.checks)}
    for finding in result.findings:
        if finding.check_id not in index:  # live checks are not in the file check set
            index[finding.check_id] = len(rules)
            rules.append(_finding_rule(finding))
    how = {a.fingerprint: a for a in result.suppressions}
    results = [_result(f, index[f.check_id], how.get(f.fingerprint)) for f in result.findings]
    invocation = {
        "executionSuccessful": not result.unusable,
        "toolExecutionNotifications": [_notification(p, base) for p in result.errors],
    }
    run = {
        "tool": {
            "driver": {
                "name": "capsa",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        **({"originalUriBaseIds": uri_base_ids(base)} if base is not None else {}),
        "invocations": [invocation],
        "results": results,
        "properties": {"summary": result.summary.as_dict()},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(result: ScanResult) -> str:
    import json

    return json.dumps(to_sarif(result), indent=2, ensure_ascii=False) + "\n"
