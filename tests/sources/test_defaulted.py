"""Where a clusterctl template's own defaults stand: in the substituted text
(`clusterctl_vars.DefaultUse`) and in the fields of the objects read
(`sources.defaulted`)."""

from __future__ import annotations

from pathlib import Path

from capsa.sources.clusterctl_vars import DefaultUse, substitute
from capsa.sources.defaulted import defaulted_paths
from capsa.sources.files import read_manifests
from capsa.yamlio import load_one_with_lines

TEMPLATE = """\
spec:
  identity: ${ID_TYPE:=AWSClusterControllerIdentity}
  replicas: ${COUNT:=3}  # ${IN_A_COMMENT:=x}
  args:
    - "--flag=${FLAG:=false}"
    - --gates=A=${GATE_A:=true},B=${GATE_B:=false}
  given: ${GIVEN:=no}
  unknown: ${NOTHING}
  both: {a: ${A:=1}, b: "${B:=two}"}
  script: |
    echo start
    echo ${WORD:=hello}
"""


def test_substitution_says_where_each_default_was_taken() -> None:
    result = substitute(TEMPLATE, {"GIVEN": "yes"})
    lines = result.text.splitlines()
    taken = {use.variables: use for use in result.defaults}
    assert set(taken) == {
        ("ID_TYPE",), ("COUNT",), ("IN_A_COMMENT",), ("FLAG",), ("GATE_A",), ("GATE_B",),
        ("A",), ("B",), ("WORD",),
    }  # fmt: skip
    for use in result.defaults:  # each points at its own value in the text
        line = lines[use.line - 1]
        assert line[use.column - 1 :].startswith(use.value), use
    assert taken[("GATE_B",)] == DefaultUse(6, 24, ("GATE_B",), "false")


def test_a_default_inside_another_default_names_both_variables() -> None:
    (use,) = substitute("a: ${OUTER:=${INNER:=x}}\n", {}).defaults
    assert use.variables == ("OUTER", "INNER") and use.value == "x"


def test_each_default_is_tied_to_the_field_holding_it() -> None:
    result = substitute(TEMPLATE, {"GIVEN": "yes"})
    paths = defaulted_paths(load_one_with_lines(result.text), result.defaults)
    assert paths == {
        ("spec", "identity"): ((("ID_TYPE",), 0, 28),),
        ("spec", "replicas"): ((("COUNT",), 0, -1),),  # a number: the whole value
        ("spec", "args", 0): ((("FLAG",), 7, 5),),  # after the opening quote
        ("spec", "args", 1): ((("GATE_A",), 10, 4), (("GATE_B",), 17, 5)),
        ("spec", "both", "a"): ((("A",), 0, -1),),
        ("spec", "both", "b"): ((("B",), 0, 3),),
        ("spec", "script"): ((("WORD",), 16, 5),),  # a later line of a block scalar
    }  # the comment's default holds no field; a given variable took no default


def test_objects_read_from_a_template_carry_their_defaulted_fields(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
        "data: {mode: '${MODE:=open}', size: '${SIZE}'}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {x: y}\n"
    )
    first, second = read_manifests([str(tmp_path)], {"SIZE": "1"}).resources
    assert first.defaulted == {("data", "mode"): ((("MODE",), 0, 4),)}
    assert second.defaulted == {}
    given = read_manifests([str(tmp_path)], {"SIZE": "1", "MODE": "closed"}).resources
    assert given[0].defaulted == {}


STYLES = """\
folded: >-
  --ttl=${A:=15m}
  --other
folded_later: >-
  --foo=1
  --ttl=${G:=15m}
plain: --x=1
  --ttl=${B:=15m}
escaped: "say \\"hi\\" --ttl=${C:=15m}"
single: 'it''s --ttl=${D:=15m}'
replicas: "3"
# ${E:=3}
after: "false"  # ${F:=false}
"""


def test_folded_wrapped_and_escaped_texts_hold_their_defaults() -> None:
    """Found by their only occurrence where the text's lines or escapes do not map onto
    the value; a default in a comment after a value is never tied to it."""
    result = substitute(STYLES, {})
    lines = result.text.splitlines()
    paths = defaulted_paths(load_one_with_lines(result.text), result.defaults, lines)
    doc = load_one_with_lines(result.text)
    assert set(paths) == {("folded",), ("folded_later",), ("plain",), ("escaped",), ("single",)}
    for path, ((_, start, length),) in paths.items():
        assert doc[path[0]][start : start + length] == "15m"


def test_a_default_an_alias_repeats_is_held_in_both_places() -> None:
    text = "spec:\n  first: &args\n    - --ttl=${TTL:=15m}\n  second: *args\n"
    result = substitute(text, {})
    paths = defaulted_paths(load_one_with_lines(result.text), result.defaults)
    assert paths == {
        ("spec", "first", 0): ((("TTL",), 6, 3),),
        ("spec", "second", 0): ((("TTL",), 6, 3),),
    }


def test_a_default_is_tied_only_within_its_own_document(tmp_path: Path) -> None:
    """The document before it may end with a text holding the same characters."""
    (tmp_path / "t.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n"
        "  script: |\n    sleep 15m and then some\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {ttl: '${TTL:=15m}'}\n"
    )
    first, second = read_manifests([str(tmp_path)]).resources
    assert first.defaulted == {}
    assert second.defaulted == {("data", "ttl"): ((("TTL",), 0, 3),)}


def test_a_line_separator_before_a_default_keeps_it_on_its_field() -> None:
    """The parser breaks lines at U+2028 (say, pasted into a comment): the default's
    line must be counted its way to meet the field the parser places there."""
    text = "# a note\u2028# pasted\nspec:\n  replicas: ${COUNT:=3}\n"
    result = substitute(text, {})
    (use,) = result.defaults
    assert (use.line, use.column) == (4, 13)  # the parser's line of `replicas`
    doc = load_one_with_lines(result.text)
    assert doc["spec"].value_position("replicas") == (4, 13)
    assert defaulted_paths(doc, result.defaults) == {("spec", "replicas"): ((("COUNT",), 0, -1),)}
