"""Helpers for the check tests: turn small YAML texts into Resources and run checks."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from capsa.checks.catalog import load_checks
from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.model import Check
from capsa.sources.resource import Origin, Resource
from capsa.yamlio import load_all_with_lines


def resources(
    text: str,
    path: str = "fixture.yaml",
    unknown: Iterable[tuple[str | int, ...]] = (),
    carrier: str | None = None,
) -> list[Resource]:
    """Every Kubernetes-looking document of `text` as a Resource read from `path`."""
    out: list[Resource] = []
    for line, doc in load_all_with_lines(text):
        if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        out.append(
            Resource(
                api_version=str(doc.get("apiVersion", "")),
                kind=doc["kind"],
                namespace=meta.get("namespace"),
                name=str(meta.get("name", "")),
                body=doc,
                origin=Origin(path=path, line=line, carrier=carrier),
                unknown_paths=frozenset(unknown),
            )
        )
    return out


@cache
def all_checks() -> dict[str, Check]:
    return {c.id: c for c in load_checks()}


def run(check_id: str, text: str, **kwargs: object) -> EvaluationResult:
    """Evaluate one shipped check over the resources of `text`."""
    return evaluate(resources(text, **kwargs), [all_checks()[check_id]])  # type: ignore[arg-type]


def outcome(check_id: str, text: str, **kwargs: object) -> str:
    """fail | pass | unknown | none for one check over a one-object text."""
    result = run(check_id, text, **kwargs)
    assert not result.problems, result.problems
    if result.findings:
        return "fail"
    if result.unknown:
        return "unknown"
    if result.passes:
        return "pass"
    return "none"
