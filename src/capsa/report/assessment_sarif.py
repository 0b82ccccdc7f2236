"""results.sarif from an Assessment (SARIF 2.1.0), so `capsa report --from` can re-emit it.

One rule per check that ran, one result per finding; suppressed findings carry a SARIF
suppression with their reason, and partial fingerprints carry capsa's fingerprint so code
scanning keeps alerts stable when lines move.
"""

from __future__ import annotations

import json
from typing import Any

from capsa.assess.model import Assessment, FindingRecord, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "7.5",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "2.0",
}


def _rule(check_id: str, a: Assessment, finding: FindingRecord | None) -> dict[str, Any]:
    summary = next((c for c in a.checks if c.id == check_id), None)
    title = summary.title if summary else (finding.title if finding else check_id)
    severity = summary.severity if summary else (finding.severity if finding else Severity.LOW)
    rule: dict[str, Any] = {
        "id": check_id,
        "name": check_id.replace("-", ""),
        "shortDescription": {"text": title},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {
            "security-severity": _SCORE[severity],
            "tags": ["security", *(summary.threats if summary else [])],
        },
    }
    if finding is not None:
        rule["help"] = {"text": finding.remediation}
        links = [r for r in finding.references if r.startswith("https://")]
        if links:
            rule["helpUri"] = links[0]
    return rule


def _result(f: FindingRecord, rule_index: int) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if f.location.line is not None:
        region["startLine"] = f.location.line
    physical: dict[str, Any] = {"artifactLocation": {"uri": f.location.path}}
    if region:
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.resource.label}: {f.message} Fix: {f.remediation}"},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"capsa/v1": f.fingerprint},
        "properties": {
            "mitigation": f.mitigation,
            "threats": list(f.threats),
            "resource": f.resource.model_dump(by_alias=True),
        },
    }
    if f.suppressed:
        result["suppressions"] = [
            {"kind": "external", "justification": f.suppression_reason or "suppressed"}
        ]
    return result


def render_assessment_sarif(assessment: Assessment) -> str:
    first: dict[str, FindingRecord] = {}
    for finding in assessment.findings:
        first.setdefault(finding.check_id, finding)
    ids = sorted({c.id for c in assessment.checks} | set(first))
    index = {check_id: i for i, check_id in enumerate(ids)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "capsa",
                        "version": assessment.capsa_version,
                        "informationUri": "https://github.com/kubernetes/community/tree/master/sig-security",
                        "rules": [_rule(i, assessment, first.get(i)) for i in ids],
                    }
                },
                "results": [_result(f, index[f.check_id]) for f in assessment.findings],
                "properties": {"schema": assessment.schema_, "kind": "Assessment"},
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
