"""Turn a ThreatReport into JSON-ready data or Markdown (the CLI picks one)."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from capsa.threats.service import SCHEMA, ThreatEntry, ThreatReport

Selection = Literal["all", "catalogue", "generated"]


def select(report: ThreatReport, which: Selection) -> tuple[ThreatEntry, ...]:
    if which == "catalogue":
        return report.catalogue_threats
    if which == "generated":
        return report.generated_threats
    return report.threats


def _tracking(entry: ThreatEntry) -> dict[str, Any] | None:
    t = entry.tracking
    if t is None:
        return None
    return {
        "pattern": t.threat,
        "decision": t.decision.value,
        "justification": t.justification,
        "ticket": t.ticket,
        "date": t.date.isoformat() if t.date else None,
        "reviewer": t.reviewer,
    }


def threat_data(entry: ThreatEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "category": entry.category,
        "title": entry.title,
        "description": entry.description,
        "elements": list(entry.elements),
        "flows": list(entry.flows),
        "assets": list(entry.assets),
        "mitigations": [
            {
                "id": m.id,
                "text": m.text,
                "upstream_status": m.upstream_status or None,
                "status_note": m.status_note,
                "checks": list(m.checks),
            }
            for m in entry.mitigations
        ],
        "source": entry.source,
        "rule": entry.rule,
        "matched_catalogue_id": entry.matched_catalogue_id,
        "matched_by": list(entry.matched_by),
        "severity": entry.severity,
        "why": entry.why,
        "mitigated_in_model": entry.mitigated_in_model,
        "tracking": _tracking(entry),
    }


def report_data(report: ThreatReport, which: Selection = "all") -> dict[str, Any]:
    """The `capsa/v1` JSON document."""
    chosen = select(report, which)
    decisions = Counter(e.tracking.decision.value if e.tracking else "untracked" for e in chosen)
    return {
        "schema": SCHEMA,
        "kind": "ThreatReport",
        "model": report.model,
        "threats": [threat_data(e) for e in chosen],
        "summary": {
            "recall": {
                "matched": report.recall_matched,
                "total": report.recall_total,
                "missed": list(report.missed),
            },
            "catalogue": len(report.catalogue_threats),
            "generated": len(report.generated_threats),
            "candidates": list(report.candidates),
            "by_category": dict(sorted(Counter(e.category for e in chosen).items())),
            "by_severity": dict(sorted(Counter(e.severity for e in chosen if e.severity).items())),
            "tracking": dict(sorted(decisions.items())),
            "warnings": [str(p) for p in report.warnings],
        },
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(report: ThreatReport, which: Selection = "all") -> str:
    """A Markdown summary: recall, then one table per source."""
    lines = [
        f"# Threats for {report.model}",
        "",
        f"Recall of the catalogue by the generic rules: **{report.recall_matched}/{report.recall_total}**"
        + (f" (missed: {', '.join(report.missed)})" if report.missed else ""),
        "",
    ]
    chosen = select(report, which)
    catalogue = [e for e in chosen if e.source == "catalogue"]
    generated = [e for e in chosen if e.source == "generated"]
    if catalogue:
        lines += [
            "## Catalogue",
            "",
            "| id | category | title | mitigations | matched by | decision |",
            "|---|---|---|---|---|---|",
        ]
        for e in catalogue:
            mits = "; ".join(f"{m.id} ({m.upstream_status})" for m in e.mitigations)
            decision = e.tracking.decision.value if e.tracking else ""
            lines.append(
                f"| {e.id} | {e.category} | {_cell(e.title)} | {_cell(mits)} | {len(e.matched_by)} | {decision} |"
            )
        lines.append("")
    if generated:
        lines += [
            "## Generated",
            "",
            "| id | category | severity | matches | why | decision |",
            "|---|---|---|---|---|---|",
        ]
        for e in generated:
            decision = e.tracking.decision.value if e.tracking else ""
            matched = e.matched_catalogue_id or "candidate"
            lines.append(
                f"| {e.id} | {e.category} | {e.severity} | {matched} | {_cell(e.why)} | {decision} |"
            )
        lines.append("")
    return "\n".join(lines)
