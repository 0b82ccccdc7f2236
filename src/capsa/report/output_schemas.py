"""The JSON Schema of every JSON document capsa writes, kept in schemas/ (one file per
`kind`) so tools can validate what they read and the tests can hold each output to its
contract.

Documents built from pydantic models (Assessment, AssessmentDiff, FMEA) take their schema
from the models; the others are written out here with the same names the writers use.
Objects list every key they hold and allow no other, so a renamed key fails validation.
`python -m capsa.report.output_schemas` (run by `make docs`) rewrites the files; a test
fails while they are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from capsa import SCHEMA

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://capsa.dev/schemas/"

_STR: dict[str, Any] = {"type": "string"}
_NSTR: dict[str, Any] = {"type": ["string", "null"]}
_INT: dict[str, Any] = {"type": "integer"}
_NINT: dict[str, Any] = {"type": ["integer", "null"]}
_BOOL: dict[str, Any] = {"type": "boolean"}
_NUM: dict[str, Any] = {"type": "number"}
_SEVERITY: dict[str, Any] = {"enum": ["low", "medium", "high", "critical"]}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with exactly these keys (`optional` ones may be absent)."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def _arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _counts() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "integer"}}


_STRS = _arr(_STR)
RESOURCE = _obj({"apiVersion": _STR, "kind": _STR, "namespace": _NSTR, "name": _STR})
LOCATION = _obj({"path": _STR, "line": _NINT}, {"carrier": _STR})
PROBLEM = _obj({"path": _STR, "line": _NINT, "column": _NINT, "message": _STR})


def _header(kind: str) -> dict[str, Any]:
    return {"schema": {"const": SCHEMA}, "kind": {"const": kind}}


def _document(kind: str, title: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT, "$id": f"{BASE}{file_name(kind)}", "title": title, **body}


def file_name(kind: str) -> str:
    return {
        "ScanReport": "scan-report.json",
        "CheckList": "check-list.json",
        "ThreatReport": "threat-report.json",
        "ThreatExplanation": "threat-explanation.json",
        "AttackPaths": "attack-paths.json",
        "Assessment": "assessment.json",
        "AssessmentDiff": "assessment-diff.json",
        "FMEA": "fmea.json",
        "Config": "config.json",
    }[kind]


def scan_report() -> dict[str, Any]:
    finding = _obj(
        {
            "fingerprint": _STR,
            "check": _STR,
            "title": _STR,
            "severity": _SEVERITY,
            "threats": _STRS,
            "mitigation": _STR,
            "resource": RESOURCE,
            "location": LOCATION,
            "message": _STR,
            "remediation": _STR,
            "references": _STRS,
            "suppressed": _BOOL,
            "suppressionReason": _NSTR,
        },
        {
            "suppression": _obj(
                {
                    "source": _STR,
                    "reason": _NSTR,
                    "approver": _NSTR,
                    "expires": _NSTR,
                    "path": _NSTR,
                    "line": _NINT,
                }
            )
        },
    )
    result = _obj({"check": _STR, "resource": RESOURCE, "location": LOCATION, "reason": _NSTR})
    passed = _obj(
        {
            "check": _STR,
            "resource": RESOURCE,
            "location": LOCATION,
            "reason": _NSTR,
            "byDefault": _NSTR,
        }
    )
    expired = _obj(
        {
            "check": _STR,
            "resource": _obj({"kind": _NSTR, "namespace": _NSTR, "name": _NSTR}),
            "reason": _STR,
            "expires": _STR,
            "approver": _NSTR,
            "path": _STR,
            "line": _NINT,
        }
    )
    refused = _obj(
        {
            "fingerprint": _STR,
            "check": _STR,
            "source": _STR,
            "path": _NSTR,
            "line": _NINT,
            "why": _STR,
        }
    )
    summary = _obj(
        {
            "bySeverity": _counts(),
            **{
                key: _INT
                for key in (
                    "open",
                    "suppressed",
                    "suppressedCritical",
                    "refusedCriticalSuppressions",
                    "baseline",
                    "baselineCritical",
                    "files",
                    "documents",
                    "documentsSkipped",
                    "resources",
                    "checks",
                    "checksEvaluated",
                    "passes",
                    "unknown",
                    "notApplicable",
                    "errors",
                    "expiredSuppressions",
                )
            },
        }
    )
    return _document(
        "ScanReport",
        "capsa scan --format json",
        _obj(
            {
                **_header("ScanReport"),
                "tool": _obj({"name": {"const": "capsa"}, "version": _STR}),
                "root": _NSTR,
                "findings": _arr(finding),
                "errors": _arr(PROBLEM),
                "notes": _arr(PROBLEM),
                "passes": _arr(passed),
                "unknown": _arr(result),
                "notApplicable": _arr(result),
                "suppressions": _obj(
                    {
                        "expired": _arr(expired),
                        "refused": _arr(refused),
                        "suppressedCritical": _STRS,
                    }
                ),
                "summary": summary,
            }
        ),
    )


def check_list() -> dict[str, Any]:
    check = _obj(
        {
            "id": _STR,
            "title": _STR,
            "severity": _SEVERITY,
            "threats": _STRS,
            "mitigation": _STR,
            "scope": {"enum": ["object", "topology"]},
            "kinds": _arr({"type": "object"}),
            "providers": _STRS,
            "field": _STR,
            "variables": _arr(_obj({"name": _STR, "expression": _STR})),
            "expression": _STR,
            "message": _STR,
            "remediation": _STR,
            "references": _STRS,
            "unknownWhen": _STRS,
            "everyItemMustComply": _BOOL,
            "readsOnlyWhen": _arr(_obj({"fields": _STRS, "when": _STR})),
            "exportable": _BOOL,
        }
    )
    return _document(
        "CheckList",
        "capsa checks list --format json",
        _obj({**_header("CheckList"), "checks": _arr(check)}),
    )


def threat_report() -> dict[str, Any]:
    mitigation = _obj(
        {"id": _STR, "text": _STR, "upstreamStatus": _NSTR, "statusNote": _STR, "checks": _STRS}
    )
    tracking = {
        "oneOf": [
            {"type": "null"},
            _obj(
                {
                    "pattern": _STR,
                    "decision": _STR,
                    "justification": _NSTR,
                    "ticket": _NSTR,
                    "date": _NSTR,
                    "reviewer": _NSTR,
                }
            ),
        ]
    }
    threat = _obj(
        {
            "id": _STR,
            "category": _STR,
            "title": _STR,
            "description": _STR,
            "elements": _STRS,
            "flows": _STRS,
            "assets": _STRS,
            "mitigations": _arr(mitigation),
            "source": {"enum": ["catalogue", "generated"]},
            "rule": _NSTR,
            "matchedCatalogueId": _NSTR,
            "matchedBy": _STRS,
            "severity": _NSTR,
            "why": _NSTR,
            "mitigatedInModel": {"type": ["boolean", "null"]},
            "tracking": tracking,
        }
    )
    summary = _obj(
        {
            "recall": _obj({"matched": _INT, "total": _INT, "missed": _STRS}),
            "catalogue": _INT,
            "generated": _INT,
            "candidates": _STRS,
            "byCategory": _counts(),
            "bySeverity": _counts(),
            "byStatus": _obj({"open": _INT, "mitigatedInModel": _INT}),
            "tracking": _counts(),
            "warnings": _STRS,
        }
    )
    return _document(
        "ThreatReport",
        "capsa threats --format json",
        _obj(
            {
                **_header("ThreatReport"),
                "model": _STR,
                "threats": _arr(threat),
                "summary": summary,
            }
        ),
    )


def threat_explanation() -> dict[str, Any]:
    fact = _obj({"path": _STR, "value": {}, "origin": _STR})
    condition = _obj({"condition": _STR, "holds": _BOOL, "facts": _arr(fact)})
    explanation = {
        "threat": _STR,
        "rule": _STR,
        "ruleLocation": _NSTR,
        "subject": _obj({"kind": _STR, "id": _STR}),
        "categories": _STRS,
        "severity": _NSTR,
        "mitigated": _BOOL,
        "rationale": _STR,
        "applicable": _arr(condition),
        "mitigatedWhen": _arr(condition),
        "evidence": {"type": "object", "additionalProperties": _STRS},
        "changes": _arr(_obj({"where": _STR, "setTo": _STR, "effect": _STR})),
    }
    generated = _obj(
        {
            **_header("ThreatExplanation"),
            "source": {"const": "generated"},
            **explanation,
            "matchedCatalogueId": _NSTR,
        }
    )
    catalogue = _obj(
        {
            **_header("ThreatExplanation"),
            "source": {"const": "catalogue"},
            "threat": _STR,
            "title": _STR,
            "closest": _arr(_obj(explanation)),
            "alsoMatchedBy": _STRS,
        }
    )
    return _document(
        "ThreatExplanation",
        "capsa threats --explain ID --format json",
        {"oneOf": [generated, catalogue]},
    )


def attack_paths() -> dict[str, Any]:
    evidence = _obj(
        {
            "check": _STR,
            "passed": _BOOL,
            "accepted": _BOOL,
            "resource": {"oneOf": [{"type": "null"}, RESOURCE]},
            "location": {"oneOf": [{"type": "null"}, LOCATION]},
            "text": _STR,
        }
    )
    step = _obj(
        {
            "from": _STR,
            "to": _STR,
            "technique": _STR,
            "threats": _STRS,
            "blockedBy": _STRS,
            "status": _STR,
            "evidence": _arr(evidence),
        }
    )
    path_body = {
        "entry": _STR,
        "target": _STR,
        "score": _NUM,
        "clusters": _STRS,
        "steps": _arr(step),
    }
    numbered = _obj({"number": {"type": "integer", "minimum": 1}, **path_body})
    cut = _obj(
        {
            "mitigation": _STR,
            "effort": _NUM,
            "checks": _STRS,
            "pathsCut": _INT,
            "paths": _arr({"type": "integer", "minimum": 1}),
        }
    )
    return _document(
        "AttackPaths",
        "capsa paths --format json",
        _obj(
            {
                **_header("AttackPaths"),
                "entries": _STRS,
                "targets": _STRS,
                "assumed": _STRS,
                "complete": _BOOL,
                "searched": _BOOL,
                "notSearched": _STRS,
                "paths": _arr(numbered),
                "cut": _arr(cut),
                "cutExact": _BOOL,
                "cutEffort": _NUM,
                "cutClosesEveryPath": _BOOL,
                "uncuttable": _arr(_obj({"entry": _STR, "target": _STR, "techniques": _STRS})),
            },
            {"removedByAssumed": _arr(_obj(path_body))},
        ),
    )


def config() -> dict[str, Any]:
    setting = _obj({"value": {}, "source": _STR})
    return _document(
        "Config",
        "capsa config show --format json",
        _obj(
            {
                **_header("Config"),
                "file": _NSTR,
                "settings": {"type": "object", "additionalProperties": setting},
            }
        ),
    )


def _from_model(kind: str, title: str, model: Any) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="serialization")
    schema.pop("title", None)
    return _document(kind, title, schema)


def all_schemas() -> dict[str, dict[str, Any]]:
    """file name -> JSON Schema, for every JSON document capsa writes."""
    from capsa.assess.diff import AssessmentDiff
    from capsa.assess.model import Assessment
    from capsa.sim.records import FmeaReport

    documents = [
        scan_report(),
        check_list(),
        threat_report(),
        threat_explanation(),
        attack_paths(),
        config(),
        _from_model("Assessment", "capsa assess: assessment.json", Assessment),
        _from_model("AssessmentDiff", "capsa diff --format json", AssessmentDiff),
        _from_model("FMEA", "capsa fmea --format json", FmeaReport),
    ]
    return {str(d["$id"]).removeprefix(BASE): d for d in documents}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write every schema into the folder given (default: schemas)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "schemas")
    for name, schema in all_schemas().items():
        (folder / name).write_text(render(schema), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
