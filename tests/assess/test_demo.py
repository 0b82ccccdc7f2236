"""Properties of the real pipeline on the bundled example (what `make demo` writes):
every catalogue threat has a status, every violation points at file:line, and nothing is
verified without a passing check."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from capsa.assess.model import Assessment, DeploymentStatus
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess
from capsa.model.loader import load_model
from capsa.report.assessment_markdown import render_assessment_markdown
from capsa.report.assessment_text import SECTIONS
from capsa.threats.catalogue import load_catalogue

NOW = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> Assessment:
    return assess(AssessRequest(now=NOW))


def test_every_catalogue_threat_has_a_deployment_status(demo: Assessment) -> None:
    catalogue = load_catalogue(load_model("builtin:capi-aws"))
    expected = [t.id for t in catalogue.threats]
    assert [t.id for t in demo.threats] == expected
    assert all(isinstance(t.deployment_status, DeploymentStatus) for t in demo.threats)


def test_the_example_mixes_violated_verified_and_unassessable(demo: Assessment) -> None:
    seen = {t.deployment_status for t in demo.threats}
    assert {
        DeploymentStatus.VIOLATED,
        DeploymentStatus.VERIFIED,
        DeploymentStatus.NOT_ASSESSABLE,
    } <= seen
    assert demo.findings and demo.passes and demo.paths and demo.cut


def test_every_violation_links_a_finding_with_file_and_line(demo: Assessment) -> None:
    for threat in demo.threats:
        for m in threat.mitigations:
            if m.deployment_status is not DeploymentStatus.VIOLATED:
                continue
            found = [demo.finding(fp) for fp in m.findings]
            open_ = [f for f in found if f is not None and not f.suppressed]
            assert open_, m.id
            for f in open_:
                assert f.location.path.endswith(".yaml") and f.location.line, f
        if threat.deployment_status is DeploymentStatus.VIOLATED:
            assert any(m.deployment_status is DeploymentStatus.VIOLATED for m in threat.mitigations)


def test_nothing_is_verified_without_a_passing_check(demo: Assessment) -> None:
    passes = {(p.check_id, p.resource) for p in demo.passes}
    failing = {f.check_id for f in demo.findings}
    for threat in demo.threats:
        for m in threat.mitigations:
            if m.deployment_status is DeploymentStatus.VERIFIED:
                assert m.passed, m.id
                assert all((p.check_id, p.resource) in passes for p in m.passed)
                assert {p.check_id for p in m.passed} <= set(m.checks)
                assert not set(m.checks) & failing, m.id
        if threat.deployment_status is DeploymentStatus.VERIFIED:
            assert any(m.deployment_status is DeploymentStatus.VERIFIED for m in threat.mitigations)


def test_markdown_of_the_example_has_every_section_and_threat(demo: Assessment) -> None:
    text = render_assessment_markdown(demo)
    assert re.findall(r"^## \d+\. (.+)$", text, flags=re.MULTILINE) == list(SECTIONS)
    for threat in demo.threats:
        assert f'<a id="threat-{threat.id}"></a>' in text
    # the data-flow diagram, each flow, and each flow again with its failing step marked (FMEA)
    assert text.count("```mermaid") == 1 + 2 * len(demo.model.flows) == 9


def test_paths_are_shown_relative_to_the_example(demo: Assessment) -> None:
    assert all(f.location.path.startswith("capa-demo/") for f in demo.findings)


def test_same_inputs_give_the_same_assessment(demo: Assessment) -> None:
    again = assess(AssessRequest(now=NOW))
    assert again.to_json() == demo.to_json()
    assert Assessment.model_validate_json(demo.to_json()) == demo


def test_html_of_the_example_references_nothing_outside_itself(demo: Assessment) -> None:
    from html.parser import HTMLParser

    from capsa.report.assessment_html import render_assessment_html

    refs: list[str] = []

    class Refs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            refs.extend(v for k, v in attrs if k in {"src", "href", "xlink:href"} and v)

    html = render_assessment_html(demo)
    Refs().feed(html)
    assert refs and all(r.startswith("#") for r in refs)
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert all(r[1:] in ids for r in refs), "every in-page link has its anchor"
