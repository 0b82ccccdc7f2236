"""The assessment's threat catalogue: loaded from data, checked against a model.

A catalogue entry names model ids; a typo there would silently detach a threat from the
system it is about, so loading refuses any id the model does not define (file:line).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from capsa.errors import InputError, Problem
from capsa.frozen import FrozenModel
from capsa.model.types import SystemModel
from capsa.yamlio import LineDict, key_position_of, load_one_with_lines, position_of

BUILTIN_CATALOGUE = "builtin:catalogue"


class Category(StrEnum):
    SPOOFING = "spoofing"
    TAMPERING = "tampering"
    REPUDIATION = "repudiation"
    INFORMATION_DISCLOSURE = "information-disclosure"
    DENIAL_OF_SERVICE = "denial-of-service"
    ELEVATION_OF_PRIVILEGE = "elevation-of-privilege"
    PROJECT_HYGIENE = "project-hygiene"


STRIDE_CATEGORIES = tuple(c for c in Category if c is not Category.PROJECT_HYGIENE)


class UpstreamStatus(StrEnum):
    IMPLEMENTED = "implemented"
    PARTIAL = "partial"
    GUIDANCE_ONLY = "guidance-only"
    NOT_IMPLEMENTED = "not-implemented"
    OUT_OF_SCOPE = "out-of-scope"


class Mitigation(FrozenModel):
    id: str
    text: str
    upstream_status: UpstreamStatus
    status_in2022: str = Field(alias="statusIn2022")
    status_note: str = ""
    checks: tuple[str, ...] = ()


class CatalogueThreat(FrozenModel):
    id: str
    category: Category
    title: str
    description: str
    elements: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    mitigations: tuple[Mitigation, ...]

    @property
    def is_stride(self) -> bool:
        return self.category is not Category.PROJECT_HYGIENE


class Catalogue(FrozenModel):
    api_version: Literal["capsa.dev/v1alpha1"]
    kind: Literal["ThreatCatalogue"]
    source: str = ""
    threats: tuple[CatalogueThreat, ...]

    def threat(self, threat_id: str) -> CatalogueThreat | None:
        return next((t for t in self.threats if t.id == threat_id), None)

    def mitigation(self, mitigation_id: str) -> tuple[CatalogueThreat, Mitigation] | None:
        for threat in self.threats:
            for mitigation in threat.mitigations:
                if mitigation.id == mitigation_id:
                    return threat, mitigation
        return None


def _read(ref: str) -> tuple[str, str]:
    if ref == BUILTIN_CATALOGUE:
        data = resources.files("capsa.threats") / "data" / "catalogue.yaml"
        return "capsa/threats/data/catalogue.yaml", data.read_text("utf-8")
    try:
        return ref, Path(ref).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(ref, None, None, f"cannot read catalogue: {exc}")]) from None


def _parse(path: str, text: str) -> LineDict:
    try:
        doc = load_one_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise InputError([Problem(path, line, None, f"YAML syntax error: {exc.problem}")]) from None
    if not isinstance(doc, LineDict):
        raise InputError([Problem(path, 1, 1, "a catalogue must be a YAML mapping")])
    return doc


def _schema_problems(path: str, doc: LineDict, error: ValidationError) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = tuple(err["loc"])
        finder = key_position_of if err["type"] == "extra_forbidden" else position_of
        line, col = finder(doc, loc) or (None, None)
        problems.append(Problem(path, line, col, f"{'.'.join(map(str, loc))}: {err['msg']}"))
    return problems


def _reference_problems(
    path: str, doc: LineDict, catalogue: Catalogue, model: SystemModel
) -> list[Problem]:
    known = {
        "elements": {e.id for e in model.elements},
        "flows": {f.id for f in model.data_flows},
        "assets": {a.id for a in model.assets},
    }
    noun = {"elements": "element", "flows": "data flow", "assets": "asset"}
    problems: list[Problem] = []
    seen_threats: set[str] = set()
    seen_mitigations: set[str] = set()
    for t_index, threat in enumerate(catalogue.threats):
        if threat.id in seen_threats:
            line, col = position_of(doc, ("threats", t_index, "id")) or (None, None)
            problems.append(Problem(path, line, col, f"duplicate threat id {threat.id!r}"))
        seen_threats.add(threat.id)
        for field, ids in (
            ("elements", threat.elements),
            ("flows", threat.flows),
            ("assets", threat.assets),
        ):
            for i_index, item in enumerate(ids):
                if item not in known[field]:
                    line, col = position_of(doc, ("threats", t_index, field, i_index)) or (
                        None,
                        None,
                    )
                    problems.append(
                        Problem(
                            path, line, col, f"{threat.id}: model has no {noun[field]} {item!r}"
                        )
                    )
        for m_index, mitigation in enumerate(threat.mitigations):
            if mitigation.id in seen_mitigations or not mitigation.id.startswith(f"{threat.id}.M"):
                line, col = position_of(
                    doc, ("threats", t_index, "mitigations", m_index, "id")
                ) or (None, None)
                why = (
                    "duplicate"
                    if mitigation.id in seen_mitigations
                    else "must start with the threat id and .M"
                )
                problems.append(Problem(path, line, col, f"mitigation id {mitigation.id!r}: {why}"))
            seen_mitigations.add(mitigation.id)
    return problems


def load_catalogue(model: SystemModel, ref: str = BUILTIN_CATALOGUE) -> Catalogue:
    """Load a catalogue and verify every id it names exists in `model`; raise InputError if not."""
    path, text = _read(ref)
    doc = _parse(path, text)
    try:
        catalogue = Catalogue.model_validate(doc)
    except ValidationError as exc:
        raise InputError(_schema_problems(path, doc, exc)) from None
    problems = _reference_problems(path, doc, catalogue, model)
    if problems:
        raise InputError(problems)
    return catalogue


CheckLink = tuple[str, str, Iterable[str]]


def attach_checks(catalogue: Catalogue, checks: Iterable[CheckLink]) -> Catalogue:
    """Return a catalogue whose mitigations list the checks that evidence them.

    Each link is (check id, mitigation id, threat ids). A link naming a mitigation or a
    threat the catalogue lacks is an error: a check must not evidence nothing.
    """
    by_mitigation: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for check_id, mitigation_id, threat_ids in checks:
        if catalogue.mitigation(mitigation_id) is None:
            problems.append(
                Problem(check_id, None, None, f"unknown mitigation id {mitigation_id!r}")
            )
        for threat_id in threat_ids:
            if catalogue.threat(threat_id) is None:
                problems.append(Problem(check_id, None, None, f"unknown threat id {threat_id!r}"))
        names = by_mitigation.setdefault(mitigation_id, [])
        if check_id not in names:
            names.append(check_id)
    if problems:
        raise InputError(problems)
    threats = []
    for threat in catalogue.threats:
        mitigations = tuple(
            m.model_copy(
                update={"checks": tuple(sorted({*m.checks, *by_mitigation.get(m.id, [])}))}
            )
            for m in threat.mitigations
        )
        threats.append(threat.model_copy(update={"mitigations": mitigations}))
    return catalogue.model_copy(update={"threats": tuple(threats)})


def plain_catalogue(catalogue: Catalogue) -> dict[str, Any]:
    """The catalogue as JSON-ready data (camelCase keys)."""
    return catalogue.model_dump(mode="json", by_alias=True)
