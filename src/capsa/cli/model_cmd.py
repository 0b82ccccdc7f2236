"""`capsa model …`: validate, summarise, draw and export the schema of system models."""

from __future__ import annotations

import json
from enum import StrEnum

import typer

from capsa.cli.common import err, fail_input, write_output
from capsa.display import terminal_safe
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
) -> None:
    """Summarise a model: its boundaries, elements and named flows."""
    import io

    from rich.table import Table
    from rich.text import Text

    from capsa.model.index import ModelIndex

    loaded = _load(model)
    index = ModelIndex(loaded)
    out = console(file=io.StringIO(), width=160, record=True) if output else console()
    out.print(Text(terminal_safe(loaded.metadata.title or loaded.metadata.name), style="bold"))
    boundaries = Table("boundary", "kind", "inside", "cluster types", title="Trust boundaries")
    for b in loaded.boundaries:
        types = ", ".join(t.value for t in b.cluster_types)
        boundaries.add_row(b.id, b.kind.value, b.parent or "-", types or "-")
    out.print(boundaries)
    elements = Table("element", "type", "boundary", "exposure", "stores", title="Elements")
    for e in loaded.elements:
        exposure = e.attributes.exposure.value if e.attributes.exposure else "-"
        elements.add_row(
            e.id, e.type.value, e.boundary or "-", exposure, ", ".join(e.attributes.stores) or "-"
        )
    out.print(elements)
    flows = Table("data flow", "from", "to", "protocol", "crosses", title="Data flows")
    for f in loaded.data_flows:
        flows.add_row(
            f.id, f.source, f.target, f.protocol.value, ", ".join(index.crossings(f)) or "-"
        )
    out.print(flows)
    named = Table("flow", "name", "steps", title="Named flows")
    for nf in loaded.flows:
        named.add_row(nf.id, nf.name, str(len(nf.steps)))
    out.print(named)
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
