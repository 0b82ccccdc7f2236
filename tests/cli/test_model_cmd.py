"""`capsa model …` as a user runs it: exit codes, output and error messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from capsa.cli.main import app

runner = CliRunner()
SMALL = str(Path(__file__).parents[1] / "model" / "fixtures" / "small.yaml")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("capsa ")


def test_validate_ok_and_broken(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["model", "validate", SMALL])
    assert ok.exit_code == 0, ok.output
    assert "3 elements" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(Path(SMALL).read_text().replace("to: db\n", "to: nowhere\n"))
    bad = runner.invoke(app, ["model", "validate", str(broken)])
    assert bad.exit_code == 2
    assert f"{broken}:" in bad.stderr and "unknown element 'nowhere'" in bad.stderr
    assert "Traceback" not in bad.output


def test_render_formats(tmp_path: Path) -> None:
    mermaid = runner.invoke(app, ["model", "render", "--model", SMALL, "--format", "mermaid"])
    assert mermaid.exit_code == 0 and mermaid.stdout.startswith("flowchart TB")
    out = tmp_path / "dfd.dot"
    dot = runner.invoke(app, ["model", "render", "-m", SMALL, "-f", "dot", "-o", str(out)])
    assert dot.exit_code == 0 and out.read_text().startswith("digraph capsa {")


def test_flows_all_one_and_unknown() -> None:
    every = runner.invoke(app, ["model", "flows", "--model", SMALL])
    assert every.stdout.count("sequenceDiagram") == 2
    one = runner.invoke(app, ["model", "flows", "--model", SMALL, "--flow", "read"])
    assert one.stdout.count("sequenceDiagram") == 1 and "(3 steps)" in one.stdout
    missing = runner.invoke(app, ["model", "flows", "--model", SMALL, "--flow", "nope"])
    assert missing.exit_code == 2 and "no named flow 'nope'" in missing.stderr


def test_show_lists_crossings() -> None:
    result = runner.invoke(app, ["model", "show", "--model", SMALL])
    assert result.exit_code == 0
    assert "user-to-web" in result.stdout and "named flows" in result.stdout
    flow = result.stdout.split("user-to-web", 1)[1].split("data flows from", 1)[0]
    assert "crosses" in flow  # from the internet into the data centre


def test_schema_is_json_schema_of_the_format() -> None:
    result = runner.invoke(app, ["model", "schema"])
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"apiVersion", "kind", "metadata", "dataFlows", "flows"} <= set(schema["properties"])
    assert "from" in schema["$defs"]["DataFlow"]["properties"]
