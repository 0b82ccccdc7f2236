"""docs/faults.md: committed as the data gives it now, every fault with its parts and
examples, every setting with its references."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from capsa.report.reference_docs import render_all
from capsa.sim.faults import load_faults
from capsa.sim.settings import load_settings

DOCS = Path(__file__).parents[2] / "docs"


@cache
def _page() -> str:
    return render_all()["faults.md"]


def test_committed_faults_page_is_current() -> None:
    committed = (DOCS / "faults.md").read_text(encoding="utf-8")
    assert committed == _page(), "docs/faults.md is stale: run `make docs`"


def test_every_fault_is_documented_with_its_cases_threats_and_examples() -> None:
    page = _page()
    for fault in load_faults().faults.values():
        start = page.index(f"### {fault.id}\n")
        end = page.find("\n### ", start + 1)
        section = page[start:end]
        assert all(f"`{case.name}`" in section for case in fault.cases)
        assert all(threat in section for threat in fault.threats)
        assert section.count("<summary>fires") == len(fault.examples.fail)
        assert section.count("<summary>stays silent") == len(fault.examples.pass_)


def test_every_setting_is_documented_with_its_references() -> None:
    page = _page()
    for spec in load_settings().specs.values():
        assert f"### {spec.id}\n" in page
        assert all(ref in page for ref in spec.references)
