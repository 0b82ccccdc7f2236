"""results.sarif from an Assessment (SARIF 2.1.0), so `capsa report --from` can re-emit it.

Built on the scan's SARIF writer (`capsa.report.sarif`): the same rule metadata, levels,
security-severity scores, locations and fingerprint key, so code scanning treats alerts
from `capsa scan` and `capsa assess` as the same alerts. One rule per check that ran, one
result per finding; suppressed findings carry a SARIF suppression with their reason.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from capsa.assess.model import Assessment, FindingRecord, Severity
from capsa.report.sarif import (
    FINGERPRINT_KEY,
    INFORMATION_URI,
    LEVEL,
    SARIF_SCHEMA,
    SARIF_VERSION,
    sarif_location,
    sarif_rule,
    uri_base_ids,
)


def _rule(check_id: str, a: Assessment, finding: FindingRecord | None) -> dict[str, Any]:
    summary = next((c for c in a.checks if c.id == check_id), None)
    title = summary.title if summary else (finding.title if finding else check_id)
    severity = summary.severity if summary else (finding.severity if finding else Severity.LOW)
    threats = summary.threats if summary else (finding.threats if finding else [])
    return sarif_rule(
        check_id,
        title,
        finding.message if finding else title,
        finding.remediation if finding else f"Run `capsa checks show {check_id}`.",
        severity,
        tuple(threats),
        tuple(finding.references) if finding else (),
    )


def _result(f: FindingRecord, rule_index: int) -> dict[str, Any]:
    note = f"embedded in {f.location.carrier}" if f.location.carrier else None
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": f"{f.resource.label}: {f.message} Fix: {f.remediation}"},
        "locations": [sarif_location(f.location.path, f.location.line, note)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "severity": f.severity.value,
            "mitigation": f.mitigation,
            "threats": list(f.threats),
            "resource": f.resource.as_dict(),
        },
    }
    if f.suppressed:
        result["suppressions"] = [
            {"kind": "external", "justification": f.suppression_reason or "suppressed"}
        ]
    return result


def _invocation(a: Assessment) -> dict[str, Any]:
    """Whether the run judged anything, and the input problems it met: a log with no
    result must not read as clean when no check ran."""
    return {
        "executionSuccessful": not a.summary.judged_nothing,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": p.message},
                "locations": [sarif_location(p.path, p.line)],
            }
            for p in a.errors
        ],
    }


def render_assessment_sarif(assessment: Assessment) -> str:
    """The SARIF log. Finding paths (relative to the scan root, as the assessment stores
    them) stay relative to `SCANROOT`, which is the recorded root resolved from the working
    directory (left to the consumer for the bundled example)."""
    root = Path(os.path.abspath(assessment.inputs.root)) if assessment.inputs.root else None
    first: dict[str, FindingRecord] = {}
    for finding in assessment.findings:
        first.setdefault(finding.check_id, finding)
    ids = sorted({c.id for c in assessment.checks} | set(first))
    index = {check_id: i for i, check_id in enumerate(ids)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "capsa",
                        "version": assessment.capsa_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(i, assessment, first.get(i)) for i in ids],
                    }
                },
                **({"originalUriBaseIds": uri_base_ids(root)} if root is not None else {}),
                "invocations": [_invocation(assessment)],
                "results": [_result(f, index[f.check_id]) for f in assessment.findings],
                "properties": {"schema": assessment.schema_, "kind": "Assessment"},
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
