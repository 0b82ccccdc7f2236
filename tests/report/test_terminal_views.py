"""`capsa threats`, `capsa paths` and `capsa model show` at 80 columns: one header line per
group, one entry per item with its id whole (never wrapped or shortened), lines within 80
columns unless a single id is longer, and `--compact` leaving out only the detail lines."""

from __future__ import annotations

import io
from functools import cache

import pytest
from rich.text import Text

from capsa.graph.search import PathReport
from capsa.model.loader import load_model
from capsa.report.terminal_list import Entry, Group, print_groups
from capsa.report.terminal_views import print_model, print_paths, print_threats
from capsa.terminal import console, print_lines
from capsa.threats.service import ThreatReport, assess_threats


def _text(draw: object, compact: bool = False) -> str:
    buffer = io.StringIO()
    out = console(file=buffer, width=80, color_system=None, force_terminal=False)
    draw(out, compact)  # type: ignore[operator]
    return buffer.getvalue()


def _fits(text: str) -> None:
    for line in text.splitlines():
        assert len(line) <= 80 or " " not in line.strip(), line  # only an unbreakable id may


@cache
def _threats() -> ThreatReport:
    return assess_threats("builtin:capi-aws", None)


@cache
def _paths() -> PathReport:
    from capsa.examples import demo_path
    from capsa.graph.service import attack_paths, scan_manifests

    return attack_paths(scan_manifests([str(demo_path())])).report


def test_threat_ids_are_whole_and_grouped_by_category() -> None:
    report = _threats()
    entries = report.threats
    text = _text(lambda out, compact: print_threats(out, report, entries, compact))
    _fits(text)
    words = {w for line in text.splitlines() for w in line.split()}
    assert {e.id for e in entries} <= words  # generated ids (rule@subject) included
    assert any("@" in e.id and len(e.id) > 40 for e in entries)
    headers = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert "Spoofing" in headers[0]


def test_compact_threats_take_one_line_each_where_the_title_fits() -> None:
    report = _threats()
    entries = report.threats
    full = _text(lambda out, compact: print_threats(out, report, entries, compact))
    compact = _text(lambda out, c: print_threats(out, report, entries, c), compact=True)
    assert "derived by" in full and "derived by" not in compact
    assert len(compact.splitlines()) < len(full.splitlines())


def test_paths_are_grouped_by_entry_then_the_cut() -> None:
    report = _paths()
    assert report.paths
    text = _text(lambda out, compact: print_paths(out, report, None, compact))
    _fits(text)
    lines = text.splitlines()
    for entry in {p.entry for p in report.paths}:
        assert any(line.startswith(f"from {entry}:") for line in lines)
    for number, path in enumerate(report.paths, start=1):  # numbered from 1, as the JSON
        line = next(x for x in lines if x.split()[:1] == [f"#{number}"])
        assert f"-> {path.target}" in line  # number, evidence, target on one line
    assert text.index("Minimum cut") > text.index("from ")
    compact = _text(lambda out, c: print_paths(out, report, None, c), compact=True)
    technique = report.paths[0].steps[0].technique
    assert technique in text and technique not in compact.split("Minimum cut")[0]


def test_model_show_lists_elements_by_boundary_and_flows_by_source() -> None:
    model = load_model("builtin:capi-aws")
    text = _text(lambda out, compact: print_model(out, model, compact))
    _fits(text)
    words = {w for line in text.splitlines() for w in line.split()}
    assert {e.id for e in model.elements} <= words
    assert {f.id for f in model.data_flows} <= words
    assert {f"{b.id}:" for b in model.boundaries} <= words
    compact = _text(lambda out, c: print_model(out, model, c), compact=True)
    assert "stores " in text and "stores " not in compact


def test_an_id_longer_than_the_line_is_printed_whole() -> None:
    key = "x" * 120
    buffer = io.StringIO()
    out = console(file=buffer, width=80, color_system=None, force_terminal=False)
    print_groups(out, [Group("group", [Entry(key=key, head="a title", tag="high")])])
    lines = buffer.getvalue().splitlines()
    assert any(key in line for line in lines) and "a title" in buffer.getvalue()


def test_an_escaped_entry_keeps_the_other_entries_styles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A group prints in one go; a control character in one entry (escaped) must not
    strip the severity colour of the entries beside it."""
    monkeypatch.delenv("NO_COLOR", raising=False)  # `capsa --no-color` run in-process sets it
    group = Group(
        "file.yaml",
        [
            Entry("CAPSA-A-001", "name\x1b[2Jcleared", tag="high", tag_style="red"),
            Entry("CAPSA-A-002", "plain", tag="high", tag_style="red"),
        ],
    )
    buffer = io.StringIO()
    out = console(file=buffer, width=80, color_system="standard", force_terminal=True)
    print_groups(out, [group])
    lines = buffer.getvalue().splitlines()
    assert "\x1b[2J" not in buffer.getvalue() and "\\u001b[2J" in lines[1]
    assert "\x1b[31mhigh" in lines[2]  # the escaped line itself is shown plain


def test_plain_lines_are_escaped_and_reach_a_recording_console() -> None:
    """Without colours the lines skip rich's render pass: they must still be escaped,
    and a recording console (`capsa checks` renders through one) must still get them."""
    lines = [Text("  CAPSA-A-001  a\x1b[2J\x9b1m\u202eb"), Text("  CAPSA-A-002  plain")]
    buffer = io.StringIO()
    print_lines(console(file=buffer, width=80, color_system=None), lines)
    expected = "  CAPSA-A-001  a\\u001b[2J\\u009b1m\\u202eb\n  CAPSA-A-002  plain\n"
    assert buffer.getvalue() == expected
    recorder = console(file=io.StringIO(), width=80, color_system=None, record=True)
    print_lines(recorder, lines)
    assert recorder.export_text() == buffer.getvalue()


def _with_clusters(count: int) -> PathReport:
    import dataclasses

    report = _paths()
    names = tuple(f"team-{n}/cluster-{n}" for n in range(count))
    paths = tuple(dataclasses.replace(p, clusters=names) for p in report.paths)
    return dataclasses.replace(report, paths=paths)


def test_a_path_names_three_clusters_and_counts_the_rest() -> None:
    """A repository of templates has hundreds of clusters per path: the corpus x20 made
    `capsa paths` print 10 MB. The JSON format lists every one."""
    report = _with_clusters(5)
    text = _text(lambda out, compact: print_paths(out, report, None, compact))
    _fits(text)
    flat = " ".join(text.split())
    assert "team-2/cluster-2 and 2 more (--format json lists them)" in flat
    assert "team-3/cluster-3" not in text


def test_a_path_with_few_clusters_names_each() -> None:
    report = _with_clusters(3)
    text = _text(lambda out, compact: print_paths(out, report, None, compact))
    assert "team-2/cluster-2" in text and " more" not in text
