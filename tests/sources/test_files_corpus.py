"""The real upstream corpus reads without an exception; what cannot be read is a Problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from capsa.sources.clusterctl_vars import UNRESOLVED_RE
from capsa.sources.files import SourceResult, read_manifests

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not (CORPUS / "index.json").is_file():
        pytest.skip("shared corpus not present")
    return CORPUS.resolve()


@pytest.fixture(scope="module")
def result(corpus: Path) -> SourceResult:
    return read_manifests([str(corpus)])


def strings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def test_corpus_reads_completely(corpus: Path, result: SourceResult) -> None:
    index = json.loads((corpus / "index.json").read_text())
    assert result.files_read == len(index)
    by_path = {p.path for p in result.problems}
    for entry in index:
        if entry["yaml_parse_error"]:
            assert str(corpus / entry["corpus_file"]) in by_path
    empty = [e for e in index if e["bytes"] == 0]
    for entry in empty:
        assert str(corpus / entry["corpus_file"]) in by_path
    assert all(p.line is not None for p in result.problems if "empty" not in p.message)
    assert len(result.resources) > 1000


def test_corpus_unresolved_values_are_all_listed_as_unknown(result: SourceResult) -> None:
    templates = [r for r in result.resources if "cluster-template" in r.origin.path]
    assert templates
    assert any(r.unknown_paths for r in templates)
    for res in result.resources:
        for path, text in strings(res.body):
            assert "__CAPSA_VALUE_" not in text
            if "__CAPSA_UNRESOLVED_" in text:
                assert path in res.unknown_paths


def test_corpus_resource_sets_are_expanded(result: SourceResult) -> None:
    embedded = [r for r in result.resources if r.origin.carrier]
    assert {"DaemonSet", "ClusterRole"} <= {r.kind for r in embedded}
    for res in embedded:
        assert Path(res.origin.path).is_file()
    secrets = [r for r in result.resources if r.kind == "Secret"]
    for secret in secrets:
        for field in ("data", "stringData"):
            values = secret.body.get(field) or {}
            # kept: emptiness, and a value that is wholly one unresolved variable
            assert all(
                v in ("<redacted>", "") or UNRESOLVED_RE.fullmatch(v) for v in values.values()
            )


def test_corpus_variables_from_the_e2e_config_resolve_more(corpus: Path) -> None:
    from capsa.sources.clusterctl_vars import load_vars_file

    config = corpus / "cluster-api-provider-aws" / "test__e2e__data__e2e_conf.yaml"
    values, problems = load_vars_file(str(config))
    assert values and problems == []
    bare = read_manifests([str(corpus / "cluster-api-provider-aws")])
    given = read_manifests([str(corpus / "cluster-api-provider-aws")], values)
    count = sum(len(r.unknown_paths) for r in bare.resources)
    assert sum(len(r.unknown_paths) for r in given.resources) < count
