"""The report's drawings as inline SVG, laid out by Graphviz (`capsa.report.graphviz`).

The data-flow diagram nests trust boundaries as clusters; flows between the same two
elements share one edge (both ways when they run both ways) so their labels never sit
on top of each other. Attack paths are drawn per group as one small left-to-right graph
whose nodes read as the capability an attacker holds ("pod-on-node"); the object paths
behind them are in the report's step table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from capsa.model.index import ModelIndex
from capsa.model.types import ElementType, SystemModel
from capsa.report.graphviz import FONT, LayoutError, quote, render_svg, unavailable

_SHAPE = {
    ElementType.ACTOR: ("box", "filled,rounded", "#fde7c8"),
    ElementType.PROCESS: ("box", "filled,rounded", "#dbe9fb"),
    ElementType.DATASTORE: ("cylinder", "filled", "#e3f4dc"),
    ElementType.SERVICE: ("hexagon", "filled", "#f3dcf4"),
}

_HEAD = (
    f'graph [fontname="{FONT}", fontsize=12, labeljust=l, nodesep=0.3, ranksep=0.45];',
    f'node [fontname="{FONT}", fontsize=11, margin="0.14,0.06", penwidth=1, color="#3b4252"];',
    f'edge [fontname="{FONT}", fontsize=10, color="#5e81ac", fontcolor="#2b4c7e"];',
)


@dataclass(frozen=True)
class _Edge:
    """One drawn edge: every flow between an unordered pair of elements."""

    tail: str
    head: str
    both_ways: bool
    flows: tuple[str, ...]
    labels: tuple[str, ...]


def _edges(model: SystemModel, drawn: set[str]) -> list[_Edge]:
    pairs: dict[frozenset[str], list[tuple[str, str, str, str]]] = {}
    for flow in model.data_flows:
        if flow.source in drawn and flow.target in drawn:
            label = flow.label or flow.protocol.value
            key = frozenset((flow.source, flow.target))
            pairs.setdefault(key, []).append((flow.source, flow.target, flow.id, label))
    out: list[_Edge] = []
    for members in pairs.values():
        tail, head = members[0][0], members[0][1]
        labels = tuple(dict.fromkeys(m[3] for m in members))
        both = any(m[0] != tail for m in members)
        out.append(_Edge(tail, head, both, tuple(m[2] for m in members), labels))
    return out


def dfd_dot(model: SystemModel) -> str:
    """The styled DOT the report lays out (the plain one is `diagrams.render_dot`)."""
    index = ModelIndex(model)
    lines = ["digraph dfd {", "rankdir=LR; newrank=true; compound=true;", *_HEAD]
    drawn: set[str] = set()

    def emit(boundary: str | None, depth: int) -> None:
        for element_id in index.members.get(boundary, []):
            element = index.elements[element_id]
            shape, style, fill = _SHAPE[element.type]
            drawn.add(element_id)
            lines.append(
                f"{quote(element_id)} [label={quote(element.name)}, shape={shape}, "
                f'style="{style}", fillcolor="{fill}", id={quote("element-" + element_id)}, '
                f'class="element"];'
            )
        for child in index.children.get(boundary, []):
            b = index.boundaries[child]
            fill = "#f7f7f9" if depth % 2 == 0 else "#ffffff"
            lines.append(
                f"subgraph {quote('cluster_' + child)} {{ label={quote(f'{b.name} ({b.kind.value})')}; "
                f'style="dashed,filled"; fillcolor="{fill}"; color="#8a8fa3"; '
                f'id={quote("boundary-" + child)}; class="boundary";'
            )
            emit(child, depth + 1)
            lines.append("}")

    emit(None, 0)
    for edge in _edges(model, drawn):
        classes = " ".join(["flowedge", *(f"flow-{f}" for f in edge.flows)])
        extra = ", dir=both" if edge.both_ways else ""
        lines.append(
            f"{quote(edge.tail)} -> {quote(edge.head)} [label={quote(', '.join(edge.labels))}, "
            f"id={quote('flow-' + edge.flows[0])}, class={quote(classes)}{extra}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dfd_svg(model: SystemModel) -> str:
    """The model's data-flow diagram as one standalone <svg> element."""
    try:
        return render_svg(dfd_dot(model), "dfd", "Data-flow diagram")
    except LayoutError as error:
        return unavailable("dfd", "The data-flow diagram", str(error))


def capability(node: str) -> str:
    """What a path node gives the attacker, without the object path it sits on
    (`team-a/prod/control-plane:node-files` reads `node-files`)."""
    return node.rsplit(":", 1)[-1]


def path_group_dot(
    steps: Sequence[tuple[str, str, str]], entry: str, targets: Sequence[str]
) -> str:
    """DOT of the union of some paths' steps, given as (from, to, technique).

    Nodes are labelled by capability, so paths through different clusters that take the
    same steps draw once; the technique labels the edge."""
    lines = ["digraph path {", "rankdir=TB;", *_HEAD, 'node [shape=box, style="filled"];']
    nodes: dict[str, None] = {}
    edges: dict[tuple[str, str], list[str]] = {}
    for source, target_node, technique in steps:
        a, b = capability(source), capability(target_node)
        nodes.setdefault(a)
        nodes.setdefault(b)
        techniques = edges.setdefault((a, b), [])
        if technique not in techniques:
            techniques.append(technique)
    for name in nodes:
        fill = "#fff4c2" if name == entry else "#f6c7cb" if name in targets else "#fbe9e9"
        lines.append(f'{quote(name)} [fillcolor="{fill}", color="#bf616a"];')
    for (a, b), techniques in edges.items():
        lines.append(f"{quote(a)} -> {quote(b)} [label={quote(' / '.join(techniques))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_path_group_svg(
    steps: Sequence[tuple[str, str, str]], entry: str, targets: Sequence[str], title: str
) -> str:
    """A group of attack paths as one compact drawing (see `path_group_dot`)."""
    try:
        return render_svg(path_group_dot(steps, entry, targets), "attack-path", title)
    except LayoutError as error:
        return unavailable("attack-path", title, str(error))
