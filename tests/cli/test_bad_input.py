"""Bad input through the whole `capsa` command: every failure ends in `error: <where>: <what>`
and exit 2, never a traceback. Each case was found by trying to break the CLI; each has a
well-formed counterpart that must keep working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from capsa.cli.main import app

RUNNER = CliRunner()

WORKERS = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec: {instanceType: t3.large}
"""


def _run(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


def _unusable(result: Result, *words: str) -> None:
    """Exit 2, an `error:` line naming what went wrong, and no Python exception."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "error:" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def manifest(tmp_path: Path) -> str:
    path = tmp_path / "workers.yaml"
    path.write_text(WORKERS)
    return str(path)


@pytest.fixture
def under_a_file(tmp_path: Path) -> str:
    """An output path whose parent is a regular file: no directory can be made there."""
    blocker = tmp_path / "regular-file"
    blocker.write_text("")
    return str(blocker / "out.txt")


WRITERS = [
    ["model", "render"],
    ["model", "flows"],
    ["model", "schema"],
    ["threats", "--format", "json"],
    ["threats", "--format", "md"],
    ["threats"],
    ["paths", "--format", "json"],
    ["paths"],
]


@pytest.mark.parametrize("command", WRITERS, ids=" ".join)
def test_unwritable_output_exits_2(command: list[str], under_a_file: str) -> None:
    _unusable(_run(*command, "--output", under_a_file), under_a_file, "cannot write")


@pytest.mark.parametrize("command", WRITERS[:4], ids=" ".join)
def test_writable_output_is_written(command: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    assert _run(*command, "--output", str(out)).exit_code == 0
    assert out.read_text()


def test_output_that_is_a_directory_exits_2(tmp_path: Path) -> None:
    _unusable(_run("model", "schema", "--output", str(tmp_path)), "cannot write")


def test_report_to_an_unwritable_output_exits_2(tmp_path: Path, under_a_file: str) -> None:
    out = tmp_path / "report"
    assert _run("assess", "-o", str(out)).exit_code == 0
    saved = str(out / "assessment.json")
    _unusable(_run("report", "--from", saved, "--output", under_a_file), "cannot write")
    assert _run("report", "--from", saved, "--output", str(tmp_path / "a.md")).exit_code == 0


def test_paths_with_nothing_readable_exits_2(tmp_path: Path, manifest: str) -> None:
    """It used to fall back to the generic cluster and exit 0 on a mistyped path."""
    _unusable(
        _run("paths", str(tmp_path / "missing.yaml")), "missing.yaml", "no such file or directory"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    _unusable(_run("paths", str(empty)), "nothing could be read")
    assert _run("paths", manifest, "--format", "json").exit_code == 0


def test_paths_unknown_assumed_mitigation_exits_2() -> None:
    """An unknown --assume id used to change nothing, silently."""
    _unusable(_run("paths", "--assume", "STRIDE-SPOOF-1.M99"), "--assume", "STRIDE-SPOOF-1.M99")
    assert _run("paths", "--assume", "STRIDE-SPOOF-1.M5", "--format", "json").exit_code == 0


@pytest.mark.parametrize("command", [["paths"], ["scan", "."]], ids=" ".join)
def test_cluster_options_without_cluster_exit_2(command: list[str], tmp_path: Path) -> None:
    _unusable(_run(*command, "--kubeconfig", str(tmp_path / "kc")), "--cluster")


@pytest.mark.parametrize("command", [["scan"], ["assess", "-o", "OUT"]], ids=" ".join)
@pytest.mark.parametrize("bad", ["no-equals", "=value", "1ST=x", "A B=x"])
def test_bad_var_syntax_exits_2(
    command: list[str], bad: str, manifest: str, tmp_path: Path
) -> None:
    """scan and assess accept the same variable names (assess used to take `A B=x`)."""
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    result = _run(*args, manifest, "--var", bad)
    _unusable(result, "NAME=value")
    if "=" not in bad:  # all of it may be a value: never shown
        assert bad not in result.stderr and "has no '='" in result.stderr


def test_good_var_is_accepted_by_assess(manifest: str, tmp_path: Path) -> None:
    result = _run("assess", manifest, "--out", str(tmp_path / "o"), "--var", "AWS_REGION=a=b")
    assert result.exit_code == 0, result.output


def test_assess_names_the_input_problems(manifest: str, tmp_path: Path) -> None:
    """The summary only counted input problems; the user could not tell which file."""
    missing = str(tmp_path / "vars.yaml")
    result = _run("assess", manifest, "--out", str(tmp_path / "o"), "--vars-file", missing)
    assert result.exit_code == 0
    assert f"error: {missing}: cannot read variables file" in result.stderr
    clean = _run("assess", manifest, "--out", str(tmp_path / "o"))
    assert "error:" not in clean.stderr


def test_assess_reads_the_default_ignore_file_like_scan(
    manifest: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan honoured ./.capsa-ignore.yaml and assess ignored it; now both read it."""
    monkeypatch.chdir(tmp_path)
    Path(".capsa-ignore.yaml").write_text("suppressions: [\n")
    _unusable(_run("scan", manifest), ".capsa-ignore.yaml")
    _unusable(_run("assess", manifest, "--out", "o"), ".capsa-ignore.yaml")
    Path(".capsa-ignore.yaml").unlink()
    assert _run("assess", manifest, "--out", "o").exit_code == 0


def test_deeply_nested_baseline_exits_2(manifest: str, tmp_path: Path) -> None:
    """A baseline nested past Python's recursion limit was an 'internal error'."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 5000 + "1" + "}" * 5000)
    _unusable(_run("scan", manifest, "--baseline", str(deep)), "deep.json", "nested too deeply")
    saved = tmp_path / "baseline.json"
    assert _run("scan", manifest, "--format", "json", "--output", str(saved)).exit_code == 1
    assert json.loads(saved.read_text())["schema"] == "capsa/v1"
    assert _run("scan", manifest, "--baseline", str(saved)).exit_code == 0


def test_tracking_yaml_error_carries_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "capsa-tracking.yaml"
    broken.write_text("apiVersion: capsa.dev/v1alpha1\ndecisions: [\n")
    _unusable(_run("threats", "--tracking", str(broken)), f"{broken}:3:1: YAML syntax error")
