"""`capsa threats` on its own Typer app: formats, selections, tracking and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from capsa.cli.threats_cmd import app

runner = CliRunner()

CHILD_MODEL = (
    "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nextends: builtin:capi-aws\n"
    "metadata:\n  name: my-platform\n"
)
TRACKING = (
    "apiVersion: capsa.dev/v1alpha1\nkind: ThreatTracking\ndecisions:\n"
    "  - threat: STRIDE-DOS-*\n    decision: accepted\n    justification: quotas in the cloud account\n"
    "    ticket: OPS-1\n    date: 2026-02-01\n    reviewer: sam\n"
)


def test_json_has_schema_threats_and_recall() -> None:
    result = runner.invoke(app, ["--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "capsa/v1"
    assert data["summary"]["recall"] == {"matched": 22, "total": 22, "missed": []}
    spoof = next(t for t in data["threats"] if t["id"] == "STRIDE-SPOOF-1")
    assert spoof["source"] == "catalogue" and spoof["mitigations"][0]["id"] == "STRIDE-SPOOF-1.M1"
    assert spoof["mitigations"][0]["upstreamStatus"] == "partial"
    generated = [t for t in data["threats"] if t["source"] == "generated"]
    assert generated and all(t["rule"] and t["severity"] and t["why"] for t in generated)
    assert {
        "id",
        "category",
        "title",
        "elements",
        "flows",
        "assets",
        "matchedCatalogueId",
        "tracking",
    } <= set(generated[0])


def test_selections_and_markdown() -> None:
    only_generated = json.loads(runner.invoke(app, ["--format", "json", "--generated"]).stdout)
    assert {t["source"] for t in only_generated["threats"]} == {"generated"}
    only_catalogue = json.loads(runner.invoke(app, ["--format", "json", "--catalogue"]).stdout)
    assert len(only_catalogue["threats"]) == 25
    md = runner.invoke(app, ["--format", "md"])
    assert md.exit_code == 0 and "**22/22**" in md.stdout and "| STRIDE-EOP-3 |" in md.stdout
    table = runner.invoke(app, [])
    assert table.exit_code == 0 and "recall: 22/22" in table.stdout
    both = runner.invoke(app, ["--generated", "--catalogue"])
    assert both.exit_code == 2


def test_tracking_next_to_the_model_is_applied(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(CHILD_MODEL)
    (tmp_path / "capsa-tracking.yaml").write_text(TRACKING)
    data = json.loads(runner.invoke(app, ["--model", str(model), "--format", "json"]).stdout)
    dos = next(t for t in data["threats"] if t["id"] == "STRIDE-DOS-5")
    assert dos["tracking"]["decision"] == "accepted" and dos["tracking"]["date"] == "2026-02-01"
    eop = next(t for t in data["threats"] if t["id"] == "STRIDE-EOP-1")
    assert eop["tracking"] is None


def test_orphan_tracking_entry_fails_unless_allowed(tmp_path: Path) -> None:
    tracking = tmp_path / "tracking.yaml"
    tracking.write_text(TRACKING + "  - threat: STRIDE-DOS-99\n    decision: open\n")
    failed = runner.invoke(app, ["--tracking", str(tracking), "--format", "json"])
    assert failed.exit_code == 2
    assert f"{tracking}:10:" in failed.stderr and "STRIDE-DOS-99" in failed.stderr
    allowed = runner.invoke(
        app, ["--tracking", str(tracking), "--allow-orphans", "--format", "json"]
    )
    assert allowed.exit_code == 0 and "warning" in allowed.stderr


def test_unusable_model_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: capsa.dev/v1alpha1\nkind: Nope\n")
    result = runner.invoke(app, ["--model", str(bad)])
    assert result.exit_code == 2 and "bad.yaml" in result.stderr


def test_explain_a_generated_threat_names_rule_facts_and_a_change_that_removes_it() -> None:
    result = runner.invoke(
        app, ["--explain", "untrusted-gains-privileged-authority@admin-kubeconfig"]
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "rule untrusted-gains-privileged-authority" in text
    assert "[true ] placement.reachable_by_untrusted" in text
    assert "reachers: workload-pod (Workload pod)" in text
    assert "Closest catalogue entry: STRIDE-EOP-2" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_explain_json_lists_the_changes_tried_and_their_effect() -> None:
    result = runner.invoke(
        app,
        ["--explain", "privileged-human-without-mfa@cloud-admin", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["kind"], data["source"], data["rule"]) == (
        "ThreatExplanation",
        "generated",
        "privileged-human-without-mfa",
    )
    assert {"where": "element cloud-admin attributes.privileged", "setTo": "false"} in [
        {k: c[k] for k in ("where", "setTo")} for c in data["changes"]
    ]


def test_explain_a_catalogue_threat_shows_the_generated_threats_behind_it() -> None:
    result = runner.invoke(app, ["--explain", "STRIDE-EOP-3", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source"] == "catalogue"
    assert data["closest"] and all(c["threat"] for c in data["closest"])


def test_explain_an_unknown_id_is_unusable_input() -> None:
    result = runner.invoke(app, ["--explain", "no-such-rule@nowhere"])
    assert result.exit_code == 2
    assert "no threat 'no-such-rule@nowhere'" in result.output


def test_every_format_shows_the_status_the_json_gives() -> None:
    """A threat the model mitigates reads so in the table, --compact and Markdown as in
    the JSON, and the counts keep it apart from the open ones."""
    data = json.loads(runner.invoke(app, ["--format", "json", "--generated"]).stdout)
    mitigated = {t["id"] for t in data["threats"] if t["mitigatedInModel"]}
    open_ids = {t["id"] for t in data["threats"] if not t["mitigatedInModel"]}
    assert mitigated and open_ids
    assert data["summary"]["byStatus"] == {
        "open": len(open_ids),
        "mitigatedInModel": len(mitigated),
    }
    for options in ([], ["--compact"]):
        table = runner.invoke(app, ["--generated", *options], env={"COLUMNS": "200"}).stdout
        lines = {line.split()[1]: line.split()[0] for line in table.splitlines() if "@" in line}
        assert {i for i, tag in lines.items() if tag == "mitigated"} == mitigated
        assert all(lines[i] in ("critical", "high", "medium", "low") for i in open_ids)
        assert "mitigated in the model)" in table  # a category header counts them apart
        assert f"mitigated in the model: {len(mitigated)}" in table
    md = runner.invoke(app, ["--format", "md", "--generated"]).stdout
    rows = {r.split(" | ")[0][2:]: r.split(" | ")[2] for r in md.splitlines() if "@" in r}
    assert {i for i, s in rows.items() if s == "mitigated in the model"} == mitigated
    assert {i for i, s in rows.items() if s == "open"} == open_ids
    assert f"{len(open_ids)} open, {len(mitigated)} mitigated in the model" in md
