"""All shipped checks over the real upstream manifests in ../shared/corpus (skipped when
absent): nothing raises, no check misbehaves, and unsafe upstream defaults are found."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from checks_support import all_checks, resources

from capsa.checks.engine import EvaluationResult, evaluate
from capsa.sources.resource import Resource

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@cache
def corpus_resources() -> tuple[Resource, ...]:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")
    try:
        from capsa.sources.files import read_manifests

        return tuple(read_manifests([str(CORPUS)]).resources)
    except ImportError:  # the files source is not in this tree: parse the documents here
        out: list[Resource] = []
        for path in sorted(CORPUS.rglob("*.yaml")):
            try:
                out.extend(resources(path.read_text(encoding="utf-8"), path=str(path)))
            except Exception:  # unparseable upstream files are the sources' business
                continue
        return tuple(out)


@cache
def corpus_result() -> EvaluationResult:
    return evaluate(corpus_resources(), list(all_checks().values()))


def test_every_check_runs_on_the_corpus_without_problems() -> None:
    result = corpus_result()
    assert result.problems == []
    assert result.findings and result.passes


def test_every_capa_machine_template_without_imds_options_fires() -> None:
    templates = [
        r
        for r in corpus_resources()
        if r.kind == "AWSMachineTemplate"
        and "httpTokens" not in str(r.body.get("spec", {}).get("template", {}).get("spec", {}))
    ]
    assert templates
    flagged = {
        (f.resource.name, f.location.path)
        for f in corpus_result().findings
        if f.check_id == "CAPSA-IMDS-001"
    }
    for template in templates:
        if template.unknown_paths:
            continue
        assert (template.name, template.origin.path) in flagged


def test_unsafe_upstream_defaults_are_found_in_the_corpus() -> None:
    fired = {f.check_id for f in corpus_result().findings}
    expected = {
        "CAPSA-IMDS-001",
        "CAPSA-AUDIT-001",
        "CAPSA-APISRV-001",
        "CAPSA-PSA-001",
        "CAPSA-NET-002",
        "CAPSA-NET-004",
        "CAPSA-IDENT-004",
        "CAPSA-IMG-002",
        "CAPSA-CERT-001",
        "CAPSA-PSA-002",
    }
    assert expected <= fired, expected - fired
