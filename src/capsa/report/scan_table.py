"""The terminal view of a scan: open findings grouped by file (one header line per file,
one line per finding: line, severity, check id whole, resource; the title and fix
wrapped beneath unless `compact`), then what was suppressed, hidden by the baseline, or
could not be read, and the counts. Readable at 80 columns (capsa.report.terminal_list)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.text import Text

from capsa.checks.findings import Finding, Severity
from capsa.report.terminal_list import Entry, Group, print_groups, print_wrapped
from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult
from capsa.sources.root import relative_to_root, shown_path
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


def finding_groups(result: ScanResult) -> list[Group]:
    """Open findings by file (files in name order), each file's worst first, then by line."""
    by_file: dict[str, list[Finding]] = {}
    for finding in result.open_findings:
        by_file.setdefault(finding.location.path, []).append(finding)
    groups = []
    for path in sorted(by_file):
        findings = sorted(
            by_file[path],
            key=lambda f: (-f.severity.rank, f.location.line or 0, f.check_id),
        )
        entries = [
            Entry(
                key=f.check_id,
                head=_resource(f) + (f" (in {f.location.carrier})" if f.location.carrier else ""),
                tag=f.severity.value,
                tag_style=_STYLE[f.severity],
                where=str(f.location.line) if f.location.line is not None else "-",
                details=(f"{f.title}. Fix: {f.remediation}",),
            )
            for f in findings
        ]
        count = len(findings)
        groups.append(Group(f"{path} ({count} finding{'s' if count != 1 else ''})", entries))
    return groups


def print_table(result: ScanResult, console: Console, compact: bool = False) -> None:
    """Print the whole report on `console`."""
    result = rebased(result, findings_only=True)  # the findings' locations, root-relative
    if result.open_findings:
        print_groups(console, finding_groups(result), compact)
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
    root = Path(result.root) if result.root else None
    for problem in result.errors:  # wrapped at spaces: the file and line stay whole
        where = replace(problem, path=relative_to_root(problem.path, root))
        print_wrapped(console, f"error: {where}", style="red")
    if result.root:
        console.print(
            f"Paths are relative to the scan root {shown_path(Path(result.root)).rstrip('/')}/",
            markup=False,
            highlight=False,
        )
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


def render_table(result: ScanResult, width: int = 100, compact: bool = False) -> str:
    """The report as plain text (no colour), for --output files and tests."""
    buffer = io.StringIO()
    console = safe_console(file=buffer, width=width, color_system=None, force_terminal=False)
    print_table(result, console, compact)
    return buffer.getvalue()
