"""What the reports lead with and how they fold paths: nothing an assessment holds is lost.

The executive summary's actions come from the cut and the violated mitigations and say
which findings each fixes and which paths each closes; attack paths are grouped by entry
point with each distinct step written once, and every path can be read back, step by
step, from the step list; repeated not-assessable reasons become short names."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

from assessment_fixtures import F

from capsa.assess.model import Assessment, DeploymentStatus
from capsa.report.actions import risks, top_actions
from capsa.report.assessment_html import (
    render_assessment_html,
    render_assessment_html_documents,
)
from capsa.report.assessment_markdown import (
    render_assessment_markdown_documents,
)
from capsa.report.assessment_text import reason_label, status_2022
from capsa.report.path_groups import closes, digest


@cache
def _demo() -> Assessment:
    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.service import assess

    return assess(AssessRequest(now=datetime(2024, 5, 1, tzinfo=UTC)))


def test_every_path_reads_back_from_the_numbered_steps() -> None:
    a = _demo()
    d = digest(a)
    assert len(d.paths) == len(a.paths) > 0
    assert len(d.steps) < sum(len(p.steps) for p in a.paths)  # steps repeat across paths
    for numbered, path in zip(d.paths, a.paths, strict=True):
        rebuilt = [d.steps[n - 1].step for n in numbered.steps]
        assert rebuilt == list(path.steps)
    keys = [(s.step.source, s.step.target, s.step.technique) for s in d.steps]
    assert len(keys) == len(set(keys))  # each distinct step once


def test_groups_partition_the_paths_by_entry_and_agree_with_the_cut() -> None:
    a = _demo()
    d = digest(a)
    numbers = sorted(p.number for g in d.groups for p in g.paths)
    assert numbers == list(range(1, len(a.paths) + 1))
    for group in d.groups:
        assert {p.path.entry for p in group.paths} == {group.entry}
        assert set(group.targets) == {p.path.target for p in group.paths}
    for cut in a.cut:
        closed = [p for p in d.paths if cut.mitigation in p.closed_by]
        assert len(closed) == cut.paths_cut
    left = sum(g.left_open for g in d.groups)
    assert left == sum(1 for p in d.paths if not p.closed_by)


def test_actions_lead_with_the_cut_and_name_findings_and_paths() -> None:
    a = _demo()
    actions = top_actions(a)
    assert 0 < len(actions) <= 5
    cut = {c.mitigation: c.paths_cut for c in a.cut}
    in_cut = [x for x in actions if x.in_cut]
    assert actions[: len(in_cut)] == in_cut  # cut mitigations first
    assert [len(x.paths) for x in in_cut] == sorted((len(x.paths) for x in in_cut), reverse=True)
    for action in actions:
        m = action.mitigation
        if action.in_cut:
            assert len(action.paths) == cut[m.id]
        else:
            assert m.deployment_status is DeploymentStatus.VIOLATED
        assert all(closes(m.id, a.paths[n - 1]) for n in action.paths)
        assert {f.fingerprint for f in action.findings} <= set(m.findings)
        assert not any(f.suppressed for f in action.findings)
    groups = [{x.mitigation.id, *x.mitigation.same_as} for x in actions]
    assert all(not (g & h) for i, g in enumerate(groups) for h in groups[i + 1 :])


def test_without_paths_the_actions_are_the_violated_mitigations_worst_first() -> None:
    a = F.make_assessment([F.finding()], with_paths=False)
    actions = top_actions(a)
    assert actions and all(not x.in_cut and not x.paths for x in actions)
    assert all(x.mitigation.deployment_status is DeploymentStatus.VIOLATED for x in actions)
    assert not risks(a)


def test_markdown_leads_with_the_summary_and_shows_the_cut_before_the_paths() -> None:
    a = _demo()
    docs = render_assessment_markdown_documents(a)
    text = docs["assessment.md"]
    assert text.index("## 1. Executive summary") < text.index("**Contents:**")
    assert text.index("**Contents:**") < text.index("## 2. Scope and method")
    assert "most important actions, in order" in text
    section = text.split("## 4. Attack paths")[1].split("\n## 5.")[0]
    assert section.index("### Recommended cut") < section.index("#### From ")
    for n in range(1, len(a.paths) + 1):  # each group names its paths, linked
        assert f"[{n}](assessment-paths.md#path-{n})" in section
    every = docs["assessment-paths.md"].split("## Every attack path")[1].split("## Every step")[0]
    rows = re.findall(r'^\| <a id="path-(\d+)"></a>\d+ \|', every, flags=re.MULTILINE)
    assert [int(r) for r in rows] == list(range(1, len(a.paths) + 1))  # every path


def test_html_draws_each_group_and_its_companion_keeps_every_path_and_step() -> None:
    a = _demo()
    html = render_assessment_html(a)
    d = digest(a)
    assert html.count('class="path-group"') == len(d.groups)
    assert html.count('class="attack-path"') == len(d.groups)
    assert html.index('id="cut"') < html.index('class="path-group"')
    paths = render_assessment_html_documents(a)["assessment-paths.html"]
    for n in range(1, len(a.paths) + 1):
        assert f'id="path-{n}"' in paths
        assert f'href="assessment-paths.html#path-{n}"' in html  # linked from the main page
    for group in d.groups:  # each group has its full step table
        assert f'href="assessment-paths.html#{group.anchor}"' in html
        part = paths.split(f'id="{group.anchor}"')[1].split("</section>")[0]
        for step in group.steps:
            assert f'id="{group.anchor}-s{step.number}"' in part
            assert step.step.technique in part
    shown = {s.number for g in d.groups for s in g.steps}
    assert shown == {s.number for s in d.steps}


def test_repeated_reasons_become_short_names_explained_once() -> None:
    assert reason_label("no check evidences this mitigation") == "no check"
    assert reason_label("nothing in the inputs for its checks to judge, CAPSA-NET-005") == (
        "nothing to judge"
    )
    assert reason_label("1 finding of CAPSA-PSA-001") is None
    assert status_2022(
        "implemented / planned / to be implemented / End User Guidance (left open)"
    ) == ("left open")
    assert status_2022("Implemented (AWS)") == "Implemented (AWS)"
    docs = render_assessment_markdown_documents(_demo())
    for text in (docs["assessment.md"], docs["assessment-threats.md"]):
        assert text.count("capsa has no check whose result shows this mitigation") == 1
    assert "[no check](#why-a-mitigation-is-not-assessable)" in docs["assessment-threats.md"]


def _with_clusters(count: int) -> Assessment:
    """The demo with every path reaching `count` clusters."""
    a = _demo()
    names = [f"team-{n}/cluster-{n}" for n in range(count)]
    return a.model_copy(
        update={"paths": [p.model_copy(update={"clusters": names}) for p in a.paths]}
    )


def test_the_main_report_names_a_few_clusters_and_counts_the_rest() -> None:
    """A repository of templates reaches hundreds of clusters: the summary and the path
    groups name three and link the rest to the paths document, which names each."""
    a = _with_clusters(5)
    markdown = render_assessment_markdown_documents(a)
    main = markdown["assessment.md"]
    summary = main[: main.index("## 2. Scope and method")]
    assert "team-2/cluster-2 and [2 more](assessment-paths.md)" in summary
    assert "team-3/cluster-3" not in main
    assert "team-4/cluster-4" in markdown["assessment-paths.md"]
    html = render_assessment_html_documents(a)
    assert 'and <a href="assessment-paths.html">2 more</a>' in html["assessment.html"]
    assert "team-3/cluster-3" not in html["assessment.html"]
    assert "team-4/cluster-4" in html["assessment-paths.html"]


def test_the_main_report_names_every_cluster_when_there_are_few() -> None:
    a = _with_clusters(3)
    main = render_assessment_markdown_documents(a)["assessment.md"]
    assert "team-2/cluster-2" in main
    assert " more](assessment-paths.md)" not in main
    assert " more</a>" not in render_assessment_html_documents(a)["assessment.html"]


def test_the_fmea_page_names_a_few_scopes_per_row_and_lists_each_once() -> None:
    from capsa.sim.records import ProfileRecord

    a = _demo()
    assert a.fmea is not None and a.fmea.profiles
    first = a.fmea.profiles[0]
    scopes = [f"team-{n}/cluster-{n} (workers)" for n in range(5)]
    wide = ProfileRecord(id=first.id, role=first.role, scopes=scopes, settings=first.settings)
    fmea = a.fmea.model_copy(update={"profiles": [wide]})
    page = render_assessment_html_documents(a.model_copy(update={"fmea": fmea}))[
        "assessment-fmea.html"
    ]
    assert page.count("team-2/cluster-2 (workers) and 2 more") == len(first.settings)
    assert page.count("team-4/cluster-4") == 1
    assert f"Profile {first.id} (5 scopes): team-0/cluster-0 (workers)" in page
