"""Named flows as Mermaid sequence diagrams, numbered like the assessment's steps."""

from __future__ import annotations

from collections.abc import Mapping

from capsa.model.index import ModelIndex
from capsa.model.types import FlowStep, NamedFlow, SystemModel
from capsa.report.diagrams import mermaid_id


def _text(text: str) -> str:
    # ';' and '#' end or escape a Mermaid sequence message; keep the words, drop the hazards.
    return " ".join(text.replace(";", ",").replace("#", "").split())


def _participants(index: ModelIndex, flow: NamedFlow, seen: set[str], out: list[str]) -> None:
    for step in flow.steps:
        ids: list[str] = []
        if step.uses and step.uses in index.data_flows:
            data_flow = index.data_flows[step.uses]
            ids = [data_flow.source, data_flow.target]
        elif step.actor:
            ids = [step.actor]
        elif step.include and step.include in index.flows and step.include != flow.id:
            _participants(index, index.flows[step.include], seen, out)
        for element_id in ids:
            if element_id not in seen and element_id in index.elements:
                seen.add(element_id)
                out.append(element_id)


# The background of a marked step (a failing step in the FMEA section).
MARK_FILL = "rect rgb(255, 215, 215)"


def _over(index: ModelIndex, step: FlowStep) -> str:
    """The participants a note on `step` spans."""
    if step.uses and step.uses in index.data_flows:
        data_flow = index.data_flows[step.uses]
        return f"{mermaid_id(data_flow.source)},{mermaid_id(data_flow.target)}"
    return mermaid_id(step.actor or "")


def _steps(
    index: ModelIndex,
    flow: NamedFlow,
    prefix: str,
    lines: list[str],
    depth: int,
    marks: Mapping[str, str],
) -> None:
    for number, step in enumerate(flow.steps, start=1):
        label = f"{prefix}{number}. {_text(step.description)}"
        mark = None if step.include else marks.get(f"{prefix}{number}")
        if mark is not None:
            lines.append(f"  {MARK_FILL}")
        if step.uses and step.uses in index.data_flows:
            data_flow = index.data_flows[step.uses]
            lines.append(
                f"  {mermaid_id(data_flow.source)}->>{mermaid_id(data_flow.target)}: "
                f"{label} [{data_flow.protocol.value}]"
            )
        elif step.actor:
            lines.append(f"  Note over {mermaid_id(step.actor)}: {label}")
        elif step.include and step.include in index.flows and depth < 3:
            included = index.flows[step.include]
            lines.append("  rect rgb(240, 240, 250)")
            lines.append(
                f"  Note right of {mermaid_id(_first_participant(index, included))}: "
                f"{label} ({_text(included.name)})"
            )
            _steps(index, included, f"{prefix}{number}.", lines, depth + 1, marks)
            lines.append("  end")
        if mark is not None:
            lines.append(f"  Note over {_over(index, step)}: ✗ {_text(mark)}")
            lines.append("  end")


def _first_participant(index: ModelIndex, flow: NamedFlow) -> str:
    found: list[str] = []
    _participants(index, flow, set(), found)
    return found[0] if found else flow.id


def render_sequence(
    model: SystemModel, flow_id: str, marks: Mapping[str, str] | None = None
) -> str:
    """A Mermaid sequenceDiagram for one named flow; included flows are expanded in a box.
    `marks` maps a step number ("4.2") to a note: that step is shaded and annotated."""
    index = ModelIndex(model)
    flow = index.flows[flow_id]
    participants: list[str] = []
    _participants(index, flow, set(), participants)
    lines = ["sequenceDiagram", f"  title {_text(flow.name)}"]
    for element_id in participants:
        element = index.elements[element_id]
        keyword = "actor" if element.type.value == "actor" else "participant"
        lines.append(f"  {keyword} {mermaid_id(element_id)} as {_text(element.name)}")
    _steps(index, flow, "", lines, 0, marks or {})
    return "\n".join(lines) + "\n"
