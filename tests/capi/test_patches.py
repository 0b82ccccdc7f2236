import pytest

from capsa.capi.patches import (
    MISSING,
    PatchError,
    apply_operation,
    copy_tree,
    evaluate_enabled_if,
    lookup_variable,
)
from capsa.yamlio import load_one_with_lines, position_of


def test_copy_tree_keeps_positions_and_is_independent() -> None:
    doc = load_one_with_lines("spec:\n  template:\n    spec:\n      a: 1\n")
    copy = copy_tree(doc)
    copy["spec"]["template"]["spec"]["a"] = 2
    assert doc["spec"]["template"]["spec"]["a"] == 1
    assert position_of(copy, ("spec", "template", "spec", "a")) == (4, 10)


def test_add_creates_missing_parents_and_appends_to_lists() -> None:
    doc: dict[str, object] = {"spec": {"items": [1]}}
    assert apply_operation(doc, "add", "/spec/new/deep", "x") == ["spec", "new", "deep"]
    assert apply_operation(doc, "add", "/spec/items/-", 2) == ["spec", "items", 1]
    assert doc == {"spec": {"items": [1, 2], "new": {"deep": "x"}}}


def test_replace_and_remove_need_an_existing_target() -> None:
    doc = {"spec": {"a": 1, "l": [1, 2]}, "x~/y": {"k": 0}}
    apply_operation(doc, "replace", "/spec/a", 3)
    apply_operation(doc, "remove", "/spec/l/0")
    apply_operation(doc, "replace", "/x~0~1y/k", 1)
    assert doc == {"spec": {"a": 3, "l": [2]}, "x~/y": {"k": 1}}
    with pytest.raises(PatchError):
        apply_operation(doc, "remove", "/spec/missing")
    with pytest.raises(PatchError):
        apply_operation(doc, "move", "/spec/a", 1)
    with pytest.raises(PatchError):
        apply_operation(doc, "add", "/spec/a/b", 1)


def test_replace_of_a_missing_key_adds_it() -> None:
    doc: dict[str, object] = {"spec": {}}
    apply_operation(doc, "replace", "/spec/bastion/enabled", True)
    assert doc == {"spec": {"bastion": {"enabled": True}}}


def test_lookup_variable_follows_dotted_paths() -> None:
    variables = {"builtin": {"cluster": {"name": "c"}}, "cfg": {"a": 1}}
    assert lookup_variable(variables, "builtin.cluster.name") == "c"
    assert lookup_variable(variables, "cfg.a") == 1
    assert lookup_variable(variables, "cfg.b") is MISSING


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("{{ .on }}", True),
        ("{{ .off }}", False),
        ("{{ not .off }}", True),
        ("{{ not .on }}", False),
        ('{{ ne .tag "" }}', True),
        ('{{ eq .tag "v1" }}', True),
        ("{{ and .on (not .off) }}", True),
        ("{{ or .off .missing }}", False),
        ("{{ .missing }}", False),
        ("{{ .builtin.cluster.name }}", False),
        ("{{ if .tag }}true{{end}}", True),
        ("{{- if .missing -}} true {{- end -}}", False),
    ],
)
def test_enabled_if_supported_subset(expression: str, expected: bool) -> None:
    variables = {"on": True, "off": False, "tag": "v1", "builtin": {"cluster": {"name": "c"}}}
    assert evaluate_enabled_if(expression, variables) is expected


@pytest.mark.parametrize(
    "expression",
    ["{{ if .on }}yes{{ end }}", "{{ .on | not }}", "plain text", '{{ printf "%s" .on }}'],
)
def test_enabled_if_outside_the_subset_is_not_evaluated(expression: str) -> None:
    assert evaluate_enabled_if(expression, {"on": True}) is None
