"""The fast tree builder must build exactly what PyYAML's constructor machinery builds."""

from __future__ import annotations

import copy
import gc
import pickle
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from capsa.sources.documents import PayloadMap
from capsa.yamlio import (
    ALIAS_SLACK,
    MAX_ALIAS_RATIO,
    MAX_DEPTH,
    TOO_DEEP,
    LineDict,
    LineList,
    LineLoader,
    Placement,
    TooDeep,
    _count_nodes,
    _measure_aliases,
    build_document,
    exceeds_depth,
    field_position_of,
    load_all_with_lines,
    may_have_aliases,
    plain,
    refusal,
)

MIXED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: demo, labels: {a: "1", b: yes}}
data:
  count: 3
  ratio: 0.5
  hex: 0x1F
  nothing: ~
  empty:
  when: 2024-01-02
  stamp: 2024-01-02T03:04:05Z
  flags: [on, off, True, "true", -1, +2, .inf, 1_000]
  blob: !!binary aGVsbG8=
  dup: first
  dup: second
  "=": equals
  list:
    - a
    - {b: c}
    - - nested
"""

ANCHORS = """\
base: &base {x: 1, y: [1, 2]}
shared: &list [a, b]
again: *list
merged:
  <<: *base
  y: override
many:
  <<: [*base, {z: 3}]
value:
  =: plain
"""

TAGGED = """\
set: !!set {a, b}
omap: !!omap [{a: 1}, {b: 2}]
pairs: !!pairs [{a: 1}, {a: 2}]
map: !!map {k: v}
str: !!str 123
"""


def _reference(text: str) -> list[Any]:
    return [doc for _, doc in load_all_with_lines(text)]


def _fast(text: str, **kwargs: Any) -> list[Any]:
    loader = LineLoader(text)
    try:
        docs = []
        while loader.check_node():
            docs.append(build_document(loader, loader.get_node(), **kwargs))
        return docs
    finally:
        loader.dispose()


def _shape(value: Any) -> Any:
    """Values plus every recorded position, so two trees compare exactly."""
    if isinstance(value, LineDict):
        return (
            "map",
            value.position,
            [
                (k, _shape(v), value.key_positions[k], value.value_positions[k])
                for k, v in value.items()
            ],
        )
    if isinstance(value, LineList):
        return ("seq", value.position, [_shape(v) for v in value], list(value.item_positions))
    return (type(value).__name__, value)


@pytest.mark.parametrize("text", [MIXED, ANCHORS, TAGGED, "just a scalar\n", "- 1\n- two\n"])
def test_builds_what_the_constructor_builds(text: str) -> None:
    expected = _reference(text)
    assert [_shape(d) for d in _fast(text)] == [_shape(d) for d in expected]


def test_alias_free_build_matches_too() -> None:
    assert [_shape(d) for d in _fast(MIXED, aliases=False)] == [
        _shape(d) for d in _reference(MIXED)
    ]


def test_aliased_collections_are_one_object() -> None:
    (doc,) = _fast(ANCHORS)
    assert doc["shared"] is doc["again"]


def test_shifted_and_fixed_placement() -> None:
    (plain_doc,) = _fast("a:\n  b: 1\n")
    (shifted,) = _fast("a:\n  b: 1\n", placement=Placement(lines=10, columns=2))
    (fixed,) = _fast("a:\n  b: 1\n", placement=Placement(fixed=(7, 3)))
    assert plain_doc["a"].value_positions["b"] == (2, 6)
    assert shifted["a"].value_positions["b"] == (12, 8)
    assert fixed["a"].value_positions["b"] == (7, 3)
    assert fixed.position == (7, 3)


REWRITTEN = """\
base: &base {a: 1, b: 2}
repeated:
  x: 1
  y: 2
  x: 3
merged:
  <<: *base
  b: 5
"""


def test_a_key_written_twice_keeps_its_first_place_and_its_last_position() -> None:
    (doc,) = _fast(REWRITTEN, duplicates=[])
    assert [_shape(d) for d in _fast(REWRITTEN)] == [_shape(d) for d in _reference(REWRITTEN)]
    assert list(doc["repeated"]) == ["x", "y"]
    assert doc["repeated"].key_position("x") == (5, 3)
    assert doc["repeated"].value_position("x") == (5, 6)
    assert doc["merged"].value_position("b") == (8, 6)  # the override, not the anchor's
    assert doc["merged"].value_position("a") == (1, 17)


def test_a_key_added_after_building_has_no_position() -> None:
    (doc,) = _fast("spec:\n  a: 1\n")
    doc["spec"]["late"] = 2
    assert doc["spec"].key_position("late") is None
    assert doc["spec"].key_position("a") == (2, 3)
    assert field_position_of(doc, ("spec", "late")) == (1, 1)  # the parent's key


def test_list_items_keep_their_positions_through_insert_and_remove() -> None:
    (doc,) = _fast("- a\n- b\n- c\n")
    doc.insert_item(1, "new", (9, 9))
    assert list(doc) == ["a", "new", "b", "c"]
    assert doc.item_positions == [(1, 3), (9, 9), (2, 3), (3, 3)]
    doc.remove_item(0)
    assert list(doc) == ["new", "b", "c"]
    assert [doc.item_position(i) for i in range(4)] == [(9, 9), (2, 3), (3, 3), None]


def test_copies_share_positions_and_pickles_keep_them() -> None:
    (doc,) = _fast(MIXED)
    copy = LineDict()
    copy.update(doc)
    copy.same_places(doc)
    again = pickle.loads(pickle.dumps(doc))
    assert _shape(copy) == _shape(doc) == _shape(again)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickled_trees_keep_positions_types_and_shared_nodes(protocol: int) -> None:
    (doc,) = _fast(ANCHORS)
    again = pickle.loads(pickle.dumps(doc, protocol))
    assert _shape(again) == _shape(doc)
    assert type(again) is LineDict and type(again["shared"]) is LineList
    assert again["shared"] is again["again"]  # an alias stays one node
    assert _shape(copy.deepcopy(doc)) == _shape(doc)


def test_a_subclass_pickles_its_own_slots_too() -> None:
    carrier = PayloadMap()
    carrier["payload"] = "kind: Namespace"
    carrier.literal_starts = {"payload": (4, 5)}
    again = pickle.loads(pickle.dumps(carrier))
    assert type(again) is PayloadMap
    assert again.literal_starts == {"payload": (4, 5)} and again == carrier


def test_building_leaves_no_reference_cycle() -> None:
    """The scan pauses the collector: a cycle per document kept each file's loader and
    nodes alive until a collection (`capsa.scan.heap`)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for text in (MIXED, ANCHORS, REWRITTEN):
            assert _fast(text)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_placements_compose_in_order() -> None:
    assert Placement(lines=2).then(Placement(lines=3, columns=1))((1, 1)) == (6, 2)
    assert Placement(lines=2).then(Placement(fixed=(9, 9)))((1, 1)) == (9, 9)
    assert Placement(fixed=(4, 1)).then(Placement(lines=1))((1, 1)) == (5, 1)


def _nested(levels: int) -> str:
    return "a: " + "[" * (levels - 1) + "1" + "]" * (levels - 1) + "\n"


def test_depth_limit_refuses_only_deeper_documents() -> None:
    assert _fast(_nested(5), max_depth=5, aliases=False)
    with pytest.raises(TooDeep):
        _fast(_nested(6), max_depth=5, aliases=False)


def test_depth_is_checked_before_a_construction_error() -> None:
    text = "bad: !custom x\ndeep: " + "[" * 9 + "]" * 9 + "\n"
    with pytest.raises(TooDeep):
        _fast(text, max_depth=5, aliases=False)
    with pytest.raises(yaml.constructor.ConstructorError):
        _fast(text, max_depth=50, aliases=False)


def test_depth_of_inline_merges_counts_the_written_nesting() -> None:
    text = "m:\n  <<: {a: {b: {c: 1}}}\n"
    # root, m, the merged mapping, a, b: five levels as written, four once flattened
    assert _fast(text, max_depth=5, aliases=False)
    with pytest.raises(TooDeep):
        _fast(text, max_depth=4, aliases=False)


def test_exceeds_depth_counts_collections_only() -> None:
    node = yaml.compose("a: [[x]]\n", Loader=LineLoader)
    assert node is not None
    assert not exceeds_depth(node, 3)
    assert exceeds_depth(node, 2)


def test_unhashable_key_and_unknown_tag_fail_like_pyyaml() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="unhashable key"):
        _fast("? [a]\n: b\n")
    with pytest.raises(yaml.constructor.ConstructorError, match="could not determine"):
        _fast("a: !Ref b\n")


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="recursive"):
        _fast("a: &x\n  b: *x\n")


@pytest.mark.parametrize(
    "scalar",
    ["", "~", "null", "yes", "No", "on", "0", "-1", "+3", "0x1f", "0o17", "1_000", "1:30",
     ".5", "-.inf", ".NaN", "2024-01-02", "<<", "=", "plain", "Yes please", "123abc"],
)  # fmt: skip
def test_resolver_agrees_with_pyyaml(scalar: str) -> None:
    loader = LineLoader("")
    reference: Any = yaml.SafeLoader("")
    try:
        for implicit in ((True, False), (False, True), (False, False)):
            assert loader.resolve(yaml.ScalarNode, scalar, implicit) == reference.resolve(
                yaml.ScalarNode, scalar, implicit
            )
    finally:
        loader.dispose()
        reference.dispose()


@pytest.mark.parametrize("kind", [yaml.MappingNode, yaml.SequenceNode])
def test_resolver_agrees_with_pyyaml_on_collections(kind: type[yaml.Node]) -> None:
    loader = LineLoader("")
    reference: Any = yaml.SafeLoader("")
    try:
        for implicit in (True, False):
            assert loader.resolve(kind, None, implicit) == reference.resolve(kind, None, implicit)
    finally:
        loader.dispose()
        reference.dispose()


def _measured_refusal(node: yaml.Node) -> str | None:
    """What `refusal` answers from the full alias measurement, with no shortcut."""
    deepest, expanded, cyclic = _measure_aliases(node)
    if cyclic:
        return "cyclic"
    if deepest > MAX_DEPTH:
        return TOO_DEEP
    if expanded > MAX_ALIAS_RATIO * _count_nodes(node) + ALIAS_SLACK:
        return "bomb"
    return None


def _deep_anchored(levels: int) -> str:
    """An anchored document `levels` deep, scalars counted, with no alias in it."""
    return "a: &x " + "[" * (levels - 2) + "1" + "]" * (levels - 2) + "\nb: 'arn:*:iam'\n"


@pytest.mark.parametrize("levels", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_an_anchor_without_alias_is_judged_as_the_full_measure_judges(levels: int) -> None:
    text = _deep_anchored(levels)
    assert may_have_aliases(text)
    node = yaml.compose(text, Loader=LineLoader)
    assert node is not None
    assert _measure_aliases(node)[0] == levels
    assert refusal(node, True) == _measured_refusal(node)
    assert (refusal(node, True) == TOO_DEEP) == (levels > MAX_DEPTH)


_BODY = st.recursive(
    st.sampled_from(["1", "x", "*a", "*b", "*a", "&c 2"]),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(inner, max_size=4).map(
            lambda items: "{" + ", ".join(f"k{i}: {v}" for i, v in enumerate(items)) + "}"
        ),
    ),
    max_leaves=12,
)
#: Documents whose anchors come first (so most aliases resolve), then a body that may or
#: may not use them, or refer to its own parent.
_ALIASED = st.tuples(st.booleans(), _BODY).map(
    lambda parts: (
        "defs: [&a 2, &b {k: [y, 1]}]\nv: "
        + ("&d [*d, " + parts[1] + "]" if parts[0] else parts[1])
        + "\n"
    )
)
_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(5)
)


def test_an_alias_bomb_is_still_measured() -> None:
    node = yaml.compose(_BOMB, Loader=LineLoader)
    assert node is not None
    assert _measured_refusal(node) == "bomb"
    found = refusal(node, True)
    assert found is not None and "alias bomb" in found


@settings(max_examples=200, deadline=None)
@given(_ALIASED)
def test_refusal_agrees_with_the_full_alias_measure(text: str) -> None:
    try:
        node = yaml.compose(text, Loader=LineLoader)
    except yaml.YAMLError:
        return  # an alias before its anchor: not a document
    assume(node is not None)
    found = refusal(node, True)
    expected = _measured_refusal(node)
    if expected == "cyclic":
        assert found is not None and "recursive" in found
    else:
        assert found == expected


_TREE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


def _lined(value: Any) -> Any:
    """`value` with every dict a LineDict and every list a LineList, as the loader builds."""
    if isinstance(value, dict):
        out = LineDict()
        out.update({k: _lined(v) for k, v in value.items()})
        return out
    if isinstance(value, list):
        items = LineList()
        items.extend(_lined(v) for v in value)
        return items
    return value


def _exact_types(value: Any) -> bool:
    if isinstance(value, dict):
        return type(value) is dict and all(_exact_types(v) for v in value.values())
    if isinstance(value, list):
        return type(value) is list and all(_exact_types(v) for v in value)
    return True


@settings(max_examples=200, deadline=None)
@given(tree=_TREE)
def test_plain_copies_every_level_into_plain_containers(tree: Any) -> None:
    """CEL accepts only plain dicts and lists, at any depth: `plain` must reach them all."""
    lined = _lined(tree)
    copied = plain(lined)
    assert copied == tree and _exact_types(copied)
    if isinstance(lined, dict | list) and lined:
        assert copied is not lined


def test_a_nodes_own_position_and_its_items_positions_are_set_apart() -> None:
    (doc,) = _fast(MIXED)
    keys = doc.key_positions
    doc.position = (40, 2)
    assert doc.position == (40, 2) and doc.key_positions == keys
    doc.place(("kind",), [((7, 1), (7, 7))])
    assert doc.position == (40, 2) and doc.key_positions == {"kind": (7, 1)}
    items = LineList()
    assert items.position == (0, 0) and items.item_position(0) is None
    items.insert_item(0, "a", (3, 5))
    items.position = (2, 3)
    assert items.item_positions == [(3, 5)] and items.position == (2, 3)
    assert items.item_position(1) is None and items.item_position(-1) is None


def test_lines_are_counted_as_the_parser_counts_them() -> None:
    from capsa.yamlio import last_break_end, line_breaks, line_start

    text = "a\r\nb\rc\x85d\u2028e\u2029f\ng"
    assert line_breaks(text) == 6 and line_breaks("a\nb\n") == 2
    assert line_breaks(text, 0, 3) == 1  # CR LF is one break
    assert [line_start(text, n) for n in (1, 2, 3, 7)] == [0, 3, 5, 13]
    assert line_start(text, 8) is None and line_start("", 1) == 0
    assert last_break_end(text) == 13 and last_break_end("ab\ncd") == 3
    assert last_break_end("abc") == 0
