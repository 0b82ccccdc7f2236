"""Finding clusterctl's markers in built documents: multi-line values put back, paths of
unresolved values listed (keys too), nothing else touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.display import UNRESOLVED_PREFIX
from capsa.sources.clusterctl_vars import VALUE_PREFIX
from capsa.sources.documents import load_documents
from capsa.sources.markers import MARKER_START, fill_and_find_unknown


def test_every_marker_starts_with_the_text_the_walk_looks_for() -> None:
    # a document without "__CAPSA_" is never walked; a marker spelt otherwise is missed
    assert VALUE_PREFIX.startswith(MARKER_START) and UNRESOLVED_PREFIX.startswith(MARKER_START)


TEMPLATE = f"""\
kind: A
metadata: {{name: a}}
---
kind: B
spec: {{region: {UNRESOLVED_PREFIX}REGION__}}
---
kind: C
---
kind: D
data: {{x: {VALUE_PREFIX}0__}}
"""


def _marked(text: str) -> list[bool]:
    marked: list[bool] = []
    docs, _ = load_documents(text, "t.yaml", marked=marked)
    assert len(marked) == len(docs)
    return marked


def test_only_documents_whose_own_text_holds_a_marker_are_walked() -> None:
    assert _marked(TEMPLATE) == [False, True, False, True]
    assert _marked("kind: A\n---\nkind: B\n") == [False, False]
    # on a document's first line: its own, not the one before's
    assert _marked(f"a: 1\n---\nb: {VALUE_PREFIX}1__\n") == [False, True]
    # after a document the parser could not read, it reads on at the next `---`
    assert _marked(f"a: b: c\n---\nb: {VALUE_PREFIX}1__\n---\nc: 1\n") == [True, False]


def test_unresolved_values_and_keys_are_listed_by_path() -> None:
    doc = {
        "spec": {
            "region": f"{UNRESOLVED_PREFIX}AWS_REGION__",
            "args": ["--a=1", f"--b={UNRESOLVED_PREFIX}B__"],
            f"{UNRESOLVED_PREFIX}KEY__": "v",
            "plain": "no marker here",
        }
    }
    found = fill_and_find_unknown(doc, {})
    assert found == {
        ("spec", "region"),
        ("spec", "args", 1),
        ("spec", f"{UNRESOLVED_PREFIX}KEY__"),
    }
    assert doc["spec"]["plain"] == "no marker here"


def test_deferred_multiline_values_are_put_back_where_they_stood() -> None:
    doc = {"files": [{"content": f"{VALUE_PREFIX}0__"}], "note": f"a {VALUE_PREFIX}1__ b"}
    found = fill_and_find_unknown(doc, {f"{VALUE_PREFIX}0__": "line 1\nline 2\n"})
    assert doc["files"][0]["content"] == "line 1\nline 2\n"
    assert doc["note"] == f"a {VALUE_PREFIX}1__ b"  # no value for it: left as it was
    assert found == frozenset()


def test_a_document_without_markers_is_left_alone() -> None:
    doc = {"metadata": {"name": "a"}, "spec": {"items": [1, "two", {"three": 3}]}}
    assert fill_and_find_unknown(doc, {"__CAPSA_VALUE_0__": "x"}) == frozenset()
    assert doc == {"metadata": {"name": "a"}, "spec": {"items": [1, "two", {"three": 3}]}}


@pytest.mark.parametrize("newline", ["\r", "\x85", "\u2028", "\u2029", "\r\n"])
def test_odd_line_breaks_do_not_move_a_marker_to_another_document(newline: str) -> None:
    """A lone CR, NEL or a Unicode separator is a line break to the parser: a
    document's own text is read from the parser's offsets, never from counted lines."""
    text = (
        f"kind: A{newline}metadata: {{name: a}}  # {newline * 8}{newline}---{newline}"
        f"kind: B{newline}spec: {{x: {UNRESOLVED_PREFIX}X__}}{newline}"
    )
    assert _marked(text) == [False, True]


def test_a_document_after_odd_line_breaks_keeps_its_unresolved_value(tmp_path: Path) -> None:
    """End to end (the reviewer's case): the control plane's `${ANON}` is unknown, not
    a pass, though a comment before it holds eight line separators."""
    from capsa.checks.catalog import load_checks
    from capsa.scan.service import ScanRequest, scan

    (tmp_path / "t.yaml").write_text(
        "kind: ConfigMap\nmetadata: {name: a}  # " + "\u2028" * 8 + "\n---\n"
        "apiVersion: controlplane.cluster.x-k8s.io/v1beta1\nkind: KubeadmControlPlane\n"
        "metadata: {name: cp}\nspec: {kubeadmConfigSpec: {clusterConfiguration: "
        '{apiServer: {extraArgs: {anonymous-auth: "${ANON}"}}}}}\n',
        encoding="utf-8",
    )
    check = next(c for c in load_checks() if c.id == "CAPSA-APISRV-002")
    result = scan(ScanRequest(paths=[str(tmp_path)], checks=(check,)))
    assert [r.check_id for r in result.unknown] == ["CAPSA-APISRV-002"]
    assert "ANON" in (result.unknown[0].reason or "") and not result.passes


def test_a_payload_whose_text_uses_lone_carriage_returns_keeps_its_unresolved_value(
    tmp_path: Path,
) -> None:
    """The reviewer's second case: a ClusterResourceSet payload written as a quoted
    string with `\\r` line breaks; its control plane's `${ANON}` stays unknown."""
    from capsa.checks.catalog import load_checks
    from capsa.scan.service import ScanRequest, scan

    payload = (
        "kind: ConfigMap\\rmetadata: {name: a}\\r\\r\\r\\r\\r\\r\\r\\r\\n---\\n"
        "apiVersion: controlplane.cluster.x-k8s.io/v1beta1\\nkind: KubeadmControlPlane\\n"
        "metadata: {name: cp}\\nspec: {kubeadmConfigSpec: {clusterConfiguration: "
        '{apiServer: {extraArgs: {anonymous-auth: \\"${ANON}\\"}}}}}\\n'
    )
    (tmp_path / "crs.yaml").write_text(
        "apiVersion: addons.cluster.x-k8s.io/v1beta1\nkind: ClusterResourceSet\n"
        "metadata: {name: crs, namespace: default}\nspec:\n"
        "  clusterSelector: {matchLabels: {cni: x}}\n"
        "  resources: [{name: cm, kind: ConfigMap}]\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: default}\n"
        f'data:\n  p.yaml: "{payload}"\n',
        encoding="utf-8",
    )
    check = next(c for c in load_checks() if c.id == "CAPSA-APISRV-002")
    result = scan(ScanRequest(paths=[str(tmp_path)], checks=(check,)))
    assert [r.check_id for r in result.unknown] == ["CAPSA-APISRV-002"] and not result.passes
