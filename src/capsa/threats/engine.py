"""Apply generic rules to a model and produce threats, each saying why it applies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from capsa.errors import InputError, Problem
from capsa.model.types import SystemModel
from capsa.threats.relations import SENSITIVITY_RANK, Relations
from capsa.threats.rules import PLACEHOLDER, CompiledRule, RuleExample
from capsa.threats.subjects import DEFAULT_AFFECTS, AppliesTo, Subject, subjects_of

LIKELIHOOD = {"low": 1, "medium": 2, "high": 3}
IMPACT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# sensitivity rank (1..5) → impact (1..4)
IMPACT_OF_SENSITIVITY = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
RATING_IMPACT = {"low": 1, "medium": 2, "high": 3, "critical": 4}


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
    affected: tuple[str, ...]
    likelihood: str
    impact: str
    severity: str
    why: str
    mitigated: bool
    mitigations: tuple[Mitigation, ...]


def _fill(template: str, facts: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), template)


def _impact(rule: CompiledRule, relations: Relations, subject: Subject) -> tuple[str, int]:
    """The rule's impact, or from the assets involved: confidentiality for "asset", the
    integrity or availability rating for "asset-integrity" / "asset-availability" (falling
    back to confidentiality when no asset is rated)."""
    spec = rule.spec.impact
    if spec not in ("asset", "asset-integrity", "asset-availability"):
        return spec, IMPACT[spec]
    assets = [relations.index.assets[a] for a in subject.assets if a in relations.index.assets]
    value = 0
    if spec == "asset-integrity":
        value = max((RATING_IMPACT[a.integrity.value] for a in assets if a.integrity), default=0)
    elif spec == "asset-availability":
        value = max(
            (RATING_IMPACT[a.availability.value] for a in assets if a.availability), default=0
        )
    if value == 0:
        ranks = [SENSITIVITY_RANK[a.sensitivity.value] for a in assets]
        value = IMPACT_OF_SENSITIVITY[max(ranks, default=1)]
    return next(k for k, v in IMPACT.items() if v == value), value


def _evaluate(rule: CompiledRule, program: Any, subject: Subject, activation: Any = None) -> bool:
    from capsa.cel import CelError

    try:
        result = program.evaluate(subject.bindings, activation)
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


def affected_ids(rule: CompiledRule, subject: Subject) -> tuple[str, ...]:
    """The ids a threat is about: the lists its rule names in `affects`, in order."""
    names = rule.spec.affects or DEFAULT_AFFECTS[subject.kind]
    return tuple(dict.fromkeys(i for name in names for i in subject.lists.get(name, ())))


def involved_elements(
    rule: CompiledRule, relations: Relations, subject: Subject, affected: tuple[str, ...]
) -> tuple[str, ...]:
    """The subject's elements, those the threat is about, and every element its title and
    reason name (holders, impersonators, the compromised): a reader filtering threats by
    element must find each threat whose text names that element."""
    texts = PLACEHOLDER.findall(f"{rule.spec.title} {rule.spec.why}")
    named = (i for name in dict.fromkeys(texts) for i in subject.lists.get(name, ()))
    known = relations.index.elements
    return tuple(
        dict.fromkeys((*subject.elements, *(i for i in (*affected, *named) if i in known)))
    )


def _threat(
    rule: CompiledRule, relations: Relations, subject: Subject, activation: Any = None
) -> GeneratedThreat:
    impact_name, impact = _impact(rule, relations, subject)
    likelihood = LIKELIHOOD[rule.spec.likelihood]
    categories = tuple(c.value for c in rule.spec.categories)
    facts = subject.facts(relations, rule.placeholders)
    affected = affected_ids(rule, subject)
    involved = involved_elements(rule, relations, subject, affected)
    return GeneratedThreat(
        id=f"{rule.spec.id}@{subject.id}",
        rule=rule.spec.id,
        category=categories[0],
        categories=categories,
        title=_fill(rule.spec.title, facts),
        subject=subject.id,
        elements=involved,
        flows=tuple(
            dict.fromkeys(
                (*subject.flows, *(i for i in affected if i in relations.index.data_flows))
            )
        ),
        assets=subject.assets,
        affected=affected,
        likelihood=rule.spec.likelihood,
        impact=impact_name,
        severity=severity(likelihood, impact),
        why=_fill(rule.spec.why, facts),
        mitigated=_evaluate(rule, rule.mitigated_when, subject, activation),
        mitigations=tuple(
            Mitigation(f"{rule.spec.id}.M{k}", text)
            for k, text in enumerate(rule.spec.mitigations, start=1)
        ),
    )


def generate(
    model: SystemModel, rules: Sequence[CompiledRule], relations: Relations | None = None
) -> list[GeneratedThreat]:
    """Every threat the rules derive from the model, in rule then subject order.

    Rules are evaluated subject by subject, so each subject's bindings are converted for
    CEL once for all the rules of its kind."""
    relations = relations or Relations(model)
    by_rule: dict[int, list[GeneratedThreat]] = {i: [] for i in range(len(rules))}
    kinds: dict[AppliesTo, list[int]] = {}
    for position, rule in enumerate(rules):
        kinds.setdefault(rule.spec.applies_to, []).append(position)
    for kind, positions in kinds.items():
        for subject in subjects_of(relations, kind):
            activations: dict[int, Any] = {}
            for position in positions:
                rule = rules[position]
                if rule.guard is not None and not rule.guard(subject.bindings):
                    continue  # its first condition fails: CEL would say false
                env = rule.environment
                if env is not None and id(env) not in activations:
                    activations[id(env)] = _activation(rule, env, subject)
                activation = activations.get(id(env)) if env is not None else None
                if _evaluate(rule, rule.applicable, subject, activation):
                    by_rule[position].append(_threat(rule, relations, subject, activation))
    return [t for position in range(len(rules)) for t in by_rule[position]]


def _activation(rule: CompiledRule, environment: Any, subject: Subject) -> Any:
    from capsa.cel import CelError

    try:
        return environment.activation(subject.bindings)
    except CelError as exc:
        raise InputError(
            [Problem(rule.location, None, None, f"rule {rule.spec.id} on {subject.id}: {exc}")]
        ) from None


def example_fires(rule: CompiledRule, example: RuleExample) -> bool:
    """Whether `rule` derives a threat about the example's subject from its tiny model."""
    return any(t.subject == example.subject for t in generate(example.model(), [rule]))
