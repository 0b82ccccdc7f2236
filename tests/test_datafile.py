"""capsa.datafile: the one loader behind every catalogue-like file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from capsa.datafile import DataFile, Examples, raise_all, read_text
from capsa.errors import InputError, Problem
from capsa.frozen import FrozenModel
from capsa.yamlio import LineDict, LineList


class Item(FrozenModel):
    id: str
    size: int = Field(gt=0)
    examples: Examples[int] = Examples[int]()


class Document(FrozenModel):
    api_version: str
    items: tuple[Item, ...]


TEXT = """\
apiVersion: v1
items:
  - id: a
    size: 1
  - id: b
    size: -1
  - id: c
    size: 2
    colour: red
  - id: a
    size: 3
    examples: {fail: [1], pass: [2, 3]}
surprise: true
"""


def _problems(file: DataFile) -> list[tuple[int | None, int | None, str]]:
    return [(p.line, p.column, p.message) for p in file.problems]


def test_entries_are_validated_one_by_one_and_keep_their_place() -> None:
    file = DataFile.parse("d.yaml", TEXT)
    entries = file.entries(Item, ("items",))
    assert [(e.value.id, e.index) for e in entries] == [("a", 0), ("a", 3)]
    assert entries[1].value.examples.pass_ == (2, 3)
    assert _problems(file) == [
        (6, 11, "b: size: Input should be greater than 0"),
        (9, 5, "c: unknown field 'colour'"),
    ]


def test_document_fields_duplicates_and_every_problem_raised_at_once() -> None:
    file = DataFile.parse("d.yaml", TEXT)
    entries = file.entries(Item, ("items",))
    document = file.validate(Document, file.with_entries({"items": entries}))
    assert document is None  # `surprise` is not a field of the document
    file.unique(entries, "item id")
    with pytest.raises(InputError) as caught:
        file.raise_problems()
    assert [(p.path, p.line) for p in caught.value.problems] == [
        ("d.yaml", 6),
        ("d.yaml", 9),
        ("d.yaml", 10),
        ("d.yaml", 13),
    ]
    messages = [p.message for p in caught.value.problems]
    assert messages[2] == "duplicate item id 'a' (first at line 3)"
    assert messages[3] == "unknown field 'surprise'"


def test_a_clean_document_validates_into_its_model() -> None:
    file = DataFile.parse("d.yaml", "apiVersion: v1\nitems:\n  - {id: a, size: 1}\n")
    entries = file.entries(Item, ("items",))
    document = file.validate(Document, file.with_entries({"items": entries}))
    assert document is not None and document.items[0].size == 1
    file.raise_problems()  # nothing recorded: does not raise


def test_missing_or_misshapen_lists_are_problems() -> None:
    file = DataFile.parse("d.yaml", "apiVersion: v1\nother: 1\n")
    assert file.entries(Item, ("items",)) == []
    assert _problems(file) == [(1, 1, "missing 'items': add a list")]
    file = DataFile.parse("d.yaml", "items: {id: a}\n")
    assert file.entries(Item, ("items",)) == []
    assert _problems(file) == [(1, 8, "items must be a list")]
    assert DataFile.parse("d.yaml", "a: 1\n").entries(Item, ("items",), required=False) == []


@pytest.mark.parametrize(
    ("text", "expect", "where", "words"),
    [
        ("a: [1, 2\n", None, (2, 1), "YAML syntax error"),
        ("- 1\n", None, None, ""),
        ("- 1\n", "mapping", (1, 1), "the file must be a YAML mapping"),
        ("a: 1\n", "list", (1, 1), "the file must be a YAML list"),
    ],
)
def test_parse_errors_stop_with_a_located_problem(
    text: str, expect: str | None, where: tuple[int, int] | None, words: str
) -> None:
    kind = {"mapping": LineDict, "list": LineList, None: None}[expect]
    if where is None:
        assert DataFile.parse("d.yaml", text, expect=kind).root == [1]
        return
    with pytest.raises(InputError) as caught:
        DataFile.parse("d.yaml", text, expect=kind)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == where and words in problem.message


@pytest.mark.parametrize(
    ("text", "syntax", "where"),
    [
        ("a: 1\nb:\n  trusted: false\n  trusted: true\n", "yaml", (4, 3)),
        ('{"a": 1,\n "a": 2}\n', "json", (2, 2)),
    ],
)
def test_a_key_written_twice_is_refused_where_it_repeats(
    text: str, syntax: Literal["yaml", "json"], where: tuple[int, int]
) -> None:
    """Keeping the last value would silently drop the first (a model's `trusted: false`)."""
    with pytest.raises(InputError) as caught:
        DataFile.parse("d." + syntax, text, syntax=syntax)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == where
    assert "is written twice in one mapping" in problem.message


def test_a_key_overriding_a_merged_one_is_not_a_repeat() -> None:
    text = "base: &b {trusted: false, human: true}\nelement:\n  <<: *b\n  trusted: true\n"
    file = DataFile.parse("d.yaml", text)
    assert file.root["element"]["trusted"] is True and file.problems == []


def test_an_empty_list_file_has_no_entries() -> None:
    file = DataFile.parse("d.yaml", "", expect=LineList)
    assert file.entries(Item) == [] and file.problems == []


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read rules: No such file"):
        read_text(tmp_path / "absent.yaml", "rules")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="not UTF-8 text"):
        DataFile.load(binary)


def test_builtin_files_are_shown_by_package_path() -> None:
    file = DataFile.builtin("capsa.threats", "data", "rules.yaml")
    assert file.path == "capsa/threats/data/rules.yaml"
    assert file.position(("rules", 0, "id"))[0] is not None


def test_raise_all_gathers_problems_of_several_files() -> None:
    raise_all([])
    with pytest.raises(InputError) as caught:
        raise_all([Problem("b.yaml", 2, None, "x"), Problem("a.yaml", 1, None, "y")])
    assert [p.path for p in caught.value.problems] == ["a.yaml", "b.yaml"]
