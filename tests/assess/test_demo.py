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


def test_the_example_mixes_violated_and_unassessable_with_a_reason_each(demo: Assessment) -> None:
    seen = {t.deployment_status for t in demo.threats}
    assert {DeploymentStatus.VIOLATED, DeploymentStatus.NOT_ASSESSABLE} <= seen
    assert demo.findings and demo.passes and demo.paths and demo.cut
    assert all(t.reason and "\n" not in t.reason for t in demo.threats)


def test_one_ca_check_no_longer_verifies_host_attestation(demo: Assessment) -> None:
    """STRIDE-SPOOF-4 was "verified" from one passing CA-verification check while host
    attestation is not implemented upstream and a path joins as a control-plane node."""
    spoof4 = next(t for t in demo.threats if t.id == "STRIDE-SPOOF-4")
    assert spoof4.deployment_status is not DeploymentStatus.VERIFIED
    assert "not implemented upstream" in spoof4.reason
    assert "join-as-control-plane" in spoof4.open_techniques
    [m1] = spoof4.mitigations
    assert "CAPSA-CERT-003" not in m1.checks


def test_vacuous_passes_are_not_applicable_in_the_example(demo: Assessment) -> None:
    skipped = {n.check_id for n in demo.not_applicable}
    assert {"CAPSA-NET-001", "CAPSA-SSH-003"} <= skipped  # the sandbox has no bastion
    passed = {(p.check_id, p.resource) for p in demo.passes}
    assert not passed & {(n.check_id, n.resource) for n in demo.not_applicable}


def test_the_example_cut_does_not_claim_to_close_every_path(demo: Assessment) -> None:
    assert demo.uncuttable and not demo.summary.cut_closes_every_path
    assert demo.summary.uncuttable == [f"{r.entry} -> {r.target}" for r in demo.uncuttable]
    text = render_assessment_markdown(demo)
    assert "closes every path" not in text
    for route in demo.uncuttable:
        assert route.techniques


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


def test_no_threat_is_verified_without_all_it_requires(demo: Assessment) -> None:
    for threat in demo.threats:
        if threat.deployment_status is DeploymentStatus.VERIFIED:
            assert not threat.open_techniques
            assert all(
                m.deployment_status is DeploymentStatus.VERIFIED
                for m in threat.mitigations
                if m.required
            )


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
    from capsa.report.assessment_markdown import render_assessment_markdown_documents

    docs = render_assessment_markdown_documents(demo)
    text = docs["assessment.md"]
    assert re.findall(r"^## \d+\. (.+)$", text, flags=re.MULTILINE) == list(SECTIONS)
    for threat in demo.threats:
        assert f"(assessment-threats.md#threat-{threat.id})" in text
        assert f'<a id="threat-{threat.id}"></a>' in docs["assessment-threats.md"]
    # the data-flow diagram and each flow once, its failing steps marked (FMEA)
    system = docs["assessment-system.md"]
    assert system.count("```mermaid") == 1 + len(demo.model.flows) == 5
    flows = system.split("## Flows")[1]
    assert flows.count("✗") >= len(demo.model.flows)


def test_paths_are_shown_relative_to_the_example(demo: Assessment) -> None:
    assert all(
        f.location.path.startswith(("management/", "prod/", "sandbox/")) for f in demo.findings
    )


def test_same_inputs_give_the_same_assessment(demo: Assessment) -> None:
    again = assess(AssessRequest(now=NOW))
    assert again.to_json() == demo.to_json()
    assert Assessment.model_validate_json(demo.to_json()) == demo


def test_html_of_the_example_references_nothing_outside_itself(demo: Assessment) -> None:
    from html.parser import HTMLParser

    from capsa.report.assessment_html import render_assessment_html_documents

    class Refs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.refs: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.refs.extend(v for k, v in attrs if k in {"src", "href", "xlink:href"} and v)

    pages = render_assessment_html_documents(demo)
    for name, html in pages.items():
        parser = Refs()
        parser.feed(html)
        assert parser.refs
        for ref in parser.refs:  # an anchor of this page or of a page written beside it
            page, _, anchor = ref.partition("#")
            assert page == "" or page in pages, (name, ref)
            ids = set(re.findall(r'\bid="([^"]+)"', pages[page or name]))
            assert not anchor or anchor in ids, f"{name}: {ref} has no anchor"
