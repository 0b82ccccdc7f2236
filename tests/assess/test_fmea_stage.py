"""The FMEA in the assessment: the real stage on the bundled example, its companion
document in Markdown and HTML, and a model whose flows cannot run recorded as an input
problem."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fake_stages import Recorder

from capsa.assess.fmea_stage import fmea_stage
from capsa.assess.model import Assessment
from capsa.assess.pipeline import AssessRequest, ScanStage
from capsa.assess.service import assess
from capsa.model.loader import load_model
from capsa.report.assessment_html import render_assessment_html_documents
from capsa.report.assessment_markdown import render_assessment_markdown_documents

NOW = datetime(2024, 5, 1, tzinfo=UTC)
SHOP = Path(__file__).parents[1] / "sim" / "fixtures" / "shop-flows.yaml"


@cache
def _demo() -> Assessment:
    return assess(AssessRequest(now=NOW))


def _fmea_md(a: Assessment) -> str:
    return render_assessment_markdown_documents(a)["assessment-fmea.md"]


def test_the_example_assessment_carries_the_fmea_with_evidence() -> None:
    fmea = _demo().fmea
    assert fmea is not None
    assert [f.id for f in fmea.flows] == ["ec2-instance-start", "flow-1", "flow-2", "flow-3"]
    basis = [s.basis for p in fmea.profiles for s in p.settings if s.source == "evidence"]
    assert any(b.endswith("(prod/workers.yaml:66)") for b in basis)


def test_markdown_companion_ranks_every_failure_mode_and_marks_the_failing_step() -> None:
    demo = _demo()
    assert demo.fmea is not None
    docs = render_assessment_markdown_documents(demo)
    section = docs["assessment-fmea.md"]
    # the flows are drawn once, with the system, their failing steps marked there
    assert section.count("```mermaid") == 0
    flows = docs["assessment-system.md"].split("## Flows")[1].split("\n### ", 1)[1]
    assert flows.count("```mermaid") == 4 and flows.count("✗") == 4
    assert "lower-priority" not in section  # every failure mode is listed
    assert all(f"`{m.id}`" in section for m in demo.fmea.modes)
    rpns = [
        int(r)
        for r in re.findall(r"^\| `flow-3:[^`]+` \|.*\| (\d+) \|[^|]*\|[^|]*\|$", section, re.M)
    ]
    assert rpns and rpns == sorted(rpns, reverse=True)


def test_html_companion_has_a_diagram_and_a_table_per_flow() -> None:
    demo = _demo()
    assert demo.fmea is not None
    section = render_assessment_html_documents(demo)["assessment-fmea.html"]
    assert section.count('class="sequence"') == 4
    assert section.count('class="sortable cards" id="fmea-') == 4
    assert all(f'id="fm-{m.id}"' in section for m in demo.fmea.modes)


def test_saved_assessment_rerenders_the_fmea() -> None:
    again = Assessment.model_validate_json(_demo().to_json())
    assert again.fmea == _demo().fmea


def test_without_an_fmea_stage_the_section_says_so() -> None:
    assessment = assess(AssessRequest(now=NOW), stages=Recorder().stages())
    assert assessment.fmea is None
    assert "No FMEA was run" in _fmea_md(assessment)


def test_a_model_whose_flows_cannot_run_is_an_input_problem(tmp_path: Path) -> None:
    text = SHOP.read_text().replace("STRIDE-INFODISCLOSE-3", "STRIDE-NOPE-1")
    path = tmp_path / "shop.yaml"
    path.write_text(text)
    stage = fmea_stage(load_model(str(path)), AssessRequest(model=str(path)), ScanStage())
    assert stage.report is None
    assert [(e.path, e.message) for e in stage.errors] == [
        (str(path), "flow step semantics: unknown threat id 'STRIDE-NOPE-1'")
    ]
