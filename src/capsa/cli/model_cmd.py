"""`capsa model …`: validate, summarise, draw and export the schema of system models."""

from __future__ import annotations

import json
from enum import StrEnum

import typer

from capsa.cli.common import err, fail_input, write_output
from capsa.errors import InputError
from capsa.terminal import console

app = typer.Typer(help="Work with system models (threat model as code).", no_args_is_help=True)

MODEL_ARG = typer.Argument(
    "builtin:capi-aws", help="A model file, or builtin:NAME for a model shipped with capsa."
)
MODEL_OPT = typer.Option("builtin:capi-aws", "--model", "-m", help="Model file or builtin:NAME.")


class DiagramFormat(StrEnum):
    MERMAID = "mermaid"
    DOT = "dot"


def _load(ref: str):  # type: ignore[no-untyped-def]  # returns SystemModel; imported lazily
    from capsa.model.loader import load_model

    try:
        return load_model(ref)
    except InputError as error:
        fail_input(error)


@app.command()
def validate(model: str = MODEL_ARG) -> None:
    """Check a model file: schema, references, duplicate ids, boundary cycles."""
    loaded = _load(model)
    write_output(
        f"ok: {model} ({loaded.metadata.name}): {len(loaded.elements)} elements, "
        f"{len(loaded.boundaries)} boundaries, {len(loaded.assets)} assets, "
        f"{len(loaded.data_flows)} data flows, {len(loaded.flows)} named flows",
        None,
    )


@app.command()
def show(
    model: str = MODEL_OPT,
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to a file."
    ),
    compact: bool = typer.Option(
        False, "--compact", help="One line per element and flow, without what they store or cross."
    ),
) -> None:
    """Summarise a model: elements by trust boundary, data flows, named flows."""
    import io

    from capsa.report.terminal_views import print_model

    out = console(file=io.StringIO(), width=100, record=True) if output else console()
    print_model(out, _load(model), compact)
    if output:
        write_output(out.export_text(), output)


@app.command()
def render(
    model: str = MODEL_OPT,
    format: DiagramFormat = typer.Option(
        DiagramFormat.MERMAID, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to a file."),
) -> None:
    """Draw the data-flow diagram, trust boundaries as subgraphs."""
    from capsa.report.diagrams import render_dot, render_mermaid

    loaded = _load(model)
    text = render_mermaid(loaded) if format is DiagramFormat.MERMAID else render_dot(loaded)
    write_output(text, output)


@app.command()
def flows(
    model: str = MODEL_OPT,
    flow: str | None = typer.Option(None, "--flow", help="Only this named flow (id)."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to a file."),
) -> None:
    """Print named flows as Mermaid sequence diagrams, one per flow."""
    from capsa.report.sequence import render_sequence

    loaded = _load(model)
    known = [f.id for f in loaded.flows]
    if flow is not None and flow not in known:
        err(f"error: no named flow {flow!r}; known: {', '.join(known)}")
        raise typer.Exit(2)
    chosen = [flow] if flow else known
    parts = []
    for flow_id in chosen:
        named = next(f for f in loaded.flows if f.id == flow_id)
        parts.append(
            f"%% {named.id}: {named.name} ({len(named.steps)} steps)\n"
            + render_sequence(loaded, flow_id)
        )
    write_output("\n".join(parts), output)


@app.command()
def schema(
    output: str | None = typer.Option(None, "--output", "-o", help="Write to a file."),
) -> None:
    """Print the JSON Schema of the model format (for editor completion and validation)."""
    from capsa.model.schema import model_json_schema

    write_output(json.dumps(model_json_schema(), indent=2, sort_keys=True), output)
