"""One CLI contract: every command's help in the user's words, every JSON output valid
against its schema in schemas/, and the options every command spells the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from capsa import SCHEMA
from capsa.cli.main import app
from capsa.report.output_schemas import all_schemas, render

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
runner = CliRunner()

# what typer prints when a parameter lacks a user-facing label
INTERNAL = re.compile(r"<(list\[|str>|bool>|int>|float>|path>)|\[\[|\]\.\.\.\]\.\.\.")


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, command in sorted(getattr(group, "commands", {}).items()):
        yield from _commands(command, (*prefix, name))


COMMANDS = list(_commands(get_command(app)))


def test_every_command_is_walked() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"scan", "assess", "paths", "threats", "diff", "report", "fmea"} <= names
    assert {"config show", "policy export", "checks list", "model schema"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "capsa")
def test_help_shows_no_internal_type_names(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "Usage: capsa" in result.stdout
    found = INTERNAL.findall(result.stdout)
    assert not found, (found, result.stdout)
    if command in (("scan",), ("assess",)):  # square brackets in help survive rich markup
        assert "pyproject.toml [tool.capsa]" in re.sub(r"[\s│]+", " ", result.stdout)


def test_the_schema_files_are_current() -> None:
    for name, schema in all_schemas().items():
        path = SCHEMAS / name
        assert path.is_file(), f"run `make docs`: {name} is missing"
        assert path.read_text() == render(schema), f"run `make docs`: {name} is stale"


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _valid(document: dict[str, Any], schema_name: str) -> None:
    errors = list(jsonschema.Draft202012Validator(_schema(schema_name)).iter_errors(document))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert document.get("schema") == SCHEMA
    assert isinstance(document.get("kind"), str)


def _json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def assessment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("assessment")
    result = runner.invoke(app, ["-q", "assess", "-o", str(out), "--formats", "json"])
    assert result.exit_code == 0, result.output
    return out / "assessment.json"


@pytest.mark.parametrize(
    ("args", "schema"),
    [
        (["scan", "src/capsa/examples", "-f", "json", "--fail-on", "none"], "scan-report.json"),
        (["checks", "list", "-f", "json"], "check-list.json"),
        (["threats", "-f", "json"], "threat-report.json"),
        (["threats", "--explain", "STRIDE-EOP-3", "-f", "json"], "threat-explanation.json"),
        (
            ["threats", "--explain", "privileged-human-without-mfa@cloud-admin", "-f", "json"],
            "threat-explanation.json",
        ),
        (["paths", "-f", "json", "--top", "2"], "attack-paths.json"),
        (
            ["paths", "-f", "json", "--top", "2", "--assume", "STRIDE-SPOOF-1.M5"],
            "attack-paths.json",
        ),
        (["fmea", "-f", "json", "--flow", "flow-1"], "fmea.json"),
        (["config", "show", "-f", "json"], "config.json"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_every_json_output_matches_its_schema(
    args: list[str], schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    _valid(_json(*args), schema)


def test_threats_with_tracking_decisions_match_their_schema(tmp_path: Path) -> None:
    tracking = tmp_path / "capsa-tracking.yaml"
    tracking.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatTracking\ndecisions:\n"
        "  - threat: STRIDE-DOS-*\n    decision: accepted\n    justification: quotas elsewhere\n"
        "  - threat: STRIDE-DOS-5\n    decision: mitigated\n    justification: probe alerts\n"
        "    ticket: OPS-12\n    date: 2026-03-01\n    reviewer: dana\n"
    )
    document = _json("threats", "-f", "json", "--tracking", str(tracking))
    decided = [t for t in document["threats"] if t["tracking"]]
    assert {t["tracking"]["decision"] for t in decided} == {"accepted", "mitigated"}
    _valid(document, "threat-report.json")


def test_assessment_and_diff_match_their_schemas(assessment: Path) -> None:
    _valid(json.loads(assessment.read_text()), "assessment.json")
    _valid(_json("diff", str(assessment), str(assessment), "-f", "json"), "assessment-diff.json")


def test_a_renamed_key_fails_its_schema() -> None:
    """The schemas hold keys exactly: a snake_case key where camelCase belongs is caught."""
    document = _json("paths", "-f", "json", "--top", "1")
    document["cut_exact"] = document.pop("cutExact")
    with pytest.raises(AssertionError):
        _valid(document, "attack-paths.json")


def test_one_name_for_one_thing_across_outputs(assessment: Path) -> None:
    """The scan contract's names hold in the assessment, the diff and the paths output."""
    scan = _json("scan", "src/capsa/examples", "-f", "json", "--fail-on", "none")
    saved = json.loads(assessment.read_text())
    keys = {"fingerprint", "check", "severity", "threats", "mitigation", "resource"}
    keys |= {"location", "message", "remediation", "suppressed"}
    assert keys <= set(scan["findings"][0]) and keys <= set(saved["findings"][0])
    assert set(scan["findings"][0]["resource"]) == set(saved["findings"][0]["resource"])
    assert {"path", "line"} <= set(saved["findings"][0]["location"])
    assert "checkId" not in json.dumps(saved)
    steps = [s for p in saved["paths"] for s in p["steps"]]
    assert steps and all(isinstance(s["evidence"], list) and "blockedBy" in s for s in steps)
    assert all(isinstance(c["paths"], list) for c in saved["cut"])


@pytest.mark.parametrize("value", ["none", "NONE", "Low", "medium", "HIGH", "critical"])
@pytest.mark.parametrize("command", ["scan", "assess", "diff"])
def test_fail_on_takes_the_same_values_everywhere(command: str, value: str) -> None:
    """Checked through the option's own parser, so no command has to run."""
    click_command = get_command(app).commands[command]  # type: ignore[attr-defined]
    arguments = ["old.json", "new.json"] if command == "diff" else []
    ctx = click_command.make_context(command, [*arguments, "--fail-on", value])
    assert ctx.params["fail_on"].value == value.lower()


def test_fail_on_none_never_fails_and_default_is_documented() -> None:
    manifests = str(ROOT / "src/capsa/examples")
    assert runner.invoke(app, ["scan", manifests, "-q"]).exit_code == 1  # default high
    assert runner.invoke(app, ["scan", manifests, "--fail-on", "NONE", "-q"]).exit_code == 0
    for command, default in (("scan", "high"), ("assess", "none")):
        shown = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
        assert f"Default: {default}." in re.sub(r"\s+", " ", shown)


def test_a_flag_value_is_not_read_as_a_path(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    result = runner.invoke(app, ["scan", str(manifest), "--strict", "true"])
    assert result.exit_code == 2
    assert "'true' is not a file or directory; flags such as --strict take no value" in (
        result.stderr
    )
    assert result.stdout == ""
    assert runner.invoke(app, ["scan", str(manifest), "--no-strict"]).exit_code == 0


def test_every_writing_command_takes_dash_o(tmp_path: Path) -> None:
    for args in (
        ["model", "schema"],
        ["model", "show"],
        ["aws", "policy"],
        ["threats"],
        ["checks", "list"],
        ["checks", "show", "CAPSA-IMDS-001"],
        ["config", "show"],
        ["paths", "--top", "1"],
    ):
        target = tmp_path / ("-".join(args) + ".txt")
        result = runner.invoke(app, [*args, "-o", str(target)])
        assert result.exit_code == 0, (args, result.output)
        assert target.read_text().strip(), args
    policies = tmp_path / "policies"
    exported = runner.invoke(
        app, ["policy", "export", "-o", str(policies), "--check", "CAPSA-IMDS-*"]
    )
    assert exported.exit_code == 0, exported.output
    assert (policies / "capsa-imds-001.yaml").is_file()


def test_version_quiet_verbose_no_color_and_completion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --no-color sets NO_COLOR in this process's environment (for every console the run
    # makes); recorded here so it is undone after the test instead of leaking into
    # later tests' consoles. An empty NO_COLOR is the same as none to rich.
    monkeypatch.setenv("NO_COLOR", "")
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.startswith("capsa ")
    manifests = str(ROOT / "src/capsa/examples")
    out = tmp_path / "r.json"
    quiet = runner.invoke(app, ["scan", manifests, "-o", str(out), "--fail-on", "none", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    loud = runner.invoke(app, ["scan", manifests, "-o", str(out), "--fail-on", "none"])
    assert "open finding(s)" in loud.stderr  # -q lasts one run
    verbose = runner.invoke(
        app, ["-v", "scan", manifests, "--skip-path", "nothing-*", "-o", str(out)]
    )
    assert "--skip-path left out 0 file(s)" in verbose.stderr
    assert "configuration file:" in verbose.stderr
    assert "configuration file:" not in loud.stderr
    plain = runner.invoke(app, ["--no-color", "model", "show"], color=True)
    assert plain.exit_code == 0 and "\x1b[" not in plain.stdout
    # without this, typer ignores the shell named and asks shellingham which shell runs
    # the tests: run from `sh` (dash), it answered "Shell sh not supported"
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    completion = runner.invoke(app, ["--show-completion", "bash"])
    assert completion.exit_code == 0, (completion.output, completion.exception)
    assert "_CAPSA_COMPLETE" in completion.stdout
    assert "complete -o default -F" in completion.stdout, "bash's script, as named"


def test_typer_apps_mounted_alone_still_parse() -> None:
    """Sub-apps run on their own in other tests; the shared options must not need main."""
    single = typer.Typer()
    from capsa.cli import config_cmd

    single.add_typer(config_cmd.app, name="config")
    assert runner.invoke(single, ["config", "show"]).exit_code == 0
