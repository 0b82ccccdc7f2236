"""Report formats: JSON contract, Mermaid and DOT."""

from __future__ import annotations

import json

from capsa.graph.build import build_graph
from capsa.graph.deployment import generic
from capsa.graph.render import path_rows, to_dot, to_json, to_mermaid
from capsa.graph.search import analyse
from capsa.graph.techniques import load_techniques

# every mitigation checked, by a check of its own and by those techniques name as deciding
# them (a mitigation cuts a technique with `decidedBy` only through one of those)
DECIDERS = tuple(sorted({c for t in load_techniques().techniques for c in t.decided_by}))
REPORT = analyse(
    build_graph(load_techniques(), generic()),
    ["pod-create"],
    ["admin-kubeconfig"],
    top=2,
    checks={m: (f"CHECK-{m}", *DECIDERS) for m in load_techniques().mitigations()},
)


def test_json_follows_the_contract() -> None:
    doc = json.loads(to_json(REPORT))
    assert doc["schema"] == "capsa/v1"
    path = doc["paths"][0]
    assert {"number", "entry", "target", "score", "clusters", "steps"} <= set(path)
    assert [p["number"] for p in doc["paths"]] == list(range(1, len(doc["paths"]) + 1))
    step = path["steps"][0]
    assert {"from", "to", "technique", "threats", "blockedBy", "status", "evidence"} <= set(step)
    assert step["status"] in {"open", "assumed", "unmitigated"}
    assert isinstance(step["evidence"], list)
    assert doc["cut"]
    for item in doc["cut"]:
        # a cut mitigation lists the checks of every mitigation of the same control
        assert f"CHECK-{item['mitigation']}" in item["checks"]
        assert item["effort"] > 0
        # paths are numbered from 1, as in the table and the HTML report
        assert all(1 <= n <= len(doc["paths"]) for n in item["paths"])
        assert item["pathsCut"] == len(item["paths"])
    assert doc["cutExact"] is True


def test_mermaid_and_dot_draw_every_step() -> None:
    mermaid, dot = to_mermaid(REPORT), to_dot(REPORT)
    assert mermaid.startswith("flowchart LR")
    assert dot.startswith("digraph attack_paths")
    for path in REPORT.paths:
        for step in path.steps:
            assert step.technique in mermaid and step.technique in dot
    assert "-.->" in mermaid and "style=dashed" in dot


def test_table_rows_name_the_shape() -> None:
    rows = path_rows(REPORT)
    assert rows[0][1] == "pod-create -> admin-kubeconfig"
    assert "control-plane-admin-conf" in rows[0][3]


def test_table_rows_number_paths_from_1_like_the_json_and_html() -> None:
    rows = path_rows(REPORT)
    doc = json.loads(to_json(REPORT))
    assert [r[0] for r in rows] == [str(p["number"]) for p in doc["paths"]]
    assert rows[0][0] == "1"
