"""The terminal view of a scan: open findings worst first, then what was suppressed,
hidden by the baseline, or could not be read, and the counts."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from capsa.checks.findings import Finding, Severity
from capsa.scan.result import ScanResult
from capsa.terminal import console as safe_console

_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}


def _resource(finding: Finding) -> str:
    ref = finding.resource
    return f"{ref.kind}/{ref.namespace + '/' if ref.namespace else ''}{ref.name}"


def _where(path: str, line: int | None, carrier: str | None = None) -> str:
    place = f"{path}:{line}" if line is not None else path
    return f"{place} (in {carrier})" if carrier else place


def findings_table(result: ScanResult) -> Table:
    table = Table(title="Findings", show_lines=False, expand=False)
    for column in ("severity", "check", "resource", "location", "message"):
        table.add_column(column, overflow="fold")
    for finding in result.open_findings:
        loc = finding.location
        table.add_row(  # Text, not str: names and paths from inputs are never markup
            Text(finding.severity.value, style=_STYLE[finding.severity]),
            Text(finding.check_id),
            Text(_resource(finding)),
            Text(_where(loc.path, loc.line, loc.carrier)),
            Text(f"{finding.title}. Fix: {finding.remediation}"),
        )
    return table


def print_table(result: ScanResult, console: Console) -> None:
    """Print the whole report on `console`."""
    if result.open_findings:
        console.print(findings_table(result))
    else:
        console.print("No open findings.")
    summary = result.summary
    for finding in result.suppressed_critical:
        console.print(
            Text(
                f"critical finding suppressed: {finding.check_id} on {_resource(finding)} "
                f"({finding.suppression_reason})",
                style="bold red",
            )
        )
    if summary.baseline_critical:
        console.print(
            Text(
                f"{summary.baseline_critical} critical finding(s) hidden by the baseline",
                "bold red",
            )
        )
    for refused in result.refused_suppressions:
        console.print(
            Text(
                f"suppression not applied to critical {refused.check_id}: {refused.why} "
                f"({_where(refused.path, refused.line)})"
            )
        )
    for entry in result.expired_suppressions:
        console.print(
            Text(
                f"expired suppression ({entry.expires.isoformat()}, approved by {entry.approver}) "
                f"for {entry.check} at {entry.where}: no longer applied",
                style="yellow",
            )
        )
    for problem in result.errors:
        console.print(Text(f"error: {problem}", style="red"))
    counts = ", ".join(f"{n} {s}" for s, n in summary.by_severity.items())
    console.print(
        f"{summary.open} open finding(s) ({counts}); {summary.suppressed} suppressed; "
        f"{summary.baseline} in baseline; {summary.unknown} unknown; {summary.passes} passed; "
        f"{summary.not_applicable} not applicable. "
        f"{summary.files} file(s), {summary.documents} document(s), {summary.resources} "
        f"resource(s), {summary.checks} check(s); {summary.errors} error(s).",
        markup=False,
        highlight=False,
    )


def render_table(result: ScanResult, width: int = 160) -> str:
    """The report as plain text (no colour), for --output files and tests."""
    buffer = io.StringIO()
    console = safe_console(file=buffer, width=width, color_system=None, force_terminal=False)
    print_table(result, console)
    return buffer.getvalue()
