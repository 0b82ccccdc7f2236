"""Class 3 — no traceback, and the right exit code.

Values PyYAML recognises but cannot build (a 5000-digit integer, `0b_`, `2024-02-30`,
`!!map [a]`) used to escape as ValueError, KeyError or TypeError: a lost scan ("internal
error") or a traceback. They are now located problems in every file and command. The
rest: names and streams the operating system makes awkward (non-UTF-8 file names and
standard input, a path component too long, a full disk under standard output), rich
markup in a resource name, and the contract that exit 1 means findings and nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import GOOD_MODEL, WORKERS, assert_clean, assert_unusable, run
from typer.testing import Result

UNBUILDABLE = {
    "int-5000-digits": "1" * 5000,
    "binary-prefix-only": "0b_",
    "hex-prefix-only": "0x_",
    "february-30": "2024-02-30",
    "month-13": "2024-13-01",
    "map-tag-on-a-list": "!!map [a]",
    "str-tag-on-a-list": "!!str [a]",
    "seq-tag-on-a-scalar": "!!seq a",
    "set-tag-on-a-list": "!!set [a]",
    "omap-of-scalars": "!!omap [a]",
    "int-tag-on-text": "!!int x",
    "float-tag-on-text": "!!float x",
    "bool-tag-on-text": "!!bool x",
    "null-tag-on-a-map": "!!null {a: 1}",
    "timestamp-tag-on-text": "!!timestamp x",
    "binary-not-ascii": "!!binary 'é'",
    "merge-of-a-scalar": "{<<: 1}",
}


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _documents(tmp_path: Path) -> tuple[str, list[int]]:
    """A good manifest, then one broken document per unbuildable value."""
    parts, lines, line = [WORKERS], [], WORKERS.count("\n") + 1
    for value in UNBUILDABLE.values():
        parts.append(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  k: {value}\n"
        )
        lines.append(line + 5)
        line += 6
    return _write(tmp_path, "m.yaml", "---\n".join(parts)), lines


def test_unbuildable_values_in_manifests_are_located_and_the_rest_is_scanned(
    tmp_path: Path,
) -> None:
    path, lines = _documents(tmp_path)
    result = run("scan", path, "--format", "json")
    assert_clean(result)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert sorted(e["line"] for e in doc["errors"]) == lines
    assert {f["resource"]["name"] for f in doc["findings"]} == {"workers"}


@pytest.mark.parametrize(
    "command",
    [["assess", "-o", "OUT"], ["paths", "--format", "json"], ["scan", "--format", "sarif"]],
    ids=lambda c: c[0],
)
def test_unbuildable_values_in_manifests_for_every_command(
    tmp_path: Path, command: list[str]
) -> None:
    path, _ = _documents(tmp_path)
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    result = run(args[0], path, *args[1:])
    assert_clean(result)
    assert result.exit_code in (0, 1)


@pytest.mark.parametrize("value", UNBUILDABLE.values(), ids=list(UNBUILDABLE))
def test_unbuildable_values_in_a_model(tmp_path: Path, value: str) -> None:
    text = GOOD_MODEL.read_text().replace("name: small", f"name: small\n  extra: {value}")
    model = _write(tmp_path, "model.yaml", text)
    assert_unusable(run("model", "validate", model), f"{model}:5")


@pytest.mark.parametrize(
    ("place", "text", "line"),
    [
        (
            "tracking",
            "apiVersion: capsa.dev/v1alpha1\nkind: ThreatTracking\ndecisions:\n"
            "  - threat: STRIDE-DOS-1\n    decision: accepted\n    date: 2024-02-30\n",
            6,
        ),
        (
            "ignore",
            "apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
            "  - check: C\n    expires: 2026-02-30\n",
            5,
        ),
        ("kubeconfig", "apiVersion: v1\nclusters: [{name: 0x_}]\n", 2),
        ("vars", "A: 0b_\n", 1),
    ],
)
def test_unbuildable_values_in_other_files(
    tmp_path: Path, place: str, text: str, line: int
) -> None:
    path = _write(tmp_path, f"{place}.yaml", text)
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    args = {
        "tracking": ["threats", "--tracking", path],
        "ignore": ["scan", manifest, "--ignore-file", path],
        "kubeconfig": ["scan", "--cluster", "--kubeconfig", path],
        "vars": ["scan", manifest, "--vars-file", path, "--strict", "--format", "json"],
    }[place]
    result = run(*args)
    assert_unusable(result)
    assert f":{line}" in result.stderr or f"line {line}" in result.stderr, result.stderr


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("assessment")
    assert run("assess", "-o", str(out)).exit_code == 0
    return out / "assessment.json"


def test_a_huge_number_in_an_assessment_is_only_a_number(saved: Path, tmp_path: Path) -> None:
    doc = json.loads(saved.read_text())
    doc["summary"]["resources"] = int("9" * 4000)
    edited = tmp_path / "assessment.json"
    edited.write_text(json.dumps(doc))
    assert_clean(run("report", "--from", str(edited)))
    assert_clean(run("diff", str(saved), str(edited)))


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(findings=[{"severity": "high", "line": "x"}]),
        lambda d: d.update(threats=5),
        lambda d: d.update(schema="capsa/v9"),
    ],
    ids=["bad-finding", "threats-int", "other-schema"],
)
@pytest.mark.parametrize("command", ["report", "diff"])
def test_a_tampered_assessment_is_refused(
    saved: Path, tmp_path: Path, edit: object, command: str
) -> None:
    doc = json.loads(saved.read_text())
    edit(doc)  # type: ignore[operator]
    broken = tmp_path / "assessment.json"
    broken.write_text(json.dumps(doc))
    args = (
        ["report", "--from", str(broken)]
        if command == "report"
        else ["diff", str(saved), str(broken)]
    )
    assert_unusable(run(*args), str(broken))


@pytest.mark.parametrize(
    "text",
    ['{"schema": "capsa/v1", "findings": [' + "1" * 5000 + "]}", "[" * 100_000, "\ud800"],
    ids=["huge-int", "deep", "lone-surrogate"],
)
def test_a_broken_baseline(tmp_path: Path, text: str) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(text, encoding="utf-8", errors="surrogatepass")
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    assert_unusable(run("scan", manifest, "--baseline", str(baseline)), "baseline.json")


# --- names and streams -------------------------------------------------------------------------


@pytest.fixture
def odd_named(tmp_path: Path) -> Path:
    folder = tmp_path / "odd"
    folder.mkdir()
    name = os.fsdecode(b"bad\xff\xfe name\x1b[31m.yaml")
    (folder / name).write_text(WORKERS)
    return folder


@pytest.mark.parametrize("fmt", ["json", "sarif", "md", "table"])
def test_non_utf8_file_names_in_every_format(odd_named: Path, fmt: str) -> None:
    result = run("scan", str(odd_named), "--format", fmt)
    assert_clean(result)
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    if fmt in ("json", "sarif"):
        assert "xff" in json.dumps(json.loads(result.stdout))


def test_non_utf8_file_names_in_the_assessment(odd_named: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run("assess", str(odd_named), "--out", str(out))
    assert_clean(result)
    assert result.exit_code == 0
    assert "xff" in (out / "assessment.json").read_text()
    assert_clean(run("report", "--from", str(out / "assessment.json"), "--format", "sarif"))


def test_non_utf8_standard_input() -> None:
    result = run("scan", "-", stdin=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    assert_unusable(result, "-:3", "not UTF-8")


def test_a_path_component_too_long(tmp_path: Path) -> None:
    long = str(tmp_path / ("x" * 300 + ".yaml"))
    assert_unusable(run("scan", long), "File name too long")
    assert_unusable(run("model", "validate", long), "File name too long")
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    assert_unusable(run("scan", manifest, "--baseline", long), "File name too long")
    assert_unusable(run("scan", manifest, "--output", long), "cannot write")


def _full_disk(*args: str) -> subprocess.CompletedProcess[bytes]:
    with open("/dev/full", "wb") as full:
        return subprocess.run(
            [sys.executable, "-m", "capsa", *args], stdout=full, stderr=subprocess.PIPE, check=False
        )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["model", "schema"], ["scan", "--format", "json"]], ids=" ".join)
def test_standard_output_on_a_full_disk(tmp_path: Path, args: list[str]) -> None:
    if args[0] == "scan":
        args = [args[0], _write(tmp_path, "m.yaml", WORKERS), *args[1:]]
    done = _full_disk(*args)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"cannot write the output: No space left on device" in done.stderr


def _assessment_with_a_finding_named(saved: Path, tmp_path: Path, name: str) -> Path:
    doc = json.loads(saved.read_text())
    finding = doc["findings"][0]
    finding["resource"]["name"] = name
    finding["fingerprint"] = "f" * 16
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc))
    return changed


@pytest.mark.parametrize("name", ["[/bold]x", "[red]x[/]", "[link=http://e.x]x", "\x1b[2Jx"])
def test_rich_markup_and_escapes_in_a_name_are_shown_as_text(
    saved: Path, tmp_path: Path, name: str
) -> None:
    changed = _assessment_with_a_finding_named(saved, tmp_path, name)
    result = run("diff", str(saved), str(changed))
    assert_clean(result)
    assert result.exit_code == 0
    shown = name.replace("\x1b", "\\u001b")
    assert (
        shown in result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
        or "…" in result.stdout
    )
    assert "\x1b" not in result.stdout


# --- exit codes -----------------------------------------------------------------------------


def _internal_error(monkeypatch: pytest.MonkeyPatch, target: str, error: BaseException) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise error

    module, _, name = target.rpartition(".")
    monkeypatch.setattr(__import__(module, fromlist=[name]), name, boom)


COMMANDS = {
    "scan": ("capsa.scan.service.scan", ["scan", "M"]),
    "paths": ("capsa.graph.service.attack_paths", ["paths", "M"]),
    "assess": ("capsa.assess.service.assess", ["assess", "M", "--out", "OUT"]),
    "model": ("capsa.model.loader.load_model", ["model", "validate"]),
    "threats": ("capsa.threats.service.assess_threats", ["threats"]),
    "report": ("capsa.assess.model.Assessment.model_validate_json", ["report", "--from", "M"]),
    "checks": ("capsa.checks.catalog.load_checks", ["checks", "list"]),
}


def _invoke(tmp_path: Path, args: list[str]) -> Result:
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    return run(*[a.replace("OUT", str(tmp_path / "o")).replace("M", manifest) for a in args])


ERRORS = [RuntimeError("boom"), RecursionError(), MemoryError(), KeyError("k")]


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (c, e)
        for c in COMMANDS
        for e in ERRORS
        if c == "scan" or type(e) in (RuntimeError, KeyError)
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_an_internal_error_is_exit_2_with_a_hint_never_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str, error: BaseException
) -> None:
    target, args = COMMANDS[command]
    if command == "report":
        monkeypatch.setattr(
            "capsa.assess.model.Assessment.model_validate_json",
            classmethod(lambda _cls, _text: (_ for _ in ()).throw(error)),
        )
    else:
        _internal_error(monkeypatch, target, error)
    result = _invoke(tmp_path, args)
    assert_unusable(result, f"internal error ({type(error).__name__})", "please report it")


def test_an_interrupt_is_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _internal_error(monkeypatch, "capsa.scan.service.scan", KeyboardInterrupt())
    assert_unusable(_invoke(tmp_path, ["scan", "M"]), "interrupted")


def test_exit_1_is_findings_at_or_above_fail_on(tmp_path: Path) -> None:
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    assert run("scan", manifest).exit_code == 1
    assert run("scan", manifest, "--fail-on", "critical").exit_code == 0
    assert run("scan", manifest, "--bogus-option").exit_code == 2
