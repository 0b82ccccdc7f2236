"""Several outputs from one run: `-o/--output [FORMAT:]FILE`, repeatable.

Each `-o` names a file, or `-` for standard output. Its format is the `FORMAT:` prefix
when given, else `--format` when given, else the file's extension (`.json`, `.sarif`,
`.md`, `.xml` for JUnit, `.yaml`/`.yml` for Policy Reports, `.txt` for the table), else
the command's default. Without `-o` the `--format` output goes to standard output. So
`-o results.sarif -o report.json -o -` writes SARIF and JSON files and the table on the
terminal, in one run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import typer

from capsa.cli.common import EXIT_UNUSABLE, err

EXTENSIONS = {
    ".json": "json",
    ".sarif": "sarif",
    ".md": "md",
    ".xml": "junit",
    ".yaml": "policyreport",
    ".yml": "policyreport",
    ".txt": "table",
    ".html": "html",
}


@dataclass(frozen=True)
class Target:
    """One output of a run: a format and a file (None: standard output)."""

    fmt: str
    path: str | None


def plan(
    outputs: Sequence[str],
    fmt: str | None,
    default: str,
    formats: Collection[str],
) -> list[Target]:
    """The outputs asked for; exit 2 on an unknown format or two outputs to one place."""
    if not outputs:
        return [Target(fmt or default, None)]
    targets: list[Target] = []
    for raw in outputs:
        prefix, sep, rest = raw.partition(":")
        if sep and prefix.lower() in formats and rest:
            chosen, path = prefix.lower(), rest
        else:
            path = raw
            by_extension = EXTENSIONS.get(Path(raw).suffix.lower())
            chosen = fmt or (by_extension if by_extension in formats else None) or default
        targets.append(Target(chosen, None if path == "-" else path))
    places = [t.path for t in targets]
    if len(places) != len(set(places)):
        err("error: two outputs go to the same place; give each -o its own file")
        raise typer.Exit(EXIT_UNUSABLE)
    return targets


def written_summary(targets: Sequence[Target]) -> str:
    files = [f"{t.path} ({t.fmt})" for t in targets if t.path is not None]
    return "wrote " + ", ".join(files) if files else ""
