"""A scan as Markdown, for pull-request comments and job summaries: counts first, then
the open findings, and every suppressed or baseline-hidden critical finding by name."""

from __future__ import annotations

from pathlib import Path

from capsa.checks.findings import Finding
from capsa.report.markdown_text import cell as _cell
from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult
from capsa.sources.root import shown_path


def _location(finding: Finding) -> str:
    loc = finding.location
    place = f"{loc.path}:{loc.line}" if loc.line is not None else loc.path
    return f"{place} (in {loc.carrier})" if loc.carrier else place


def render_markdown(result: ScanResult) -> str:
    result = rebased(result)  # locations relative to the scan root
    summary = result.summary
    lines = ["# capsa scan", "", "| severity | open |", "| --- | ---: |"]
    lines += [f"| {severity} | {count} |" for severity, count in summary.by_severity.items()]
    lines += [
        "",
        f"{summary.open} open, {summary.suppressed} suppressed, {summary.baseline} in the "
        f"baseline, {summary.unknown} unknown, {summary.passes} passed, "
        f"{summary.not_applicable} not applicable; {summary.files} "
        f"file(s), {summary.documents} document(s), {summary.resources} resource(s), "
        f"{summary.checks} check(s), {summary.errors} input error(s).",
        "",
    ]
    if result.root:
        lines += [
            f"Locations are relative to the scan root `{shown_path(Path(result.root)).rstrip('/')}/`.",
            "",
        ]
    if result.open_findings:
        lines += [
            "## Findings",
            "",
            "| severity | check | resource | location | message | remediation |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {f.severity.value} | {_cell(f.check_id)} | {_cell(f.resource.label)} | "
            f"{_cell(_location(f))} | {_cell(f.message)} | {_cell(f.remediation)} |"
            for f in result.open_findings
        ]
        lines.append("")
    critical = result.suppressed_critical
    if critical or summary.baseline_critical:
        lines += ["## Critical findings not shown as open", ""]
        lines += [
            f"- {_cell(f.check_id)} on {_cell(f.resource.label)} suppressed: "
            f"{_cell(f.suppression_reason or '')}"
            for f in critical
        ]
        if summary.baseline_critical:
            lines.append(f"- {summary.baseline_critical} hidden by the baseline")
        lines.append("")
    if result.expired_suppressions:
        lines += ["## Expired suppressions (no longer applied)", ""]
        lines += [
            f"- {_cell(s.check)} at {_cell(s.where)}, expired {s.expires.isoformat()} "
            f"(approved by {_cell(s.approver)})"
            for s in result.expired_suppressions
        ]
        lines.append("")
    if result.errors:
        lines += ["## Input errors", "", "| file | line | problem |", "| --- | ---: | --- |"]
        lines += [
            f"| {_cell(p.path)} | {p.line if p.line is not None else ''} | {_cell(p.message)} |"
            for p in result.errors
        ]
        lines.append("")
    return "\n".join(lines)
