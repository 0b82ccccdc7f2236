"""FMEA renderers: marked steps in Mermaid and SVG sequence diagrams, the terminal table."""

from __future__ import annotations

import re
from functools import cache

from capsa.model.index import ModelIndex
from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.report.fmea_table import render_fmea_table
from capsa.report.sequence import MARK_FILL, render_sequence
from capsa.report.sequence_svg import SHARED_DEFS, render_sequence_svg
from capsa.sim.records import FmeaReport
from capsa.sim.service import run_fmea


@cache
def _model() -> SystemModel:
    return load_model("builtin:capi-aws")


def test_unmarked_sequence_has_no_mark() -> None:
    assert MARK_FILL not in render_sequence(_model(), "flow-3")


def test_a_marked_included_step_is_shaded_and_annotated() -> None:
    lines = render_sequence(_model(), "flow-3", {"4.5": "flow-3:4.5:tampered/altered"}).splitlines()
    at = next(i for i, line in enumerate(lines) if ": 4.5. " in line)
    assert lines[at - 1].strip() == MARK_FILL
    assert (
        lines[at + 1].strip()
        == "Note over n_aws_cli,n_secrets_manager: ✗ flow-3:4.5:tampered/altered"
    )
    assert lines[at + 2].strip() == "end"
    assert sum(MARK_FILL in line for line in lines) == 1


def test_svg_marks_the_row_and_names_every_participant_whole() -> None:
    svg = render_sequence_svg(_model(), "flow-3", {"7": "a <b> & c"})
    assert svg.count('fill="#ffd7d7"') == 1
    assert "a &lt;b&gt; &amp; c" in svg and "<b>" not in svg
    assert svg.count("✗") == 1
    shown = " ".join(re.findall(r'class="sqname"[^>]*>([^<]*)<', svg))
    for element in ("workload-controller-manager", "imds", "kubeadm-bootstrap-controller"):
        assert ModelIndex(_model()).elements[element].name in shown
    assert render_sequence_svg(_model(), "flow-3", {"7": "a <b> & c"}) == svg
    assert 'id="sqarrow"' in svg  # standalone: its own arrow head
    inline = render_sequence_svg(_model(), "flow-3", {"7": "a <b> & c"}, standalone=False)
    assert "sqarrow" in inline and 'id="sqarrow"' not in inline and "<style>" not in inline
    assert 'id="sqarrow"' in SHARED_DEFS  # which the page carries once


def test_table_top_limits_rows_and_says_how_many_more() -> None:
    report = run_fmea(_model(), flows=["flow-2"])
    text = render_fmea_table(report, top=2)
    more = len(report.ranked("flow-2")) - 2
    assert f"{more} more in flow-2" in text
    assert text.count("flow-2:") == 2


def test_a_profile_names_each_scope_once_and_counts_the_rest() -> None:
    from capsa.report.fmea_text import profile_text
    from capsa.sim.records import ProfileRecord

    many = ProfileRecord(id=1, scopes=[f"ns/c{n} (workers)" for n in range(5)])
    assert profile_text(many) == (
        "profile 1 (5 scopes): ns/c0 (workers), ns/c1 (workers), ns/c2 (workers) and 2 more"
    )
    alike = ProfileRecord(id=2, scopes=["default/${CLUSTER_NAME} (workers)"] * 4)
    assert profile_text(alike) == "profile 2 (4 scopes, 1 name): default/${CLUSTER_NAME} (workers)"
    copies = ProfileRecord(id=5, scopes=[f"ns/c{n % 4} (workers)" for n in range(6)])
    assert profile_text(copies) == (
        "profile 5 (6 scopes, 4 names): ns/c0 (workers), ns/c1 (workers), ns/c2 (workers)"
        " and 1 more"
    )
    few = ProfileRecord(id=3, scopes=["a (workers)", "b (workers)"])
    assert profile_text(few) == "profile 3: a (workers), b (workers)"
    assert profile_text(ProfileRecord(id=4)) == "profile 4: -"


def test_a_long_scope_name_is_never_cut_in_the_table() -> None:
    """Template clusters are named with their file (`ns/${NAME}@path`), longer than a
    line: the profile line wraps at spaces and keeps each name whole."""
    from capsa.sim.records import ProfileRecord

    long = "default/${CLUSTER_NAME}@copy00/cluster-api/" + "x" * 70 + ".yaml (workers)"
    report = run_fmea(_model(), flows=["flow-2"])
    report = report.model_copy(update={"profiles": [ProfileRecord(id=1, scopes=[long])]})
    text = render_fmea_table(report)
    assert "default/${CLUSTER_NAME}@copy00/cluster-api/" + "x" * 70 + ".yaml" in text


def _long_profile() -> FmeaReport:
    from capsa.sim.records import ProfileRecord

    report = run_fmea(_model(), flows=["flow-2"])
    first = report.profiles[0]
    scopes = [f"team-{n}/cluster-{n} (workers)" for n in range(5)]
    wide = ProfileRecord(id=1, role=first.role, scopes=scopes, settings=first.settings)
    return report.model_copy(update={"profiles": [wide]})


def test_the_settings_table_names_a_few_scopes_and_lists_each_once_below() -> None:
    """A row per setting named every scope of its profile: at the corpus x5, rows of
    67 KB. Rows name three; every scope is listed once under the table."""
    from capsa.report.fmea_markdown import render_fmea_markdown

    report = _long_profile()
    text = render_fmea_markdown(report, _model())
    rows = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert rows and all("team-2/cluster-2 (workers) and 2 more" in row for row in rows)
    assert all("team-4" not in row for row in rows)
    assert text.count("team-4/cluster-4") == 1
    assert "- Profile 1 (5 scopes): team-0/cluster-0 (workers), " in text
