"""Class 4 — what capsa prints cannot take over the terminal or the page.

Resource names, file names, model text and server messages come from whoever wrote the
input. ESC and the C1 controls (cursor moves, colours, clearing the screen, OSC window
titles and hyperlinks), carriage return and backspace (overwriting what is shown) and
bidirectional overrides (reordering it) are shown as `\\uXXXX` escapes on every path to a
terminal; Markdown escapes what would be HTML; a `kind: List` whose items are not a list
is reported rather than dropped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hostile import GOOD_MODEL, assert_clean, bounded, run
from hypothesis import given
from hypothesis import strategies as st

from capsa.display import terminal_safe

NASTY = {
    "esc-clear": "\x1b[2J",
    "osc-title": "\x1b]0;pwned\x07",
    "osc-link": "\x1b]8;;http://evil.example\x1b\\",
    "c1-csi": "\x9b31m",
    "carriage-return": "ok\rEVIL",
    "backspace": "abc\x08\x08\x08",
    "bidi-override": "\u202eexe.txt",
    "bidi-isolate": "\u2066x\u2069",
    "line-separator": "a\u2028b",
}
RAW = ("\x1b", "\x9b", "\x07", "\r", "\x08", "\u202e", "\u2066", "\u2028")


def _no_raw_controls(text: str) -> None:
    for char in RAW:
        assert char not in text, (char, text[:400])


def _manifest(name: str) -> str:
    quoted = json.dumps(name)  # a YAML double-quoted scalar holds any character
    return (
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: AWSMachineTemplate\n"
        f"metadata: {{name: {quoted}, namespace: team-a, annotations: "
        f"{{capsa.dev/ignore: {json.dumps(name + ' no reason')}}}}}\n"
        "spec:\n  template:\n    spec: {instanceType: t3.large}\n"
    )


@pytest.mark.parametrize("fmt", ["table", "md", "json", "sarif"])
def test_resource_names_in_every_scan_format(tmp_path: Path, fmt: str) -> None:
    """Every nasty name in one file, one document each: all are findings, none raw."""
    path = tmp_path / "m.yaml"
    path.write_text("---\n".join(_manifest(name) for name in NASTY.values()), encoding="utf-8")
    result = run("scan", str(path), "--format", fmt)
    assert_clean(result)
    assert result.exit_code == 1
    _no_raw_controls(result.stdout)
    _no_raw_controls(result.stderr)
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)  # still valid JSON
    if fmt == "json":
        names = {f["resource"]["name"] for f in json.loads(result.stdout)["findings"]}
        assert names == set(NASTY.values())  # the names themselves survive, escaped by JSON


def test_file_names_with_escapes(tmp_path: Path) -> None:
    path = tmp_path / "bad\x1b]0;title\x07name.yaml"
    path.write_text("apiVersion: v1\nkind: [broken\n")
    result = run("scan", str(path))
    assert_clean(result)
    _no_raw_controls(result.output)
    assert "\\u001b]0;title\\u0007name.yaml" in result.output


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "md", "junit", "policyreport"])
def test_a_newline_in_a_file_name_cannot_forge_an_output_line(tmp_path: Path, fmt: str) -> None:
    """A file named `x<newline>::error ...` printed raw would put a CI workflow command
    on a line of its own; the name is shown on one line, its newline escaped."""
    (tmp_path / "x\n::error title=capsa::all clear\nz.yaml").write_text("a: [\n")
    (tmp_path / "good.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    result = run("scan", str(tmp_path), "-f", fmt)
    assert_clean(result)
    lines = [*result.stdout.splitlines(), *result.stderr.splitlines()]
    assert not [line for line in lines if line.lstrip().startswith("::error")], result.output
    assert "x\\n::error" in result.stderr


def test_markdown_escapes_names_that_are_html(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(_manifest("<script>alert(1)</script>"))
    result = run("scan", str(path), "--format", "md")
    assert_clean(result)
    assert "<script>" not in result.stdout
    assert "\\<script\\>" in result.stdout


def test_a_list_whose_items_are_not_a_list_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems: 5\n")
    result = run("scan", str(path), "--format", "json")
    assert_clean(result)
    assert result.exit_code == 2  # the only document gave nothing to scan
    assert result.stdout == ""  # no report about nothing: the error, then exit 2
    assert f"{path}:1: List: items must be a list" in result.stderr


@pytest.mark.parametrize("command", [["model", "show", "--model"], ["threats", "--model"]])
def test_model_text_in_tables(tmp_path: Path, command: list[str]) -> None:
    text = (
        GOOD_MODEL.read_text()
        .replace("name: Customer records", 'name: "\\e[2J\\e]0;t\\a\\u202erecords"')
        .replace("title: A small two-boundary system", 'title: "[/bold][red]\\e[5mx"')
    )
    model = tmp_path / "model.yaml"
    model.write_text(text)
    result = run(*command, str(model))
    assert_clean(result)
    assert result.exit_code == 0, result.output
    _no_raw_controls(result.output)


def test_assessment_outputs(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(_manifest("``<img src=x onerror=alert(1)>\x1b[2J"))
    out = tmp_path / "report"
    result = run("assess", str(path), "--out", str(out))
    assert_clean(result)
    _no_raw_controls(result.output)
    shown_in = []
    for markdown in sorted(out.glob("*.md")):  # the main report and its companions
        prose = re.sub(r"(`+).*?\1", "", markdown.read_text())  # code spans show text only
        assert not re.search(r"(?<!\\)<img", prose), markdown.name
        if "\\<img src=x" in prose:
            shown_in.append(markdown.name)
    assert "assessment-findings.md" in shown_in
    for page in sorted(out.glob("*.html")):
        assert "<img src=x" not in page.read_text(), page.name
    shown = run("report", "--from", str(out / "assessment.json"), "--format", "md")
    assert_clean(shown)
    _no_raw_controls(shown.stdout)


@pytest.mark.parametrize("text", [*NASTY.values(), "\ud800", "plain text", "tab\tand\nnewline"])
def test_terminal_safe_keeps_text_and_escapes_controls(text: str) -> None:
    safe = terminal_safe(text)
    _no_raw_controls(safe)
    assert "\ud800" not in safe
    if text.isprintable() or text == "tab\tand\nnewline":
        assert safe == text
    assert terminal_safe(safe) == safe  # escaping twice changes nothing
    json.loads(json.dumps(safe))


def _escaped_one_by_one(text: str) -> str:
    """The escape as its rule reads: each unsafe character or lone surrogate, in turn."""
    unsafe = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n", "\t"}
    unsafe |= {"\u061c", "\u200e", "\u200f", "\u2028", "\u2029"}
    unsafe |= {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
    return "".join(
        f"\\u{ord(ch):04x}" if ch in unsafe or 0xD800 <= ord(ch) < 0xE000 else ch for ch in text
    )


@bounded(300)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_terminal_safe_escapes_exactly_the_unsafe_characters(text: str) -> None:
    assert terminal_safe(text) == _escaped_one_by_one(text)
