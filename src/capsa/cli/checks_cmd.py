"""`capsa checks list|show` and `capsa policy export`: the checks themselves, and the
object-level ones as ValidatingAdmissionPolicies. Mounted by `scan_cmd.register`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from capsa.cli.common import EXIT_UNUSABLE, err, fail_input, write_output
from capsa.errors import InputError
from capsa.terminal import console

if TYPE_CHECKING:
    from capsa.checks.model import Check

checks_app = typer.Typer(help="List and explain the checks capsa runs.", no_args_is_help=True)
policy_app = typer.Typer(
    help="Export checks as admission policies for a management cluster.", no_args_is_help=True
)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class Action(StrEnum):
    DENY = "Deny"
    WARN = "Warn"
    AUDIT = "Audit"


def _write(text: str, output: str | None) -> None:
    write_output(text if text.endswith("\n") else text + "\n", output)


def _load_checks() -> list[Check]:
    from capsa.checks.catalog import load_checks

    try:
        return load_checks()
    except InputError as error:
        fail_input(error)


def _check_dict(check: Check) -> dict[str, Any]:
    from capsa.checks.vap import exportable

    return {
        "id": check.id,
        "title": " ".join(check.title.split()),
        "severity": check.severity.value,
        "threats": list(check.threats),
        "mitigation": check.mitigation,
        "scope": check.scope,
        "kinds": [k.model_dump(exclude_none=True) for k in check.match.kinds],
        "providers": list(check.providers),
        "field": " ".join(check.field.split()),
        "variables": [{"name": v.name, "expression": v.expression} for v in check.variables],
        "expression": check.expression,
        "message": " ".join(check.message.split()),
        "remediation": " ".join(check.remediation.split()),
        "references": list(check.references),
        "unknownWhen": list(check.unknown_when),
        "everyItemMustComply": check.every_item_must_comply,
        "readsOnlyWhen": [
            {"fields": list(guard.fields), "when": " ".join(guard.when.split())}
            for guard in check.reads_only_when
        ],
        "exportable": exportable(check) is None,
    }


@checks_app.command("list")
def list_checks(
    fmt: ListFormat = typer.Option(
        ListFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
) -> None:
    """List every check: id, severity, threats and title."""
    checks = _load_checks()
    if fmt is ListFormat.JSON:
        import json

        from capsa import SCHEMA

        document = {
            "schema": SCHEMA,
            "kind": "CheckList",
            "checks": [_check_dict(c) for c in checks],
        }
        _write(json.dumps(document, indent=2), output)
        return
    from rich.table import Table

    table = Table(title=f"{len(checks)} checks")
    for column in ("id", "severity", "scope", "threats", "title"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(
            check.id,
            check.severity.value,
            check.scope,
            ", ".join(check.threats),
            " ".join(check.title.split()),
        )
    if output is None:
        console().print(table)
        return
    import io

    recorder = console(file=io.StringIO(), width=160, record=True)
    recorder.print(table)
    write_output(recorder.export_text(), output)


@checks_app.command("show")
def show_check(
    check_id: str = typer.Argument(..., metavar="ID", help="A check id."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
) -> None:
    """Explain one check: what it matches, its CEL, why it matters and how to fix it."""
    checks = {c.id: c for c in _load_checks()}
    check = checks.get(check_id.strip().upper())
    if check is None:
        import difflib

        close = difflib.get_close_matches(check_id.upper(), list(checks), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        err(f"error: unknown check {check_id!r}{hint}")
        raise typer.Exit(EXIT_UNUSABLE)
    data = _check_dict(check)
    kinds = ", ".join(f"{k.get('group')}/{k['kind']}" for k in data["kinds"])
    lines = [
        f"{check.id}: {data['title']}",
        f"severity:    {data['severity']}",
        f"threats:     {', '.join(check.threats)}",
        f"mitigation:  {check.mitigation}",
        f"scope:       {check.scope}",
        f"matches:     {kinds}",
        f"providers:   {', '.join(check.providers)}",
        f"field:       {data['field']}",
        f"exportable:  {'yes' if data['exportable'] else 'no'}",
        "",
        *(f"variables.{v.name} = {' '.join(v.expression.split())}" for v in check.variables),
        "expression (true when compliant):",
        *(f"  {line}" for line in check.expression.strip().splitlines()),
        *_conditions(check),
        "",
        f"why: {data['message']}",
        "",
        f"fix: {data['remediation']}",
        "",
        "references:",
        *(f"  - {ref}" for ref in check.references),
    ]
    _write("\n".join(lines), output)


def _conditions(check: Check) -> list[str]:
    """When a result is not applicable, when a pass rests on an upstream default, and
    when the manifests cannot decide."""
    lines: list[str] = []
    if check.applies_when is not None:
        lines += [
            "applies when (otherwise not applicable):",
            f"  {' '.join(check.applies_when.split())}",
        ]
    if check.by_default is not None:
        lines += [
            "passes by default when:",
            f"  {' '.join(check.by_default.when.split())}",
            f"  ({' '.join(check.by_default.default.split())}; {check.by_default.reference})",
        ]
    if check.undecided is not None:
        lines += [
            "undecided from manifests when:",
            f"  {' '.join(check.undecided.when.split())}",
            f"  ({' '.join(check.undecided.reason.split())}; {check.undecided.reference})",
        ]
    for guard in check.reads_only_when:
        lines += [
            f"reads {', '.join(guard.fields)} only when:",
            f"  {' '.join(guard.when.split())}",
        ]
    return lines


# --- policy -------------------------------------------------------------------------


@policy_app.command("export")
def export(
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="DIR", help="Directory to write the policy files into."
    ),
    out: Path | None = typer.Option(None, "--out", hidden=True, help="Old name of --output."),
    action: list[Action] = typer.Option(
        [Action.DENY],
        "--action",
        case_sensitive=False,
        help="validationActions of the bindings (repeatable).",
    ),
    only: list[str] = typer.Option(
        [], "--check", metavar="ID|GLOB", help="Export only these checks (repeatable)."
    ),
) -> None:
    """Write each object-level check as a ValidatingAdmissionPolicy and its binding."""
    import yaml

    from capsa.checks.vap import NotExportable, export_policy
    from capsa.scan.selection import check_selected, unmatched

    if output is None and out is None:
        err("error: give the directory to write into with -o/--output DIR")
        raise typer.Exit(EXIT_UNUSABLE)
    out = output if output is not None else out
    assert out is not None
    checks = _load_checks()
    unknown = unmatched(only, [c.id for c in checks])
    if unknown:
        err(f"error: unknown check(s): {', '.join(unknown)}")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        err(f"error: {out}: cannot create directory: {error.strerror}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    written = 0
    for check in checks:
        if not check_selected(check.id, only, ()):
            continue
        try:
            documents = export_policy(check, tuple(a.value for a in action))
        except NotExportable as reason:
            err(f"skipped: {reason}")
            continue
        text = yaml.safe_dump_all(documents, sort_keys=False, width=100)
        _write(text, str(out / f"{check.id.lower()}.yaml"))
        written += 1
    write_output(f"wrote {written} policy file(s) to {out}", None)
