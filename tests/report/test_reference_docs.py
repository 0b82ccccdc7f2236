"""Generated reference docs: the committed pages equal what the data gives now, and each
page carries what a reader needs per entry."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from capsa.checks.catalog import load_checks
from capsa.report.reference_docs import main, render_all

DOCS = Path(__file__).parents[2] / "docs"


@cache
def _pages() -> dict[str, str]:
    return render_all()


@pytest.mark.parametrize("name", ["checks.md", "coverage.md", "rules.md", "techniques.md"])
def test_committed_docs_are_current(name: str) -> None:
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == _pages()[name], f"docs/{name} is stale: run `make docs`"


def test_every_check_is_documented_with_its_parts_and_examples() -> None:
    page = _pages()["checks.md"]
    for check in load_checks():
        start = page.index(f"### {check.id}: ")
        section = page[start : page.find("\n### CAPSA-", start + 1)]
        assert check.mitigation in section
        assert all(threat in section for threat in check.threats)
        assert " ".join(check.remediation.split()) in section
        assert all(ref in section for ref in check.references)
        assert section.count("<summary>fires") == len(check.examples.fail)
        assert section.count("<summary>stays silent") == len(check.examples.pass_)


def test_shared_variables_are_shown_once_and_linked() -> None:
    page = _pages()["checks.md"]
    assert page.count("### apiServerFlags") == 1
    assert "[`apiServerFlags`](#apiserverflags)" in page
    flat = " ".join(page.split())  # code blocks wrap long CEL at blanks
    assert flat.count("type(a) == list ? a.filter(x") == 2  # apiServerFlags and kubeletFlags


def test_check_mode_reports_stale_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "rules.md").write_text("edited by hand\n", encoding="utf-8")
    assert main(["--out", str(tmp_path), "--check"]) == 1
    assert "rules.md is stale" in capsys.readouterr().err
