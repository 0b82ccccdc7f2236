"""The scan root: one folder, that folder; one file, its folder; several paths, the
deepest folder holding them all; `--root` wins. Locations below it become relative,
anything else stays as it was named."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.sources.root import relative_to_root, scan_root, shown_path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a" / "x").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x" / "one.yaml").write_text("")
    (tmp_path / "b" / "two.yaml").write_text("")
    return tmp_path


def test_the_root_of_one_folder_one_file_and_several_paths(tree: Path) -> None:
    assert scan_root([str(tree / "a")]) == tree / "a"
    assert scan_root([str(tree / "a" / "x" / "one.yaml")]) == tree / "a" / "x"
    assert scan_root([str(tree / "a" / "x" / "one.yaml"), str(tree / "b")]) == tree
    assert scan_root([str(tree / "a"), "-"]) == tree / "a"  # standard input is no folder
    assert scan_root(["-"]) is None and scan_root([]) is None
    assert scan_root([str(tree / "a")], explicit=str(tree)) == tree


def test_relative_paths_resolve_from_the_working_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    root = scan_root(["a"])
    assert root == tree / "a"
    assert relative_to_root("a/x/one.yaml", root) == "x/one.yaml"
    assert shown_path(tree / "a") == "a" and shown_path(tree) == "."
    assert shown_path(Path("/")) == "/"


def test_only_files_below_the_root_become_relative(tree: Path) -> None:
    root = tree / "a"
    assert relative_to_root(str(tree / "a" / "x" / "one.yaml"), root) == "x/one.yaml"
    assert relative_to_root(str(tree / "b" / "two.yaml"), root) == str(tree / "b" / "two.yaml")
    assert (
        relative_to_root("cluster://mgmt/api/v1/secrets", root) == "cluster://mgmt/api/v1/secrets"
    )
    assert relative_to_root("-", root) == "-"
    assert relative_to_root(str(tree / "a" / "x" / "one.yaml"), None).endswith("one.yaml")
