"""Data-flow diagrams of a model: Mermaid (renders on GitHub) and Graphviz DOT.

Boundaries become nested subgraphs; element shapes follow data-flow-diagram habit
(actors as stadiums, processes as rounded boxes, data stores as cylinders, external
services as hexagons).
"""

from __future__ import annotations

import re

from capsa.model.index import ModelIndex
from capsa.model.types import ElementType, SystemModel

_MERMAID_SHAPES = {
    ElementType.ACTOR: ('(["', '"])'),
    ElementType.PROCESS: ('("', '")'),
    ElementType.DATASTORE: ('[("', '")]'),
    ElementType.SERVICE: ('{{"', '"}}'),
}
_DOT_SHAPES = {
    ElementType.ACTOR: "box",
    ElementType.PROCESS: "ellipse",
    ElementType.DATASTORE: "cylinder",
    ElementType.SERVICE: "hexagon",
}


def mermaid_id(raw: str) -> str:
    """Mermaid node ids may not contain '-' reliably; map every id to a safe token."""
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", raw)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def flow_label(protocol: str, label: str) -> str:
    return label or protocol


def render_mermaid(model: SystemModel) -> str:
    index = ModelIndex(model)
    lines = ["flowchart TB"]

    def emit(boundary: str | None, depth: int) -> None:
        pad = "  " * depth
        for element_id in index.members.get(boundary, []):
            element = index.elements[element_id]
            left, right = _MERMAID_SHAPES[element.type]
            lines.append(f"{pad}{mermaid_id(element_id)}{left}{_mermaid_text(element.name)}{right}")
        for child in index.children.get(boundary, []):
            b = index.boundaries[child]
            lines.append(f'{pad}subgraph {mermaid_id(child)}["{_mermaid_text(b.name)}"]')
            emit(child, depth + 1)
            lines.append(f"{pad}end")

    emit(None, 1)
    for flow in model.data_flows:
        text = _mermaid_text(flow_label(flow.protocol.value, flow.label))
        lines.append(f'  {mermaid_id(flow.source)} -->|"{text}"| {mermaid_id(flow.target)}')
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render_dot(model: SystemModel) -> str:
    """DOT with newrank=true: Graphviz 2.42 drops edges of clustered graphs without it."""
    index = ModelIndex(model)
    lines = [
        "digraph capsa {",
        "  newrank=true;",
        "  compound=true;",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]

    def emit(boundary: str | None, depth: int) -> None:
        pad = "  " * depth
        for element_id in index.members.get(boundary, []):
            element = index.elements[element_id]
            lines.append(
                f'{pad}"{_dot_text(element_id)}" [label="{_dot_text(element.name)}", '
                f"shape={_DOT_SHAPES[element.type]}];"
            )
        for child in index.children.get(boundary, []):
            b = index.boundaries[child]
            lines.append(f'{pad}subgraph "cluster_{_dot_text(child)}" {{')
            lines.append(f'{pad}  label="{_dot_text(b.name)}";')
            lines.append(f"{pad}  style=dashed;")
            emit(child, depth + 1)
            lines.append(f"{pad}}}")

    emit(None, 1)
    for flow in model.data_flows:
        text = _dot_text(flow_label(flow.protocol.value, flow.label))
        lines.append(
            f'  "{_dot_text(flow.source)}" -> "{_dot_text(flow.target)}" [label="{text}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
