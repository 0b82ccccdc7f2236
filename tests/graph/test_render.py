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
    assert {"entry", "target", "score", "clusters", "steps"} <= set(path)
    step = path["steps"][0]
    assert {"from", "to", "technique", "threats", "blocked_by", "evidence"} <= set(step)
    assert step["evidence"]["status"] in {"open", "assumed", "unmitigated"}
    assert doc["cut"]
    for item in doc["cut"]:
        # a cut mitigation lists the checks of every mitigation of the same control
        assert f"CHECK-{item['mitigation']}" in item["checks"]
        assert item["effort"] > 0
        assert all(0 <= i < len(doc["paths"]) for i in item["paths_cut"])
    assert doc["cut_exact"] is True


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
