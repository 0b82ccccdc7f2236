"""Turn a ThreatReport into JSON-ready data or Markdown (the CLI picks one)."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any, Literal

from capsa.threats.explain import Condition, Explanation
from capsa.threats.service import (
    SCHEMA,
    CatalogueExplanation,
    GeneratedExplanation,
    ThreatEntry,
    ThreatReport,
)

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
                "upstreamStatus": m.upstream_status or None,
                "statusNote": m.status_note,
                "checks": list(m.checks),
            }
            for m in entry.mitigations
        ],
        "source": entry.source,
        "rule": entry.rule,
        "matchedCatalogueId": entry.matched_catalogue_id,
        "matchedBy": list(entry.matched_by),
        "severity": entry.severity,
        "why": entry.why,
        "mitigatedInModel": entry.mitigated_in_model,
        "tracking": _tracking(entry),
    }


def status(entry: ThreatEntry) -> str | None:
    """A generated threat's status in the model, as every output names it (None for a
    catalogue entry, whose status the deployment's evidence decides)."""
    if entry.mitigated_in_model is None:
        return None
    return MITIGATED_IN_MODEL if entry.mitigated_in_model else "open"


MITIGATED_IN_MODEL = "mitigated in the model"


def report_data(report: ThreatReport, which: Selection = "all") -> dict[str, Any]:
    """The JSON document (`schemas/threat-report.json`)."""
    chosen = select(report, which)
    decisions = Counter(e.tracking.decision.value if e.tracking else "untracked" for e in chosen)
    generated = [e for e in chosen if e.mitigated_in_model is not None]
    mitigated = sum(1 for e in generated if e.mitigated_in_model)
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
            "byCategory": dict(sorted(Counter(e.category for e in chosen).items())),
            "bySeverity": dict(sorted(Counter(e.severity for e in chosen if e.severity).items())),
            "byStatus": {"open": len(generated) - mitigated, "mitigatedInModel": mitigated},
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
        mitigated = sum(1 for e in generated if e.mitigated_in_model)
        lines += [
            "## Generated",
            "",
            f"{len(generated) - mitigated} open, {mitigated} {MITIGATED_IN_MODEL} (the "
            "severity of a mitigated one is what it would be without the mitigation).",
            "",
            "| id | category | status | severity | matches | why | decision |",
            "|---|---|---|---|---|---|---|",
        ]
        for e in generated:
            decision = e.tracking.decision.value if e.tracking else ""
            matched = e.matched_catalogue_id or "candidate"
            lines.append(
                f"| {e.id} | {e.category} | {status(e)} | {e.severity} | {matched} "
                f"| {_cell(e.why)} | {decision} |"
            )
        lines.append("")
    return "\n".join(lines)


# ---- explanations (`capsa threats --explain ID`) ----------------------------------------

WIDTH = 80


def _wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
    """Wrapped at 80 columns; ids are never cut (no breaking inside words or at hyphens)."""
    return textwrap.wrap(
        " ".join(text.split()),
        WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent if first is None else first]


def _named(ids: tuple[str, ...], names: dict[str, str]) -> str:
    return ", ".join(f"{i} ({names[i]})" if names.get(i, i) != i else i for i in ids)


def _explanation_lines(e: Explanation, names: dict[str, str]) -> list[str]:
    t, spec = e.threat, e.rule.spec
    lines = _wrap(f"{t.id} — {t.title}")
    lines += _wrap(
        f"category: {', '.join(t.categories)}; severity {t.severity} "
        f"(likelihood {t.likelihood} × impact {t.impact})",
        "    ",
        "  ",
    )
    lines += _wrap(
        f"rule {spec.id} ({e.rule.location}) on {e.subject_kind} {t.subject}", "    ", "  "
    )
    lines += ["  status: " + ("mitigated in the model" if t.mitigated else "open in the model"), ""]
    lines += _wrap(spec.rationale, "  ", "  Why this is a threat: ")
    lines += ["", "  It applies because every condition of the rule holds:"]
    for condition in e.applicable:
        lines += _condition_lines(condition)
    lines += ["", "  What it is about, and the evidence behind the computed facts:"]
    for name, ids in e.evidence:
        lines += _wrap(_named(ids, names), "      ", f"    {name}: ")
    lines += ["", "  It counts as mitigated when:"]
    if [c for c in e.mitigated_when if c.text != "false"]:
        for condition in e.mitigated_when:
            lines += _condition_lines(condition)
    else:
        lines.append("    (nothing in the model can mark this rule's threats mitigated)")
    lines += ["", "  Changes to the model that were tried and work:"]
    if e.changes:
        for change in e.changes:
            lines += _wrap(
                f"set {change.where} to {change.edit}: {change.effect}", "      ", "    - "
            )
    else:
        lines += _wrap(
            "no single edit of an attribute the rule reads removes it; change what the "
            "computed facts above are derived from (flows, exposure, reachableFrom, "
            "writers, credentials held).",
            "      ",
            "    - ",
        )
    if spec.mitigations:
        lines += ["", "  Mitigations the rule suggests:"]
        for text in spec.mitigations:
            lines += _wrap(text, "      ", "    - ")
    return lines


def _condition_lines(condition: Condition) -> list[str]:
    mark = "true " if condition.holds else "false"
    lines = _wrap(condition.text, "            ", f"    [{mark}] ")
    for fact in condition.facts:
        lines += _wrap(f"{fact.path} = {fact.value} — {fact.origin}", "          ", "        ")
    return lines


def explanation_text(found: GeneratedExplanation | CatalogueExplanation) -> str:
    """Plain text at 80 columns."""
    if isinstance(found, GeneratedExplanation):
        lines = _explanation_lines(found.explanation, found.names)
        if found.matched_catalogue_id:
            lines += ["", f"  Closest catalogue entry: {found.matched_catalogue_id}"]
        return "\n".join(lines) + "\n"
    entry = found.entry
    lines = _wrap(f"{entry.id} — {entry.title}")
    lines += _wrap(f"category: {entry.category}; from the assessment's catalogue", "    ", "  ")
    lines += [""]
    lines += _wrap(entry.description, "  ")
    lines += [""]
    lines += _wrap(
        "A catalogue entry stays whatever the model says; it is re-derived from the model "
        "by the generated threats below, and each would go away under the changes listed.",
        "  ",
    )
    for e in found.closest:
        lines += ["", *_explanation_lines(e, found.names)]
    if found.also_matched_by:
        lines += ["", "  Also matched by:", *(f"    {i}" for i in found.also_matched_by)]
    if not found.closest and not found.also_matched_by:
        lines += ["", "  No generated threat re-derives it from this model."]
    return "\n".join(lines) + "\n"


def _explanation_data(e: Explanation) -> dict[str, Any]:
    return {
        "threat": e.threat.id,
        "rule": e.rule.spec.id,
        "ruleLocation": e.rule.location,
        "subject": {"kind": e.subject_kind, "id": e.threat.subject},
        "categories": list(e.threat.categories),
        "severity": e.threat.severity,
        "mitigated": e.threat.mitigated,
        "rationale": " ".join(e.rule.spec.rationale.split()),
        "applicable": [_condition_data(c) for c in e.applicable],
        "mitigatedWhen": [_condition_data(c) for c in e.mitigated_when],
        "evidence": {name: list(ids) for name, ids in e.evidence},
        "changes": [{"where": c.where, "setTo": c.edit, "effect": c.effect} for c in e.changes],
    }


def _condition_data(c: Condition) -> dict[str, Any]:
    return {
        "condition": c.text,
        "holds": c.holds,
        "facts": [{"path": f.path, "value": f.value, "origin": f.origin} for f in c.facts],
    }


def explanation_data(found: GeneratedExplanation | CatalogueExplanation) -> dict[str, Any]:
    """The JSON document of an explanation (`schemas/threat-explanation.json`)."""
    if isinstance(found, GeneratedExplanation):
        body = _explanation_data(found.explanation)
        body["matchedCatalogueId"] = found.matched_catalogue_id
        return {"schema": SCHEMA, "kind": "ThreatExplanation", "source": "generated", **body}
    return {
        "schema": SCHEMA,
        "kind": "ThreatExplanation",
        "source": "catalogue",
        "threat": found.entry.id,
        "title": found.entry.title,
        "closest": [_explanation_data(e) for e in found.closest],
        "alsoMatchedBy": list(found.also_matched_by),
    }
