"""Scanning group by group gives what scanning the whole input at once gives.

The grouped scan (`keep_topology=False`) resolves each group's files with their closure;
these tests compare it with the whole-input scan on the bundled example, on copies of it
(every name repeated, the case where "first match in input order" decides), and on the
shared corpus, with the default budget and with a budget of one resource, which makes
every file its own group and so exercises every closure rule."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import capsa.scan.grouped as grouped
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

TODAY = date(2026, 3, 1)
DEMO = Path(__file__).resolve().parents[2] / "src" / "capsa" / "examples" / "capa-demo"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _results(result: ScanResult) -> tuple[object, ...]:
    """Everything a reader of the scan sees; per-object results compared as sorted lists
    (their order follows evaluation order, which grouping changes)."""
    return (
        result.findings,
        result.errors,
        result.summary,
        sorted(map(repr, result.passes)),
        sorted(map(repr, result.unknown)),
        sorted(map(repr, result.not_applicable)),
        result.suppressions,
    )


def _both(
    paths: list[str], budget: int | None, monkeypatch: pytest.MonkeyPatch, grouped_run: bool = True
) -> None:
    if budget is not None:
        original = grouped.scan_groups
        monkeypatch.setattr(
            grouped, "scan_groups", lambda *a, **k: original(*a, **{**k, "budget": budget})
        )
    whole = scan(ScanRequest(paths=paths, today=TODAY))
    parts = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False))
    assert whole.topology is not None
    # an input with kustomize patch files is scanned whole (fragments are not planned for)
    assert (parts.topology is None) is grouped_run
    assert whole.findings, "the input must give findings for the comparison to mean much"
    assert _results(parts) == _results(whole)


def _copies(source: Path, target: Path, copies: int) -> list[str]:
    for n in range(copies):
        shutil.copytree(source, target / f"copy{n}")
    return [str(target)]


@pytest.mark.parametrize("budget", [None, 1])
def test_grouped_scan_equals_whole_scan_on_the_example(
    budget: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both([str(DEMO)], budget, monkeypatch)


@pytest.mark.parametrize("budget", [None, 1])
def test_grouped_scan_equals_whole_scan_on_copies(
    budget: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both(_copies(DEMO, tmp_path, 3), budget, monkeypatch)


def test_grouped_scan_equals_whole_scan_on_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    _both([str(CORPUS)], 1, monkeypatch, grouped_run=False)


def test_grouped_scan_equals_whole_scan_on_corpus_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    _both(_copies(CORPUS / "cluster-api-provider-aws", tmp_path, 2), 1, monkeypatch, False)


def test_a_reference_into_another_file_brings_that_file(tmp_path: Path) -> None:
    """A Cluster whose infrastructure lives in another file is still resolved when every
    file is its own group: the check that reads the cluster's context sees it."""
    (tmp_path / "a-cluster.yaml").write_text(
        (DEMO / "prod" / "cluster.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for name in ("control-plane.yaml", "workers.yaml", "namespace.yaml"):
        (tmp_path / f"b-{name}").write_text(
            (DEMO / "prod" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    whole = scan(ScanRequest(paths=[str(tmp_path)], today=TODAY))
    first = grouped.scan_groups([str(tmp_path)], {}, None, whole.checks, budget=1)
    assert first is not None
    assert first.groups == len(list(tmp_path.iterdir()))
    assert not [p for p in first.problems if "not among the inputs" in p.message]
    assert sorted(map(repr, first.evaluation.passes)) == sorted(map(repr, whole.passes))


def test_two_jobs_give_the_serial_result_in_the_same_order(tmp_path: Path) -> None:
    paths = _copies(DEMO, tmp_path, 2)
    if CORPUS.is_dir():
        paths.append(str(CORPUS / "cluster-api-provider-aws"))
    serial = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False))
    parallel = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False, jobs=2))
    assert serial.findings
    for name in ("findings", "passes", "unknown", "not_applicable", "errors", "summary"):
        assert getattr(parallel, name) == getattr(serial, name), name


def test_the_spill_is_removed_after_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    scan(ScanRequest(paths=[str(DEMO)], today=TODAY, keep_topology=False))
    assert list((tmp_path / "tmp").iterdir()) == []
