"""The assessment's threat catalogue: loaded from data, checked against a model.

The parsed catalogue is the one place capsa knows threat and mitigation ids: checks, live
checks and techniques are validated against it when they load (`CatalogueIds`). A
catalogue entry names model ids; a typo there would silently detach a threat from the
system it is about, so loading against a model refuses any id the model does not define
(file:line).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from capsa.datafile import DataFile, Entry, Loc
from capsa.errors import InputError, Problem
from capsa.frozen import FrozenModel

if TYPE_CHECKING:
    from capsa.model.types import SystemModel

BUILTIN_CATALOGUE = "builtin:catalogue"
_NOT_A_MAPPING = "a catalogue must be a YAML mapping with apiVersion, kind and threats"


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


class Carrier(StrEnum):
    """Who can put a mitigation in place: the operator of a deployment (manifests, the
    management cluster, the cloud account), the Cluster API project (build, release,
    repository governance), or the cloud platform underneath (IAM, service endpoints)."""

    DEPLOYMENT = "deployment"
    PROJECT = "project"
    PLATFORM = "platform"


class Mitigation(FrozenModel):
    """One recommended mitigation. `same_as` names the mitigation of another threat that
    recommends the same control (the assessment repeats, e.g., "enforce Pod Security"
    under four threats): evidence for one is evidence for the other."""

    id: str
    text: str
    upstream_status: UpstreamStatus
    status_in2022: str = Field(alias="statusIn2022")
    status_note: str = ""
    carrier: Carrier = Carrier.DEPLOYMENT
    same_as: str | None = None
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

    def same_control(self) -> dict[str, frozenset[str]]:
        """Mitigation id -> every mitigation id recommending the same control (itself
        included): the group of its `sameAs` target."""
        canonical = {m.id: m.same_as or m.id for t in self.threats for m in t.mitigations}
        groups: dict[str, set[str]] = {}
        for mitigation_id, root in canonical.items():
            groups.setdefault(root, set()).add(mitigation_id)
        return {m: frozenset(groups[root]) for m, root in canonical.items()}


@dataclass(frozen=True)
class CatalogueIds:
    """The threat ids of a catalogue and, per mitigation id, the threat it belongs to.

    Data that names threats or mitigations reports the ids it gets wrong through
    `check_threats` and `check_mitigation`, at the line where each is written."""

    threats: frozenset[str]
    mitigations: dict[str, str]

    @classmethod
    def of(cls, catalogue: Catalogue) -> CatalogueIds:
        return cls(
            frozenset(t.id for t in catalogue.threats),
            {m.id: t.id for t in catalogue.threats for m in t.mitigations},
        )

    def check_threats(self, file: DataFile, at: Loc, threats: Sequence[str], owner: str) -> None:
        """Report each of `threats` (the list written at `at`) the catalogue lacks."""
        for index, threat in enumerate(threats):
            if threat not in self.threats:
                file.report((*at, index), f"{owner}: unknown threat id {threat!r}")

    def check_mitigation(
        self,
        file: DataFile,
        at: Loc,
        mitigation: str,
        owner: str,
        threats: Sequence[str] | None = None,
    ) -> None:
        """Report `mitigation` (written at `at`) when the catalogue lacks it or, given the
        entry's `threats`, when the threat it mitigates is not among them."""
        threat = self.mitigations.get(mitigation)
        if threat is None:
            file.report(at, f"{owner}: unknown mitigation id {mitigation!r}")
        elif threats is not None and threat not in threats:
            file.report(
                at,
                f"{owner}: mitigation {mitigation} is not under one of {tuple(threats)}; "
                f"it mitigates {threat}",
            )


def _catalogue_file(ref: str) -> DataFile:
    if ref == BUILTIN_CATALOGUE:
        return DataFile.builtin("capsa.threats", "data", "catalogue.yaml", what=_NOT_A_MAPPING)
    return DataFile.load(ref, what=_NOT_A_MAPPING, noun="catalogue")


def _parse(ref: str) -> tuple[DataFile, Catalogue | None, list[Entry[CatalogueThreat]]]:
    """The catalogue file, its typed value (None when its schema is broken) and entries;
    problems independent of any model are recorded on the file."""
    file = _catalogue_file(ref)
    entries = file.entries(CatalogueThreat, ("threats",))
    catalogue = file.validate(Catalogue, file.with_entries({"threats": entries}))
    file.unique(entries, "threat id")
    seen: set[str] = set()
    for entry in entries:
        threat = entry.value
        for index, mitigation in enumerate(threat.mitigations):
            why = (
                "duplicate"
                if mitigation.id in seen
                else "must start with the threat id and .M"
                if not mitigation.id.startswith(f"{threat.id}.M")
                else ""
            )
            if why:
                file.report(
                    (*entry.loc, "mitigations", index, "id"),
                    f"mitigation id {mitigation.id!r}: {why}",
                )
            seen.add(mitigation.id)
    _check_same_as(file, entries)
    return file, catalogue, entries


def _check_same_as(file: DataFile, entries: Sequence[Entry[CatalogueThreat]]) -> None:
    """`sameAs` must name another mitigation of the catalogue that names none itself, so
    every group of equal controls has one root."""
    declared = {m.id: m.same_as for e in entries for m in e.value.mitigations}
    for entry in entries:
        for index, mitigation in enumerate(entry.value.mitigations):
            target = mitigation.same_as
            if target is None:
                continue
            why = (
                "names itself"
                if target == mitigation.id
                else f"unknown mitigation {target!r}"
                if target not in declared
                else f"{target} names {declared[target]} itself; name that one"
                if declared[target] is not None
                else ""
            )
            if why:
                file.report(
                    (*entry.loc, "mitigations", index, "sameAs"),
                    f"{mitigation.id}: sameAs {why}",
                )


@cache
def _parsed_builtin() -> tuple[DataFile, Catalogue | None, list[Entry[CatalogueThreat]]]:
    return _parse(BUILTIN_CATALOGUE)


def _parsed(ref: str) -> tuple[DataFile, Catalogue | None, list[Entry[CatalogueThreat]]]:
    """`_parse`, done once per process for the shipped catalogue (the file handed back
    is a copy, so problems added to it stay with the caller)."""
    if ref != BUILTIN_CATALOGUE:
        return _parse(ref)
    file, catalogue, entries = _parsed_builtin()
    return replace(file, problems=list(file.problems)), catalogue, entries


def builtin_catalogue() -> Catalogue:
    """The shipped catalogue, parsed once per process (without a model to check against)."""
    file, catalogue, _ = _parsed(BUILTIN_CATALOGUE)
    file.raise_problems()
    assert catalogue is not None
    return catalogue


@cache
def builtin_ids() -> CatalogueIds:
    """Threat and mitigation ids of the shipped catalogue: what data files may name."""
    return CatalogueIds.of(builtin_catalogue())


def _model_references(
    file: DataFile, entries: Iterable[Entry[CatalogueThreat]], model: SystemModel
) -> None:
    known = {
        "elements": {e.id for e in model.elements},
        "flows": {f.id for f in model.data_flows},
        "assets": {a.id for a in model.assets},
    }
    noun = {"elements": "element", "flows": "data flow", "assets": "asset"}
    for entry in entries:
        threat = entry.value
        for field in ("elements", "flows", "assets"):
            for index, item in enumerate(getattr(threat, field)):
                if item not in known[field]:
                    file.report(
                        (*entry.loc, field, index),
                        f"{threat.id}: model has no {noun[field]} {item!r}",
                    )


def load_catalogue(model: SystemModel, ref: str = BUILTIN_CATALOGUE) -> Catalogue:
    """Load a catalogue and verify every id it names exists in `model`; raise InputError if not."""
    file, catalogue, entries = _parsed(ref)
    _model_references(file, entries, model)
    file.raise_problems()
    assert catalogue is not None
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
