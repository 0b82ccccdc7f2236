"""Finding clusterctl's markers in built documents: multi-line values put back, paths of
unresolved values listed (keys too), nothing else touched."""

from __future__ import annotations

from capsa.display import UNRESOLVED_PREFIX
from capsa.sources.clusterctl_vars import VALUE_PREFIX
from capsa.sources.markers import documents_with_markers, fill_and_find_unknown


def test_every_marker_starts_with_the_text_the_walk_looks_for() -> None:
    # the walk skips any string without "__CAPSA_"; a marker spelt otherwise would be missed
    assert VALUE_PREFIX.startswith("__CAPSA_") and UNRESOLVED_PREFIX.startswith("__CAPSA_")


TEMPLATE = f"""\
kind: A
metadata: {{name: a}}
---
kind: B
spec: {{region: {UNRESOLVED_PREFIX}REGION__}}
---
# a comment
kind: C
---
kind: D
data: {{x: {VALUE_PREFIX}0__}}
"""


def test_only_documents_whose_lines_hold_a_marker_are_walked() -> None:
    assert documents_with_markers(TEMPLATE, [1, 4, 8, 10]) == [False, True, False, True]
    assert documents_with_markers("kind: A\n---\nkind: B\n", [1, 3]) == [False, False]
    # a marker on a document's first line belongs to it, not to the one before
    assert documents_with_markers(f"a: 1\n---\nb: {VALUE_PREFIX}1__\n", [1, 3]) == [False, True]


def test_lines_out_of_order_walk_every_document() -> None:
    assert documents_with_markers(TEMPLATE, [4, 1]) == [True, True]
    assert documents_with_markers(TEMPLATE, []) == []


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
