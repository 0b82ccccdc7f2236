"""assessment.md and its companions: the section list in order, every threat with a status,
findings with file:line, GitHub-safe tables, Mermaid fences, relative links that resolve."""

from __future__ import annotations

import re

from assessment_fixtures import F

from capsa.assess.model import Assessment, CandidateThreat
from capsa.report.assessment_html import render_assessment_html_documents
from capsa.report.assessment_markdown import (
    cell,
    render_assessment_markdown_documents,
)
from capsa.report.assessment_text import SECTIONS


def _docs() -> dict[str, str]:
    a = F.make_assessment([F.finding()], [F.passed("CAPSA-IMG-001")])
    return render_assessment_markdown_documents(a)


def _render() -> str:
    return _docs()["assessment.md"]


def _all() -> str:
    return "\n".join(_docs().values())


def test_links_between_the_documents_resolve() -> None:
    docs = _docs()
    assert list(docs) == [
        "assessment.md",
        "assessment-threats.md",
        "assessment-paths.md",
        "assessment-findings.md",
        "assessment-system.md",
        "assessment-fmea.md",
    ]
    for name, text in docs.items():
        for target in re.findall(r"\]\(([^)]+)\)", text):
            page, _, anchor = target.partition("#")
            assert page == "" or page in docs, (name, target)
            if anchor and anchor.startswith(("threat-", "mitigation-", "check-", "path-", "step-")):
                assert f'<a id="{anchor}"></a>' in docs[page or name], (name, target)


def test_sections_appear_in_order() -> None:
    headings = re.findall(r"^## \d+\. (.+)$", _render(), flags=re.MULTILINE)
    assert headings == list(SECTIONS)


def test_every_threat_has_a_deployment_status_and_anchor() -> None:
    text = _docs()["assessment-threats.md"]
    for threat in ("STRIDE-SPOOF-1", "STRIDE-TAMPER-2", "STRIDE-DOS-5"):
        assert f'<a id="threat-{threat}"></a>' in text
        block = text.split(f'<a id="threat-{threat}"></a>')[1].split("<a id=")[0]
        assert "**Deployment status:**" in block
        # each threat's status comes with its one-line reason
        status_line = next(x for x in block.splitlines() if x.startswith("**Deployment status:**"))
        assert " - " in status_line
    assert "not assessable - M1 not assessable: no check evidences this mitigation" in text


def test_violated_threat_lists_its_finding_with_file_and_line() -> None:
    text = _docs()["assessment-threats.md"]
    block = text.split('<a id="threat-STRIDE-SPOOF-1"></a>')[1].split("\n## ")[0]
    assert "violated" in block
    assert "`prod/workers.yaml:12`" in block


def test_tables_have_a_constant_column_count() -> None:
    for table in re.findall(r"(?:^\|.*\|\n)+", _all(), flags=re.MULTILINE):
        rows = table.strip("\n").split("\n")
        counts = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(counts) == 1, rows


def test_mermaid_fences_are_closed_and_typed() -> None:
    assert "```" not in _render()  # the diagrams are in the system companion
    text = _docs()["assessment-system.md"]
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2
    assert blocks[0].startswith("flowchart")
    assert blocks[1].startswith("sequenceDiagram")
    assert text.count("```") % 2 == 0


def test_cell_escapes_table_breakers_and_html() -> None:
    assert cell("a | b\nc <script>") == "a \\| b c \\<script\\>"


def test_empty_assessment_says_so_instead_of_empty_tables() -> None:
    docs = render_assessment_markdown_documents(F.make_assessment(with_paths=False))
    for name in ("assessment.md", "assessment-findings.md"):
        assert "No check failed." in docs[name]
    for name in ("assessment.md", "assessment-paths.md"):
        assert "No open attack path" in docs[name]


def _not_searched() -> Assessment:
    a = F.make_assessment(with_paths=False)
    why = ["no entry point is in the graph: pod-create stands for workload-pod, which ..."]
    summary = a.summary.model_copy(
        update={"paths_not_searched": why, "cut_closes_every_path": False}
    )
    return a.model_copy(update={"summary": summary})


def test_paths_not_searched_are_never_reported_as_none_found() -> None:
    docs = render_assessment_markdown_documents(_not_searched())
    for name in ("assessment.md", "assessment-paths.md"):
        assert "No open attack path" not in docs[name]
        assert "Attack paths were not searched, so no path and no cut are claimed: " in docs[name]
    assert "Open attack paths: not searched." in docs["assessment.md"]
    html = render_assessment_html_documents(_not_searched())
    for name in ("assessment.html", "assessment-paths.html"):
        assert "No open attack path" not in html[name]
        assert "Attack paths were not searched" in html[name]


def test_a_summary_with_no_other_status_has_no_dangling_separator() -> None:
    a = F.make_assessment(with_paths=False)
    counts = {s: 0 for s in a.summary.threats_by_status}
    empty = a.model_copy(
        update={
            "threats": [],
            "summary": a.summary.model_copy(update={"threats_by_status": counts}),
        }
    )
    text = render_assessment_markdown_documents(empty)["assessment.md"]
    assert "**0 of 0 threats are violated** by open findings. Open findings:" in text


def test_threats_the_rules_derived_are_counted_in_the_summary() -> None:
    a = F.make_assessment(with_paths=False).model_copy(update={"candidates": []})
    assert "derived from the model" not in render_assessment_markdown_documents(a)["assessment.md"]
    derived = CandidateThreat(id="x@web", rule="x", category="spoofing", title="t")
    text = render_assessment_markdown_documents(a.model_copy(update={"candidates": [derived]}))
    assert (
        "1 further threat was derived from the model by the STRIDE rules" in text["assessment.md"]
    )


def test_candidate_threats_show_the_status_capsa_threats_gives() -> None:
    """A candidate the model mitigates is marked so, not listed like an open one, and
    the counts keep it apart."""
    text = _docs()["assessment-threats.md"]
    section = text.split("## Candidate threats from the engine")[1]
    assert "1 open, 1 mitigated in the model" in section
    rows = {
        r.split(" | ")[0].strip("| `"): r.split(" | ") for r in section.splitlines() if "GEN-" in r
    }
    assert rows["GEN-1"][3:5] == ["open", "high"]
    assert rows["GEN-2"][3:5] == ["mitigated in the model", "medium"]


def test_a_model_no_catalogue_threat_applies_to_says_so_and_shows_no_cut() -> None:
    a = _not_searched().model_copy(update={"threats": []})
    md = render_assessment_markdown_documents(a)["assessment.md"]
    html = render_assessment_html_documents(a)["assessment.html"]
    for text in (md, html):
        assert "No threat of the SIG Security Cluster API self-assessment applies" in text
        assert "Recommended cut" not in text
        section = text.split("Attack paths and recommended cut")[-1]
        assert section.count("Attack paths were not searched, so no path") == 1
    assert "| Threat | Title |" not in md and 'id="threat-table"' not in html
