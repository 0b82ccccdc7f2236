"""The FMEA in the assessment: the real stage on the bundled example, its section in the
Markdown and HTML, and a model whose flows cannot run recorded as an input problem."""

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
from capsa.report.assessment_html import render_assessment_html
from capsa.report.assessment_markdown import render_assessment_markdown
from capsa.report.assessment_text import SECTIONS

NOW = datetime(2024, 5, 1, tzinfo=UTC)
SHOP = Path(__file__).parents[1] / "sim" / "fixtures" / "shop-flows.yaml"


@cache
def _demo() -> Assessment:
    return assess(AssessRequest(now=NOW))


FMEA = SECTIONS.index("Failure modes and fault injection (FMEA)")


def _section(text: str) -> str:
    return text[text.index(f"## {FMEA + 1}. {SECTIONS[FMEA]}") :]


def test_the_example_assessment_carries_the_fmea_with_evidence() -> None:
    fmea = _demo().fmea
    assert fmea is not None
    assert [f.id for f in fmea.flows] == ["ec2-instance-start", "flow-1", "flow-2", "flow-3"]
    basis = [s.basis for p in fmea.profiles for s in p.settings if s.source == "evidence"]
    assert any(b.endswith("(prod/workers.yaml:66)") for b in basis)


def test_markdown_section_ranks_failure_modes_and_marks_the_failing_step() -> None:
    text = render_assessment_markdown(_demo())
    section = _section(text)
    # the flows are drawn once, in the Flows section, their failing steps marked there
    assert section.count("```mermaid") == 0
    flows = text[text.index("## 9. Flows") : text.index(f"## {FMEA + 1}.")]
    assert flows.count("```mermaid") == 4 and flows.count("✗") == 4
    assert "lower-priority failure modes are in the JSON" in section
    rpns = [
        int(r)
        for r in re.findall(r"^\| `flow-3:[^`]+` \|.*\| (\d+) \|[^|]*\|[^|]*\|$", section, re.M)
    ]
    assert rpns and rpns == sorted(rpns, reverse=True)


def test_html_section_has_a_diagram_and_a_table_per_flow() -> None:
    demo = _demo()
    assert demo.fmea is not None
    html = render_assessment_html(demo)
    section = html[html.index('<section id="failure-modes') :]
    assert section.count('class="sequence"') == 4
    assert section.count('class="sortable cards" id="fmea-') == 4
    top = demo.fmea.ranked("flow-3")[0].id
    assert f'id="fm-{top}"' in section


def test_saved_assessment_rerenders_the_fmea() -> None:
    again = Assessment.model_validate_json(_demo().to_json())
    assert again.fmea == _demo().fmea


def test_without_an_fmea_stage_the_section_says_so() -> None:
    assessment = assess(AssessRequest(now=NOW), stages=Recorder().stages())
    assert assessment.fmea is None
    assert "No FMEA was run" in _section(render_assessment_markdown(assessment))


def test_a_model_whose_flows_cannot_run_is_an_input_problem(tmp_path: Path) -> None:
    text = SHOP.read_text().replace("STRIDE-INFODISCLOSE-3", "STRIDE-NOPE-1")
    path = tmp_path / "shop.yaml"
    path.write_text(text)
    stage = fmea_stage(load_model(str(path)), AssessRequest(model=str(path)), ScanStage())
    assert stage.report is None
    assert [(e.path, e.message) for e in stage.errors] == [
        (str(path), "flow step semantics: unknown threat id 'STRIDE-NOPE-1'")
    ]
