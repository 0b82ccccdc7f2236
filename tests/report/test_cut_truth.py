"""The cut tells the truth in every summary: when some paths cannot be closed by any
checkable mitigation, the terminal, Markdown, HTML and JSON say so and name them; the
words "closes every path" appear only when it is true."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from assessment_fixtures import F
from rich.console import Console

from capsa.assess.model import Assessment, UncuttableRoute
from capsa.cli.assess_cmd import ReportFormat, print_summary, render

ROUTE = UncuttableRoute(
    entry="node-shell",
    target="ca-keys",
    techniques=["imds-from-shell", "read-lingering-bootstrap-secret"],
)


def _terminal(assessment: Assessment) -> str:
    buffer = io.StringIO()
    print_summary(assessment, [Path("out/assessment.md")], Console(file=buffer, width=80))
    return buffer.getvalue()


@pytest.fixture(params=["closed", "open"])
def case(request: pytest.FixtureRequest) -> tuple[str, Assessment]:
    uncuttable = [ROUTE] if request.param == "open" else []
    return request.param, F.make_assessment(uncuttable=uncuttable)


def test_markdown_html_and_terminal_claim_a_full_cut_only_when_true(
    case: tuple[str, Assessment],
) -> None:
    kind, assessment = case
    texts = {
        "markdown": render(assessment, ReportFormat.MD),
        "html": render(assessment, ReportFormat.HTML),
        "terminal": " ".join(_terminal(assessment).split()),
    }
    for name, text in texts.items():
        if kind == "closed":
            assert "closes every path" in text, name
            assert "no checkable mitigation closes" not in text, name
        else:
            assert "closes every path" not in text, name
            assert "no checkable mitigation closes" in text, name
            shown = text.replace("-&gt;", "->").replace("-\\>", "->")
            assert "node-shell -> ca-keys" in shown, name


def test_json_says_whether_the_cut_closes_every_path_and_names_the_rest(
    case: tuple[str, Assessment],
) -> None:
    kind, assessment = case
    doc = json.loads(render(assessment, ReportFormat.JSON))
    assert doc["summary"]["cutClosesEveryPath"] is (kind == "closed")
    if kind == "open":
        assert doc["summary"]["uncuttable"] == ["node-shell -> ca-keys"]
        assert doc["uncuttable"][0]["techniques"] == ROUTE.techniques
    else:
        assert doc["uncuttable"] == [] and doc["summary"]["uncuttable"] == []


def test_the_terminal_explains_each_threat_in_one_line_at_80_columns() -> None:
    from capsa.cli.assess_cmd import print_threats

    assessment = F.make_assessment()
    buffer = io.StringIO()
    print_threats(assessment, Console(file=buffer, width=80))
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    for threat in assessment.threats:
        assert threat.id in text  # ids are never cut
        first_words = " ".join(threat.reason.split()[:2])
        assert first_words in " ".join(text.split())
