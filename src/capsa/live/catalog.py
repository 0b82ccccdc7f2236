"""The live checks' data entries (`checks.yaml`), validated and paired with their functions.

Entries use the same field names as manifest checks where they mean the same (id, title,
severity, threats, mitigation, remediation, references) plus `needs`, the kinds the
analysis reads. Threat and mitigation ids are checked against the threat catalogue, and
every entry must have exactly one registered analysis function (and every function an
entry), so data and code cannot drift apart. Each entry's `examples` are a few
Kubernetes objects on which it fires (`fail`) and stays silent (`pass`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, field_validator

from capsa.checks.findings import Finding, Severity
from capsa.datafile import DataFile, Examples
from capsa.frozen import FrozenModel
from capsa.functions import report_orphans
from capsa.live.index import LiveIndex
from capsa.live.registry import LiveInput, LiveOptions, Registration, registered
from capsa.sources.resource import Origin, Resource
from capsa.threats.catalogue import builtin_ids
from capsa.yamlio import LineList, plain

EXAMPLE_NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
_NOT_A_LIST = "a live check file must be a list of live checks"


def _kubernetes_object(value: dict[str, Any]) -> dict[str, Any]:
    meta = value.get("metadata")
    if not (
        isinstance(value.get("apiVersion"), str)
        and isinstance(value.get("kind"), str)
        and isinstance(meta, dict)
        and isinstance(meta.get("name"), str)
    ):
        raise ValueError("a Kubernetes object needs apiVersion, kind and metadata.name")
    return value


KubernetesObject = Annotated[dict[str, Any], AfterValidator(_kubernetes_object)]


class LiveExample(FrozenModel):
    """Objects as a read of the management cluster returns them, and when it was read."""

    objects: tuple[KubernetesObject, ...] = Field(min_length=1)
    now: AwareDatetime = EXAMPLE_NOW

    def resources(self) -> list[Resource]:
        out = []
        for body in self.objects:
            doc = plain(body)
            meta = doc["metadata"]
            namespace = meta.get("namespace")
            origin = Origin(f"cluster://example/{namespace or ''}/{doc['kind']}/{meta['name']}")
            out.append(
                Resource(doc["apiVersion"], doc["kind"], namespace, meta["name"], doc, origin)
            )
        return out


class LiveCheck(FrozenModel):
    """One live check: what it reports and why, and the kinds its analysis reads.
    `applies_to` is the kind it judges: with none of it in the cluster the check is not
    applicable, and without it a run with no finding is no evidence (never a pass). An
    empty `mitigation` means it evidences no mitigation of the assessment."""

    id: str = Field(pattern=r"^CAPSA-LIVE-\d{3}$")
    title: str = Field(min_length=1)
    severity: Severity
    threats: tuple[str, ...] = Field(min_length=1)
    mitigation: str = ""
    needs: tuple[str, ...] = ()
    applies_to: str | None = None
    remediation: str = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    examples: Examples[LiveExample] = Examples[LiveExample]()

    @field_validator("remediation")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


def load_live_checks(
    path: str | Path | None = None, functions: Mapping[str, Registration] | None = None
) -> dict[str, LiveCheck]:
    """Live checks by id from `path` (the shipped `checks.yaml` when None), each paired
    with its function in `functions` (every registered one when None). Raises InputError
    listing every problem."""
    if path is None:
        file = DataFile.builtin("capsa.live", "checks.yaml", expect=LineList, what=_NOT_A_LIST)
    else:
        file = DataFile.load(path, expect=LineList, what=_NOT_A_LIST, noun="live checks")
    entries = file.entries(LiveCheck)
    file.unique(entries, "live check id")
    ids = builtin_ids()
    for entry in entries:
        check, loc = entry.value, entry.loc
        ids.check_threats(file, (*loc, "threats"), check.threats, check.id)
        if check.mitigation:
            ids.check_mitigation(
                file, (*loc, "mitigation"), check.mitigation, check.id, check.threats
            )
    known = registered() if functions is None else functions
    for entry in entries:
        if entry.value.id not in known:
            file.report(
                (*entry.loc, "id"),
                f"{entry.value.id} has no analysis: register a function with "
                f"@live_check({entry.value.id!r})",
            )
    # ids as written, so an entry with a schema error does not also count as missing
    report_orphans(file, known, {item.get("id") for item in file.root if isinstance(item, dict)})
    file.raise_problems()
    return {e.value.id: e.value for e in entries}


@cache
def live_checks() -> dict[str, LiveCheck]:
    """All shipped live checks by id, loaded and paired with their functions once."""
    return load_live_checks()


def example_findings(
    check: LiveCheck, example: LiveExample, options: LiveOptions | None = None
) -> list[Finding]:
    """What the check's registered analysis reports on one of its examples."""
    live = LiveInput(LiveIndex.of(example.resources()), example.now, options or LiveOptions())
    analysis = registered()[check.id].function
    return [f for f in analysis(live) if f.check_id == check.id]
