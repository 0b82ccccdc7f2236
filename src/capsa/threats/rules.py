"""Generic STRIDE rules, read from data and compiled once.

A rule is data so reviewers can read and extend it without touching the engine; the
loader rejects unknown placeholders and expressions that do not compile, with file:line.
Each rule carries `examples`: tiny models on which it fires (`fail`) and stays silent
(`pass`), run by the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from capsa.datafile import DataFile, Entry, Examples
from capsa.frozen import FrozenModel
from capsa.model.types import Boundary, DataAsset, DataFlow, Element, Metadata, SystemModel
from capsa.model.validate import integrity_problems
from capsa.threats.catalogue import Category
from capsa.threats.cel_text import Guard, guard
from capsa.threats.subjects import LISTS, VARIABLES, AppliesTo, placeholders

BUILTIN_RULES = "builtin:rules"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NOT_A_MAPPING = "a rules file must be a YAML mapping with apiVersion, kind and rules"


Level = Literal["low", "medium", "high", "critical"]
AssetImpact = Literal["asset", "asset-integrity", "asset-availability"]


class RuleExample(FrozenModel):
    """A tiny system (in the model file's own format) and the element, flow, asset or
    boundary id the rule is about in it."""

    subject: str
    boundaries: tuple[Boundary, ...] = ()
    elements: tuple[Element, ...] = ()
    assets: tuple[DataAsset, ...] = ()
    data_flows: tuple[DataFlow, ...] = ()

    def model(self) -> SystemModel:
        return SystemModel(
            api_version="capsa.dev/v1alpha1",
            kind="SystemModel",
            metadata=Metadata(name=f"example for {self.subject}"),
            boundaries=list(self.boundaries),
            elements=list(self.elements),
            assets=list(self.assets),
            data_flows=list(self.data_flows),
        )


class RuleSpec(FrozenModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    categories: tuple[Category, ...] = Field(min_length=1)
    applies_to: AppliesTo
    title: str
    rationale: str = Field(min_length=1, description="why this is a threat, for any system")
    applicable: str
    mitigated_when: str = "false"
    likelihood: Literal["low", "medium", "high"]
    impact: Level | AssetImpact
    why: str
    affects: tuple[str, ...] = Field(
        default=(), description="names of the subject's id lists the threat is about"
    )
    mitigations: tuple[str, ...] = ()
    examples: Examples[RuleExample] = Examples[RuleExample]()


class RuleFile(FrozenModel):
    api_version: Literal["capsa.dev/v1alpha1"]
    kind: Literal["ThreatRules"]
    rules: tuple[RuleSpec, ...]


@dataclass(frozen=True)
class CompiledRule:
    """A rule plus its compiled expressions."""

    spec: RuleSpec
    applicable: Any
    mitigated_when: Any
    location: str
    environment: Any = None  # the CelEnvironment that compiled both expressions
    guard: Guard | None = None  # a Python check of `applicable`'s simple first part

    @property
    def placeholders(self) -> frozenset[str]:
        """The facts its title and reason name."""
        return frozenset(PLACEHOLDER.findall(self.spec.title + " " + self.spec.why))


def _rules_file(ref: str) -> DataFile:
    if ref == BUILTIN_RULES:
        return DataFile.builtin("capsa.threats", "data", "rules.yaml", what=_NOT_A_MAPPING)
    return DataFile.load(ref, what=_NOT_A_MAPPING, noun="rules")


def _check_texts(file: DataFile, entry: Entry[RuleSpec]) -> None:
    spec = entry.value
    allowed = placeholders(spec.applies_to)
    for field in ("title", "why"):
        for name in PLACEHOLDER.findall(getattr(spec, field)):
            if name not in allowed:
                file.report(
                    (*entry.loc, field),
                    f"rule {spec.id}: unknown placeholder {{{name}}}; use one of {sorted(allowed)}",
                )
    lists = LISTS[spec.applies_to]
    for name in spec.affects:
        if name not in lists:
            file.report(
                (*entry.loc, "affects"),
                f"rule {spec.id}: affects names {name!r}, which a {spec.applies_to.value} "
                f"subject does not have; use some of {list(lists)}",
            )


def _check_examples(file: DataFile, entry: Entry[RuleSpec]) -> None:
    """Each example is a valid model that has the subject the rule is about."""
    spec = entry.value
    for verdict, examples in spec.examples.by_verdict():
        for index, example in enumerate(examples):
            loc = (*entry.loc, "examples", verdict, index)
            model = example.model()
            file.problems.extend(integrity_problems(model, file.path, file.get(loc)))
            if spec.applies_to is AppliesTo.ASSET_PLACEMENT:
                ids = {a.id for a in model.assets}
            elif spec.applies_to is AppliesTo.ELEMENT:
                ids = {e.id for e in model.elements}
            elif spec.applies_to is AppliesTo.BOUNDARY:
                ids = {b.id for b in model.boundaries}
            else:
                ids = {f.id for f in model.data_flows}
            if example.subject not in ids:
                file.report(
                    (*loc, "subject"),
                    f"rule {spec.id}: example subject {example.subject!r} is not a "
                    f"{spec.applies_to.value} subject of the example model",
                )


def load_rules(ref: str = BUILTIN_RULES) -> list[CompiledRule]:
    """Read, validate and compile rules; raise InputError listing every problem."""
    from capsa.cel import CelEnvironment, CelError

    file = _rules_file(ref)
    entries = file.entries(RuleSpec, ("rules",))
    file.validate(RuleFile, file.with_entries({"rules": entries}))
    file.unique(entries, "rule id")
    environments = {kind: CelEnvironment(names) for kind, names in VARIABLES.items()}
    compiled: list[CompiledRule] = []
    for entry in entries:
        spec = entry.value
        _check_texts(file, entry)
        _check_examples(file, entry)
        programs = []
        for field, key in (("applicable", "applicable"), ("mitigated_when", "mitigatedWhen")):
            try:
                programs.append(environments[spec.applies_to].compile(getattr(spec, field)))
            except CelError as exc:
                file.report((*entry.loc, key), f"rule {spec.id}: {exc}")
        if len(programs) == 2:
            line, _ = file.position(entry.loc)
            compiled.append(
                CompiledRule(
                    spec,
                    programs[0],
                    programs[1],
                    f"{file.path}:{line}",
                    environments[spec.applies_to],
                    guard(spec.applicable),
                )
            )
    file.raise_problems()
    return compiled
