"""Generic STRIDE rules, read from data and compiled once.

A rule is data so reviewers can read and extend it without touching the engine; the
loader rejects unknown placeholders and expressions that do not compile, with file:line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from capsa.errors import InputError, Problem
from capsa.frozen import FrozenModel
from capsa.threats.catalogue import Category
from capsa.yamlio import LineDict, key_position_of, load_one_with_lines, position_of

BUILTIN_RULES = "builtin:rules"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class AppliesTo(StrEnum):
    ELEMENT = "element"
    FLOW = "flow"
    CROSSING = "crossing"
    ASSET_PLACEMENT = "asset-placement"


Level = Literal["low", "medium", "high", "critical"]

VARIABLES: dict[AppliesTo, tuple[str, ...]] = {
    AppliesTo.ELEMENT: ("element",),
    AppliesTo.FLOW: ("flow", "source", "target"),
    AppliesTo.CROSSING: ("flow", "source", "target"),
    AppliesTo.ASSET_PLACEMENT: ("asset", "placement"),
}

PLACEHOLDERS: dict[AppliesTo, frozenset[str]] = {
    AppliesTo.ELEMENT: frozenset({"element", "targets", "stored"}),
    AppliesTo.FLOW: frozenset({"flow", "source", "target", "assets", "crossings"}),
    AppliesTo.CROSSING: frozenset({"flow", "source", "target", "assets", "crossings"}),
    AppliesTo.ASSET_PLACEMENT: frozenset(
        {"asset", "holders", "reachers", "grants", "lifetime", "via"}
    ),
}


class RuleSpec(FrozenModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    categories: tuple[Category, ...] = Field(min_length=1)
    applies_to: AppliesTo
    title: str
    applicable: str
    mitigated_when: str = "false"
    likelihood: Literal["low", "medium", "high"]
    impact: Level | Literal["asset"]
    why: str
    mitigations: tuple[str, ...] = ()


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


def rules_text(ref: str = BUILTIN_RULES) -> tuple[str, str]:
    """(display path, text) of a rules file or the built-in rules."""
    if ref == BUILTIN_RULES:
        data = resources.files("capsa.threats") / "data" / "rules.yaml"
        return "capsa/threats/data/rules.yaml", data.read_text("utf-8")
    try:
        return ref, Path(ref).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(ref, None, None, f"cannot read rules: {exc}")]) from None


def _problem(path: str, doc: Any, loc: tuple[int | str, ...], message: str) -> Problem:
    line, col = position_of(doc, loc) or (None, None)
    return Problem(path, line, col, message)


def load_rules(ref: str = BUILTIN_RULES) -> list[CompiledRule]:
    """Read, validate and compile rules; raise InputError listing every problem."""
    from capsa.cel import CelEnvironment, CelError

    path, text = rules_text(ref)
    try:
        doc = load_one_with_lines(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(path, None, None, f"YAML error: {exc}")]) from None
    if not isinstance(doc, LineDict):
        raise InputError([Problem(path, 1, 1, "a rules file must be a YAML mapping")])
    try:
        parsed = RuleFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            finder = key_position_of if err["type"] == "extra_forbidden" else position_of
            line, col = finder(doc, loc) or (None, None)
            problems.append(Problem(path, line, col, f"{'.'.join(map(str, loc))}: {err['msg']}"))
        raise InputError(problems) from None
    environments = {kind: CelEnvironment(names) for kind, names in VARIABLES.items()}
    problems = []
    compiled: list[CompiledRule] = []
    seen: set[str] = set()
    for index, spec in enumerate(parsed.rules):
        if spec.id in seen:
            problems.append(
                _problem(path, doc, ("rules", index, "id"), f"duplicate rule id {spec.id!r}")
            )
        seen.add(spec.id)
        allowed = PLACEHOLDERS[spec.applies_to]
        for field in ("title", "why"):
            for name in PLACEHOLDER.findall(getattr(spec, field)):
                if name not in allowed:
                    problems.append(
                        _problem(
                            path,
                            doc,
                            ("rules", index, field),
                            f"rule {spec.id}: unknown placeholder {{{name}}}; use one of {sorted(allowed)}",
                        )
                    )
        programs = []
        for field, key in (("applicable", "applicable"), ("mitigated_when", "mitigatedWhen")):
            try:
                programs.append(environments[spec.applies_to].compile(getattr(spec, field)))
            except CelError as exc:
                problems.append(
                    _problem(path, doc, ("rules", index, key), f"rule {spec.id}: {exc}")
                )
        if len(programs) == 2:
            line, _ = position_of(doc, ("rules", index)) or (None, None)
            compiled.append(CompiledRule(spec, programs[0], programs[1], f"{path}:{line}"))
    if problems:
        raise InputError(problems)
    return compiled
