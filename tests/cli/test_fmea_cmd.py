"""`capsa fmea` as a user runs it: formats, 80 columns with whole ids, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from capsa.cli.main import app
from capsa.examples import demo_path

runner = CliRunner()
SHOP = str(Path(__file__).parents[1] / "sim" / "fixtures" / "shop-flows.yaml")


def test_table_fits_80_columns_and_never_cuts_an_id() -> None:
    result = runner.invoke(app, ["fmea", "--format", "json"])
    ids = [m["id"] for m in json.loads(result.stdout)["modes"]]
    table = runner.invoke(app, ["fmea"])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    words = {word for line in lines for word in line.split()}
    assert all(mode_id in words for mode_id in ids)


def test_json_is_the_capsa_v1_fmea() -> None:
    result = runner.invoke(app, ["fmea", "--flow", "flow-3", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["schema"], doc["kind"], doc["model"]) == ("capsa/v1", "FMEA", "builtin:capi-aws")
    assert [f["id"] for f in doc["flows"]] == ["flow-3"]
    token = next(m for m in doc["modes"] if m["id"] == "flow-3:2:cleanup-never-runs/skipped")
    assert token["outcome"] == "leaves-residue"
    assert "STRIDE-INFODISCLOSE-2" in token["threats"]


def test_markdown_marks_the_failing_step_per_flow() -> None:
    result = runner.invoke(app, ["fmea", "--format", "md", "--fault", "tampered"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# FMEA of builtin:capi-aws")
    assert text.count("```mermaid") == 4
    assert text.count("rect rgb(255, 215, 215)") == 4
    assert "| Failure mode | Step | Outcome |" in text


def test_manifests_decide_the_settings(tmp_path: Path) -> None:
    out = tmp_path / "fmea.json"
    result = runner.invoke(
        app, ["fmea", str(demo_path()), "--flow", "flow-3", "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    scopes = [s for p in doc["profiles"] for s in p["scopes"]]
    assert scopes == [
        "team-payments/payments-prod (worker machines)",
        "team-sandbox/sandbox (worker machines)",
    ]
    basis = [
        s["basis"] for p in doc["profiles"] for s in p["settings"] if s["source"] == "evidence"
    ]
    assert any(b.endswith("(prod/workers.yaml:66)") for b in basis)


def test_fail_on_sets_the_exit_code() -> None:
    assert runner.invoke(app, ["fmea", "--fail-on", "compromised"]).exit_code == 1
    assert (
        runner.invoke(app, ["fmea", "--fault", "unavailable", "--fail-on", "compromised"]).exit_code
        == 0
    )
    assert (
        runner.invoke(app, ["fmea", "--fault", "unavailable", "--fail-on", "residue"]).exit_code
        == 1
    )


def test_unknown_flow_or_fault_is_a_usage_error() -> None:
    result = runner.invoke(app, ["fmea", "--flow", "flow-9", "--fault", "meltdown"])
    assert result.exit_code == 2
    assert (
        "no named flow 'flow-9'; known: ec2-instance-start, flow-1, flow-2, flow-3" in result.stderr
    )
    assert "no fault 'meltdown'" in result.stderr


def test_kubeconfig_without_cluster_is_a_usage_error() -> None:
    result = runner.invoke(app, ["fmea", "--kubeconfig", "k.yaml"])
    assert result.exit_code == 2
    assert "only apply with --cluster" in result.stderr


def test_inputs_that_cannot_be_read(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fmea", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "missing.yaml: no such file or directory" in result.stderr


def test_a_user_model_with_an_unknown_threat_points_at_the_line(tmp_path: Path) -> None:
    text = Path(SHOP).read_text().replace("STRIDE-INFODISCLOSE-3", "STRIDE-NOPE-1")
    model = tmp_path / "shop.yaml"
    model.write_text(text)
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if "STRIDE-NOPE-1" in s)
    result = runner.invoke(app, ["fmea", "--model", str(model)])
    assert result.exit_code == 2
    assert (
        f"{model}:{line}:" in result.stderr and "unknown threat id 'STRIDE-NOPE-1'" in result.stderr
    )
    assert "Traceback" not in result.output


def test_a_user_model_runs() -> None:
    result = runner.invoke(app, ["fmea", "--model", SHOP, "--flow", "checkout"])
    assert result.exit_code == 0, result.output
    assert "checkout:3:cleanup-never-runs/skipped" in result.stdout
