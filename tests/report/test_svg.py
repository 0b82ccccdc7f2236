"""SVG drawings: every element, boundary and flow of the model is drawn; text is escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from capsa.model.loader import load_model
from capsa.report.svg import render_dfd_svg, render_path_svg

SMALL = str(Path(__file__).parents[1] / "model" / "fixtures" / "small.yaml")
SVG = "{http://www.w3.org/2000/svg}"


def _ids(svg: str) -> set[str]:
    root = ET.fromstring(svg)  # also proves the output is well-formed XML
    return {el.get("id", "") for el in root.iter(f"{SVG}g")}


def test_dfd_draws_every_element_boundary_and_flow() -> None:
    model = load_model(SMALL)
    ids = _ids(render_dfd_svg(model))
    assert {f"element-{e.id}" for e in model.elements} <= ids
    assert {f"boundary-{b.id}" for b in model.boundaries} <= ids
    assert {f"flow-{f.id}" for f in model.data_flows} <= ids


def test_nested_boundary_is_inside_its_parent() -> None:
    root = ET.fromstring(render_dfd_svg(load_model(SMALL)))
    rects = {}
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        if rect is not None:
            rects[group.get("id")] = tuple(
                float(rect.get(k, 0)) for k in ("x", "y", "width", "height")
            )
    px, py, pw, ph = rects["boundary-dc"]
    cx, cy, cw, ch = rects["boundary-box"]
    assert px < cx and py < cy and cx + cw < px + pw and cy + ch < py + ph
    ex, ey, _, _ = rects["element-db"]
    assert cx < ex < cx + cw and cy < ey < cy + ch


def test_labels_are_escaped() -> None:
    svg = render_dfd_svg(load_model(SMALL))
    assert "Web &quot;front&quot; end" in svg or 'Web "front" end' not in svg
    path = render_path_svg([("<pod>", "a&b"), ("etcd", "")], title="x")
    ET.fromstring(path)
    assert "&lt;pod&gt;" in path and "a&amp;b" in path
