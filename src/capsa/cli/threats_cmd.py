"""`capsa threats`: the catalogue, threats derived by the generic rules, recall and tracking.

Mount with `app.add_typer(threats_cmd.app, name="threats")`; the command is the group's
callback, so `capsa threats --format json` runs it directly.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from capsa.cli.common import EXIT_UNUSABLE, err, fail_input, write_output
from capsa.errors import InputError
from capsa.terminal import console

if TYPE_CHECKING:
    from capsa.threats.render import Selection
    from capsa.threats.service import ThreatReport

app = typer.Typer(help="Threats: the assessment's catalogue and threats derived from the model.")


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MD = "md"


@app.callback(invoke_without_command=True)
def threats(
    model: str = typer.Option(
        "builtin:capi-aws", "--model", "-m", help="Model file or builtin:NAME."
    ),
    format: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    generated: bool = typer.Option(False, "--generated", help="Only threats derived by the rules."),
    catalogue: bool = typer.Option(False, "--catalogue", help="Only the assessment's catalogue."),
    tracking: Path | None = typer.Option(
        None, "--tracking", help="Tracking file (default: capsa-tracking.yaml next to the model)."
    ),
    allow_orphans: bool = typer.Option(
        False,
        "--allow-orphans",
        help="Warn instead of failing on tracking entries matching no threat.",
    ),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    explain: str | None = typer.Option(
        None,
        "--explain",
        metavar="ID",
        help="Explain one threat: the rule and facts behind it and what change removes it.",
    ),
) -> None:
    """List threats with their mitigations and upstream status, and the catalogue recall."""
    from capsa.threats.render import report_data, report_markdown
    from capsa.threats.service import assess_threats
    from capsa.threats.tracking import default_tracking_path

    if explain is not None:
        _explain(model, explain, format, output)
        return

    if generated and catalogue:
        err("error: choose at most one of --generated and --catalogue")
        raise typer.Exit(EXIT_UNUSABLE)
    which: Selection = "generated" if generated else "catalogue" if catalogue else "all"
    tracking_path = tracking if tracking is not None else default_tracking_path(model)
    try:
        report = assess_threats(model, tracking_path, allow_orphans=allow_orphans)
    except InputError as error:
        fail_input(error)
    for warning in report.warnings:
        err(f"warning: {warning}")
    if format is OutputFormat.JSON:
        write_output(json.dumps(report_data(report, which), indent=2), output)
    elif format is OutputFormat.MD:
        write_output(report_markdown(report, which), output)
    else:
        _table(report, which, output)


def _explain(model: str, threat_id: str, format: OutputFormat, output: str | None) -> None:
    """`--explain ID`: text (table and md) or the JSON document."""
    from capsa.threats.render import explanation_data, explanation_text
    from capsa.threats.service import explain_threat

    try:
        found = explain_threat(model, threat_id)
    except InputError as error:
        fail_input(error)
    if format is OutputFormat.JSON:
        write_output(json.dumps(explanation_data(found), indent=2), output)
    else:
        write_output(explanation_text(found).rstrip("\n"), output)


def _table(report: ThreatReport, which: Selection, output: str | None) -> None:
    from rich.table import Table

    from capsa.threats.render import select

    out = console(record=output is not None, width=160 if output else None)
    table = Table(
        "id", "category", "source", "severity", "matches", "decision", "title", title="Threats"
    )
    for e in select(report, which):
        matched = e.matched_catalogue_id or (
            "candidate" if e.source == "generated" else str(len(e.matched_by))
        )
        table.add_row(
            e.id,
            e.category,
            e.source,
            e.severity or "-",
            matched,
            e.tracking.decision.value if e.tracking else "-",
            e.title,
        )
    out.print(table)
    missed = f" (missed: {', '.join(report.missed)})" if report.missed else ""
    out.print(
        f"recall: {report.recall_matched}/{report.recall_total}{missed}; candidates: {len(report.candidates)}"
    )
    if output:
        write_output(out.export_text(), output)
