"""`capsa paths` through its own typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from capsa.cli.paths_cmd import app

RUNNER = CliRunner()
DEFAULTS = str(Path(__file__).parent / "fixtures" / "defaults")


def test_json_on_manifests() -> None:
    result = RUNNER.invoke(app, [DEFAULTS, "--format", "json", "--top", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "capsa/v1"
    assert any(p["clusters"] == ["team-a/sandbox"] for p in doc["paths"])


def test_assume_reports_removed_paths() -> None:
    result = RUNNER.invoke(
        app,
        [
            "--entry",
            "pod-create",
            "--target",
            "cloud-admin-creds",
            "--assume",
            "STRIDE-SPOOF-1.M5",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["assumed"] == ["STRIDE-SPOOF-1.M5"]
    assert doc["removedByAssumed"]
    assert all(
        "pod-reaches-imds" in [s["technique"] for s in p["steps"]] for p in doc["removedByAssumed"]
    )


def test_table_and_diagrams_without_manifests(tmp_path: Path) -> None:
    table = RUNNER.invoke(app, ["--top", "1"])
    assert table.exit_code == 0 and "Minimum cut" in table.stdout
    out = tmp_path / "paths.dot"
    dot = RUNNER.invoke(app, ["--format", "dot", "--output", str(out)])
    assert dot.exit_code == 0 and out.read_text().startswith("digraph")
    assert RUNNER.invoke(app, ["--format", "mermaid"]).stdout.startswith("flowchart")


def test_unknown_entry_exits_2() -> None:
    result = RUNNER.invoke(app, ["--entry", "nope"])
    assert result.exit_code == 2


def _shapes(paths: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {
        (
            p["entry"],
            p["target"],
            tuple(s["technique"] for s in p["steps"]),  # type: ignore[attr-defined]
            tuple(p["clusters"]),  # type: ignore[arg-type]
        )
        for p in paths
    }


def test_no_argument_assesses_the_same_bundled_example_as_assess() -> None:
    """`capsa paths` and `capsa assess` with no arguments read the same example, so they
    report the same paths and the same cut (they used to disagree: paths searched a
    generic cluster)."""
    from datetime import UTC, datetime

    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.service import assess

    result = RUNNER.invoke(app, ["--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assessment = assess(AssessRequest(now=datetime(2024, 5, 1, tzinfo=UTC)))
    from_assess = [p.model_dump(by_alias=True) for p in assessment.paths]
    assert doc["paths"] and _shapes(doc["paths"]) == _shapes(from_assess)
    assert [c["mitigation"] for c in doc["cut"]] == [c.mitigation for c in assessment.cut]
    uncut = {(u["entry"], u["target"]) for u in doc["uncuttable"]}
    assert uncut == {(r.entry, r.target) for r in assessment.uncuttable}
    assert doc["cutClosesEveryPath"] is assessment.summary.cut_closes_every_path


def test_generic_cluster_is_an_explicit_option() -> None:
    result = RUNNER.invoke(app, ["--generic", "--format", "json", "--top", "1"])
    assert result.exit_code == 0, result.output
    clusters = {c for p in json.loads(result.stdout)["paths"] for c in p["clusters"]}
    assert clusters == {"default/workload"}
    refused = RUNNER.invoke(app, ["--generic", DEFAULTS])
    assert refused.exit_code == 2 and "--generic" in refused.output


def test_the_cut_says_closes_every_path_only_when_it_does() -> None:
    open_ = RUNNER.invoke(app, ["--target", "ca-keys"])
    assert open_.exit_code == 0, open_.output
    assert "no checkable mitigation closes node-shell -> ca-keys via" in open_.stdout
    assert "closes every path" not in open_.stdout
    closed = RUNNER.invoke(app, ["--entry", "pod-create", "--target", "admin-kubeconfig"])
    assert closed.exit_code == 0, closed.output
    assert "the cut closes every path" in closed.stdout
    assert "no checkable mitigation closes" not in closed.stdout
    doc = json.loads(
        RUNNER.invoke(
            app, ["--entry", "pod-create", "--target", "admin-kubeconfig", "--format", "json"]
        ).stdout
    )
    assert doc["cutClosesEveryPath"] is True and doc["uncuttable"] == []


OTHER_SYSTEM = (Path(__file__).parents[1] / "data" / "models" / "shop.yaml").read_text()


def test_a_model_the_catalogue_stands_for_nothing_of_is_not_searched(tmp_path: Path) -> None:
    """Nothing searched is no "no path": the table says why, JSON says so, exit is 2."""
    model = tmp_path / "shop.yaml"
    model.write_text(OTHER_SYSTEM)
    table = RUNNER.invoke(app, ["-m", str(model), "--generic"])
    assert table.exit_code == 2
    assert "attack paths were not searched" in table.stdout
    assert "no open attack path" not in table.stdout
    found = RUNNER.invoke(app, ["-m", str(model), "--generic", "--format", "json"])
    assert found.exit_code == 2
    doc = json.loads(found.stdout)
    assert doc["searched"] is False and doc["cutClosesEveryPath"] is False
    assert doc["notSearched"][0].startswith("no entry point is in the graph")


def test_why_nothing_was_searched_reaches_stderr_when_stdout_is_a_document(
    tmp_path: Path,
) -> None:
    """JSON on stdout (or any output written to a file) leaves a reader of the terminal
    only stderr: each reason nothing was searched is printed there as an error, so exit 2
    is never read as "no path"."""
    model = tmp_path / "shop.yaml"
    model.write_text(OTHER_SYSTEM)
    found = RUNNER.invoke(app, ["-m", str(model), "--generic", "--format", "json"])
    assert found.exit_code == 2
    notes = json.loads(found.stdout)["notSearched"]
    assert notes
    assert found.stderr.splitlines() == [
        f"error: attack paths were not searched: {note}" for note in notes
    ]
    written = RUNNER.invoke(app, ["-m", str(model), "--generic", "-o", str(tmp_path / "p.txt")])
    assert written.exit_code == 2
    assert written.stderr.splitlines() == found.stderr.splitlines()


def test_the_built_in_model_is_searched() -> None:
    found = RUNNER.invoke(app, ["--generic", "--format", "json", "--top", "1"])
    assert found.exit_code == 0
    doc = json.loads(found.stdout)
    assert doc["searched"] is True and doc["notSearched"] == []


def test_an_entry_that_is_no_entry_capability_is_refused() -> None:
    """pod-on-node is reached through techniques: searching from it would print paths as
    if attackers started there. It is refused, naming the entry capabilities."""
    result = RUNNER.invoke(app, ["--entry", "pod-on-node"])
    assert result.exit_code == 2
    assert "pod-on-node is no entry capability" in result.stderr
    assert "pod-create" in result.stderr
