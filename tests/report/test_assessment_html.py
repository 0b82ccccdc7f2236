"""assessment.html and its companions: self-contained (no network reference; links only
between the pages written together, each to an anchor that exists), escaped, anchored per
threat/check."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from assessment_fixtures import F

from capsa.report.assessment_html import render_assessment_html, render_assessment_html_documents


class _Refs(HTMLParser):
    """Collects every URL-valued attribute and every id."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "action", "xlink:href", "poster", "data"} and value:
                self.refs.append(value)
            if name == "id" and value:
                self.ids.append(value)


def _parse(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


def _pages() -> dict[str, str]:
    a = F.make_assessment([F.finding()], [F.passed("CAPSA-IMG-001")])
    return render_assessment_html_documents(a)


def _html() -> str:
    return _pages()["assessment.html"]


def test_no_resource_is_fetched_from_anywhere() -> None:
    pages = _pages()
    assert next(iter(pages)) == "assessment.html" and len(pages) == 6
    for name, html in pages.items():
        refs = _parse(html)
        assert refs.refs, f"{name} should at least link its own anchors"
        for ref in refs.refs:  # in-page anchors, or a page written beside it
            page, _, anchor = ref.partition("#")
            assert page == "" or page in pages, (name, ref)
            target = pages[page or name]
            assert not anchor or f'id="{anchor}"' in target, (name, ref)
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.I)
        assert "@import" not in html and "url(http" not in html
        assert not {"link", "iframe", "img", "object", "embed"} & set(refs.tags)
        assert "<style>" in html and "<script>" in html  # same styles and script on each


def test_anchors_per_threat_and_check() -> None:
    pages = _pages()
    ids = {i for html in pages.values() for i in _parse(html).ids}
    for threat in ("STRIDE-SPOOF-1", "STRIDE-TAMPER-2", "STRIDE-DOS-5"):
        assert f"threat-{threat}" in _parse(pages["assessment-threats.html"]).ids
        assert f"verdict-{threat}" in _parse(pages["assessment.html"]).ids
    assert {"check-CAPSA-AWS-001", "check-CAPSA-IMG-001", "finding-table", "dfd"} <= ids


def test_diagrams_are_inline_svg() -> None:
    pages = _pages()
    assert re.search(
        r"<svg class=\"dfd\"[^>]*xmlns=\"http://www.w3.org/2000/svg\"",
        pages["assessment-system.html"],
    )
    assert 'class="attack-path"' in pages["assessment.html"]


def test_values_are_escaped() -> None:
    html = _pages()["assessment-findings.html"]
    assert "IMDSv1 | still allowed &lt;b&gt;" in html
    assert "still allowed <b>" not in html


def test_hostile_text_cannot_open_a_script() -> None:
    evil = F.finding(message="</script><script>alert(1)</script>")
    pages = render_assessment_html_documents(F.make_assessment([evil]))
    for html in pages.values():
        assert html.count("<script>") == 1
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in pages["assessment-findings.html"]
    assert render_assessment_html(F.make_assessment([evil])) == pages["assessment.html"]


def test_violated_threat_shows_location() -> None:
    html = _pages()["assessment-threats.html"]
    article = html.split('id="threat-STRIDE-SPOOF-1"')[1].split("</article>")[0]
    text = re.sub(r"<[^>]+>", "", article)  # a location may carry line-break hints
    assert "violated" in text and "prod/workers.yaml:12" in text


def test_candidate_threats_show_the_status_capsa_threats_gives() -> None:
    page = _pages()["assessment-threats.html"]
    section = page.split('<section id="candidates">')[1].split("</section>")[0]
    assert "<th>Status</th>" in section and "1 open, 1 mitigated in the model" in section
    row = next(r for r in section.split("<tr>") if "GEN-2" in r)
    assert "<td>mitigated in the model</td><td>medium</td>" in row


def test_input_problems_wrap_instead_of_widening_the_page() -> None:
    """A long message in a nowrap <code> pushed the page past the window's width."""
    from capsa.assess.model import InputProblem

    long = InputProblem(path="inputs", message="no check ran " * 30)
    page = render_assessment_html(F.make_assessment().model_copy(update={"errors": [long]}))
    assert re.search(r'<li><code class="brk">inputs: (no check ran ){30}', page)
