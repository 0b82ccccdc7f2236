"""Self-contained SVG drawings (no JavaScript, no network, no Graphviz needed).

The data-flow diagram nests trust boundaries as boxes and packs their members in rows;
flows are straight arrows between box edges. Attack paths are drawn as chains. The
layout is deterministic, so the same model always gives the same picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from capsa.model.index import ModelIndex
from capsa.model.types import ElementType, SystemModel

NODE_W, NODE_H = 150, 46
GAP = 18
PAD = 14
TITLE_H = 22
ROW_LIMIT = 1100

_FILL = {
    ElementType.ACTOR: "#fde7c8",
    ElementType.PROCESS: "#dbe9fb",
    ElementType.DATASTORE: "#e3f4dc",
    ElementType.SERVICE: "#f3dcf4",
}


@dataclass
class _Box:
    """A laid-out element or boundary: size first, position once its parent is placed."""

    key: str
    label: str
    is_boundary: bool
    kind: str = ""
    children: list[_Box] = field(default_factory=list)
    width: float = NODE_W
    height: float = NODE_H
    x: float = 0.0
    y: float = 0.0
    offsets: list[tuple[float, float]] = field(default_factory=list)


def _measure(box: _Box, limit: float) -> None:
    """Size a boundary by packing its children left to right in rows."""
    if not box.is_boundary:
        return
    for child in box.children:
        _measure(child, max(limit - 2 * PAD, NODE_W + 2 * PAD))
    x = y = row_h = 0.0
    width = 0.0
    box.offsets = []
    for child in box.children:
        if x > 0 and x + child.width > limit - 2 * PAD:
            x = 0.0
            y += row_h + GAP
            row_h = 0.0
        box.offsets.append((x, y))
        x += child.width + GAP
        row_h = max(row_h, child.height)
        width = max(width, x - GAP)
    box.width = max(width + 2 * PAD, 180.0)
    box.height = (y + row_h) + 2 * PAD + TITLE_H if box.children else TITLE_H + 2 * PAD


def _place(box: _Box, x: float, y: float, centers: dict[str, tuple[float, float]]) -> None:
    box.x, box.y = x, y
    if not box.is_boundary:
        centers[box.key] = (x + box.width / 2, y + box.height / 2)
        return
    for child, (dx, dy) in zip(box.children, box.offsets, strict=True):
        _place(child, x + PAD + dx, y + TITLE_H + PAD + dy, centers)


def _tree(index: ModelIndex, boundary: str | None) -> list[_Box]:
    boxes = [
        _Box(e, index.elements[e].name, False, index.elements[e].type.value)
        for e in index.members.get(boundary, [])
    ]
    for child in index.children.get(boundary, []):
        b = index.boundaries[child]
        boxes.append(_Box(child, b.name, True, b.kind.value, _tree(index, child)))
    return boxes


def _clip(cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the segment from a node centre towards (tx, ty) leaves the node's box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(
        (NODE_W / 2) / abs(dx) if dx else float("inf"),
        (NODE_H / 2) / abs(dy) if dy else float("inf"),
    )
    return cx + dx * scale, cy + dy * scale


def _draw(box: _Box, out: list[str], nodes: list[str], depth: int) -> None:
    """Boundaries go to `out`, elements to `nodes`, so flows can be drawn between the two
    layers: above the boundary backgrounds, beneath the element boxes."""
    if box.is_boundary:
        out.append(
            f'<g class="boundary" id="boundary-{escape(box.key)}">'
            f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" height="{box.height:.0f}" '
            f'rx="8" fill="{"#f7f7f9" if depth % 2 else "#ffffff"}" stroke="#8a8fa3" '
            f'stroke-dasharray="6 4"/>'
            f'<text x="{box.x + 8:.0f}" y="{box.y + 16:.0f}" class="btitle">'
            f"{escape(box.label)} ({escape(box.kind)})</text></g>"
        )
        for child in box.children:
            _draw(child, out, nodes, depth + 1)
        return
    fill = _FILL.get(ElementType(box.kind), "#eeeeee")
    rx = 22 if box.kind == ElementType.ACTOR.value else 6
    nodes.append(
        f'<g class="element" id="element-{escape(box.key)}"><title>{escape(box.key)}</title>'
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" height="{box.height:.0f}" '
        f'rx="{rx}" fill="{fill}" stroke="#3b4252"/>'
        f'<text x="{box.x + box.width / 2:.0f}" y="{box.y + box.height / 2 + 4:.0f}" '
        f'text-anchor="middle" class="ename">{escape(_short(box.label, 24))}</text></g>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_STYLE = (
    "<style>.btitle{font:600 12px sans-serif;fill:#4c566a}.ename{font:12px sans-serif;fill:#2e3440}"
    ".flabel{font:10px sans-serif;fill:#3b5b8c;paint-order:stroke;stroke:#fff;stroke-width:3px}.flow{stroke:#5e81ac;stroke-width:1.2;fill:none}"
    ".pstep{font:11px sans-serif;fill:#2e3440}</style>"
)
_ARROW = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5e81ac"/>'
    "</marker></defs>"
)


def render_dfd_svg(model: SystemModel) -> str:
    """The model's data-flow diagram as one standalone <svg> element."""
    index = ModelIndex(model)
    root = _Box(
        "root", model.metadata.title or model.metadata.name, True, "system", _tree(index, None)
    )
    _measure(root, ROW_LIMIT)
    centers: dict[str, tuple[float, float]] = {}
    _place(root, 0.0, 0.0, centers)
    body: list[str] = []
    nodes: list[str] = []
    labels: list[str] = []
    for child in root.children:
        _draw(child, body, nodes, 0)
    for flow in model.data_flows:
        if flow.source not in centers or flow.target not in centers:
            continue
        (sx, sy), (tx, ty) = centers[flow.source], centers[flow.target]
        x1, y1 = _clip(sx, sy, tx, ty)
        x2, y2 = _clip(tx, ty, sx, sy)
        body.append(
            f'<g class="flowedge" id="flow-{escape(flow.id)}"><title>{escape(flow.id)}: '
            f"{escape(flow.protocol.value)}</title>"
            f'<line class="flow" x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            f'marker-end="url(#arrow)"/></g>'
        )
        labels.append(
            f'<text class="flabel" x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 3:.0f}" '
            f'text-anchor="middle">{escape(flow.label or flow.protocol.value)}</text>'
        )
    body.extend(nodes)
    body.extend(labels)
    width, height = root.width, root.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dfd" viewBox="-4 -4 {width + 8:.0f} '
        f'{height + 8:.0f}" width="{width + 8:.0f}" height="{height + 8:.0f}" role="img" '
        f'aria-label="Data-flow diagram">{_STYLE}{_ARROW}{"".join(body)}</svg>'
    )


def render_path_svg(steps: Sequence[tuple[str, str]], title: str = "") -> str:
    """An attack path as a left-to-right chain: `steps` are (node label, technique to next)."""
    width = max(len(steps), 1) * (NODE_W + 70) + 10
    parts: list[str] = []
    for i, (label, technique) in enumerate(steps):
        x = 5 + i * (NODE_W + 70)
        parts.append(
            f'<rect x="{x}" y="20" width="{NODE_W}" height="{NODE_H}" rx="6" fill="#fbe3e3" '
            f'stroke="#bf616a"/><text class="pstep" x="{x + NODE_W / 2:.0f}" y="47" '
            f'text-anchor="middle">{escape(_short(label, 24))}<title>{escape(label)}</title></text>'
        )
        if i < len(steps) - 1:
            parts.append(
                f'<line class="flow" x1="{x + NODE_W}" y1="43" x2="{x + NODE_W + 68}" y2="43" '
                f'marker-end="url(#arrow)"/><text class="flabel" x="{x + NODE_W + 35}" y="37" '
                f'text-anchor="middle">{escape(_short(technique, 14))}<title>{escape(technique)}'
                "</title></text>"
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="attack-path" viewBox="0 0 {width} 80" '
        f'width="{width}" height="80" role="img" aria-label="{escape(title or "attack path")}">'
        f"{_STYLE}{_ARROW}{''.join(parts)}</svg>"
    )
