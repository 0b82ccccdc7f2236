"""Apply generic rules to a model and produce threats, each saying why it applies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from capsa.errors import InputError, Problem
from capsa.model.types import SystemModel
from capsa.threats.relations import SENSITIVITY_RANK, Relations
from capsa.threats.rules import PLACEHOLDER, AppliesTo, CompiledRule, RuleExample

LIKELIHOOD = {"low": 1, "medium": 2, "high": 3}
IMPACT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# sensitivity rank (1..5) → impact (1..4)
IMPACT_OF_SENSITIVITY = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}


def severity(likelihood: int, impact: int) -> str:
    """Severity from likelihood (1-3) × impact (1-4)."""
    score = likelihood * impact
    if score >= 9:
        return "critical"
    if score >= 6:
        return "high"
    if score >= 3:
        return "medium"
    return "low"


@dataclass(frozen=True)
class Mitigation:
    id: str
    text: str


@dataclass(frozen=True)
class GeneratedThreat:
    """One rule applied to one subject (element, flow or asset)."""

    id: str
    rule: str
    category: str
    categories: tuple[str, ...]
    title: str
    subject: str
    elements: tuple[str, ...]
    flows: tuple[str, ...]
    assets: tuple[str, ...]
    likelihood: str
    impact: str
    severity: str
    why: str
    mitigated: bool
    mitigations: tuple[Mitigation, ...]


def _names(relations: Relations, ids: Iterable[str]) -> str:
    names = [relations.name(i) for i in ids]
    return ", ".join(names) if names else "nothing"


def _fill(template: str, facts: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), template)


@dataclass(frozen=True)
class _Subject:
    id: str
    bindings: dict[str, Any]
    facts: dict[str, str]
    elements: tuple[str, ...]
    flows: tuple[str, ...]
    assets: tuple[str, ...]


def _element_subjects(relations: Relations) -> list[_Subject]:
    out = []
    for element in relations.model.elements:
        flows_out = relations.flows_out.get(element.id, [])
        targets = list(dict.fromkeys(f.target for f in flows_out))
        stored = element.attributes.stores
        out.append(
            _Subject(
                element.id,
                {"element": relations.element_view(element.id)},
                {
                    "element": element.name,
                    "targets": _names(relations, targets),
                    "stored": ", ".join(
                        relations.index.assets[a].name
                        for a in stored
                        if a in relations.index.assets
                    )
                    or "nothing",
                },
                (element.id, *[t for t in targets if t != element.id]),
                tuple(f.id for f in flows_out),
                tuple(stored),
            )
        )
    return out


def _flow_subjects(relations: Relations, crossing_only: bool) -> list[_Subject]:
    out = []
    for flow in relations.model.data_flows:
        crossed = relations.crossings[flow.id]
        if crossing_only and not crossed:
            continue
        if (
            flow.source not in relations.index.elements
            or flow.target not in relations.index.elements
        ):
            continue
        out.append(
            _Subject(
                flow.id,
                {
                    "flow": relations.flow_view(flow),
                    "source": relations.element_view(flow.source),
                    "target": relations.element_view(flow.target),
                },
                {
                    "flow": flow.label
                    or f"{relations.name(flow.source)} → {relations.name(flow.target)}",
                    "source": relations.name(flow.source),
                    "target": relations.name(flow.target),
                    "assets": ", ".join(
                        relations.index.assets[a].name
                        for a in flow.carries
                        if a in relations.index.assets
                    )
                    or "no declared assets",
                    "crossings": ", ".join(relations.index.boundaries[b].name for b in crossed)
                    or "no boundary",
                },
                tuple(dict.fromkeys((flow.source, flow.target))),
                (flow.id,),
                tuple(flow.carries),
            )
        )
    return out


def _asset_subjects(relations: Relations) -> list[_Subject]:
    out = []
    for asset in relations.model.assets:
        holders = relations.placements[asset.id]
        reachers = relations.asset_reachers[asset.id]
        grants = [g for g in asset.grants if g in relations.index.elements]
        out.append(
            _Subject(
                asset.id,
                {
                    "asset": relations.asset_view(asset),
                    "placement": relations.placement_view(asset),
                },
                {
                    "asset": asset.name,
                    "holders": _names(relations, holders),
                    "reachers": _names(relations, reachers),
                    "grants": _names(relations, grants),
                    "lifetime": asset.lifetime.value,
                    "via": _names(relations, relations.asset_via[asset.id]),
                },
                tuple(dict.fromkeys((*reachers, *relations.asset_via[asset.id], *grants))),
                (),
                (asset.id,),
            )
        )
    return out


def _impact(rule: CompiledRule, relations: Relations, subject: _Subject) -> tuple[str, int]:
    if rule.spec.impact != "asset":
        return rule.spec.impact, IMPACT[rule.spec.impact]
    ranks = [
        SENSITIVITY_RANK[relations.index.assets[a].sensitivity.value]
        for a in subject.assets
        if a in relations.index.assets
    ]
    value = IMPACT_OF_SENSITIVITY[max(ranks, default=1)]
    return next(k for k, v in IMPACT.items() if v == value), value


def _evaluate(rule: CompiledRule, program: Any, subject: _Subject) -> bool:
    from capsa.cel import CelError

    try:
        result = program.evaluate(subject.bindings)
    except CelError as exc:
        raise InputError(
            [Problem(rule.location, None, None, f"rule {rule.spec.id} on {subject.id}: {exc}")]
        ) from None
    if not isinstance(result, bool):
        raise InputError(
            [
                Problem(
                    rule.location,
                    None,
                    None,
                    f"rule {rule.spec.id} must yield a boolean, got {result!r}",
                )
            ]
        )
    return result


def generate(
    model: SystemModel, rules: Sequence[CompiledRule], relations: Relations | None = None
) -> list[GeneratedThreat]:
    """Every threat the rules derive from the model, in rule then subject order."""
    relations = relations or Relations(model)
    subjects: dict[AppliesTo, list[_Subject]] = {}
    threats: list[GeneratedThreat] = []
    for rule in rules:
        kind = rule.spec.applies_to
        if kind not in subjects:
            if kind is AppliesTo.ELEMENT:
                subjects[kind] = _element_subjects(relations)
            elif kind is AppliesTo.ASSET_PLACEMENT:
                subjects[kind] = _asset_subjects(relations)
            else:
                subjects[kind] = _flow_subjects(relations, crossing_only=kind is AppliesTo.CROSSING)
        for subject in subjects[kind]:
            if not _evaluate(rule, rule.applicable, subject):
                continue
            impact_name, impact = _impact(rule, relations, subject)
            likelihood = LIKELIHOOD[rule.spec.likelihood]
            categories = tuple(c.value for c in rule.spec.categories)
            threats.append(
                GeneratedThreat(
                    id=f"{rule.spec.id}@{subject.id}",
                    rule=rule.spec.id,
                    category=categories[0],
                    categories=categories,
                    title=_fill(rule.spec.title, subject.facts),
                    subject=subject.id,
                    elements=subject.elements,
                    flows=subject.flows,
                    assets=subject.assets,
                    likelihood=rule.spec.likelihood,
                    impact=impact_name,
                    severity=severity(likelihood, impact),
                    why=_fill(rule.spec.why, subject.facts),
                    mitigated=_evaluate(rule, rule.mitigated_when, subject),
                    mitigations=tuple(
                        Mitigation(f"{rule.spec.id}.M{k}", text)
                        for k, text in enumerate(rule.spec.mitigations, start=1)
                    ),
                )
            )
    return threats


def example_fires(rule: CompiledRule, example: RuleExample) -> bool:
    """Whether `rule` derives a threat about the example's subject from its tiny model."""
    return any(t.subject == example.subject for t in generate(example.model(), [rule]))
