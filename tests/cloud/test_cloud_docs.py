"""docs/cloud-checks.md is generated from the data and kept current."""

from __future__ import annotations

from pathlib import Path

from capsa.cloud.catalog import cloud_checks
from capsa.report.reference_docs import render_all
from capsa.sources.aws.guard import required_actions

DOCS = Path(__file__).parents[2] / "docs"


def test_committed_cloud_checks_page_is_current() -> None:
    page = render_all()["cloud-checks.md"]
    assert (DOCS / "cloud-checks.md").read_text(encoding="utf-8") == page, (
        "docs/cloud-checks.md is stale: run `make docs`"
    )
    for check in cloud_checks():
        start = page.index(f"### {check.id}: ")
        section = page[start : page.find("\n### CAPSA-", start + 1)]
        assert check.mitigation in section
        assert section.count("<summary>fires") == len(check.examples.fail)
        assert section.count("<summary>stays silent") == len(check.examples.pass_)
    assert all(f"- `{a}`" in page for a in required_actions())
