"""Run a check's inline examples the way `capsa scan` runs checks: the example's objects
become Resources, the Cluster API topology is resolved over them, and the engine
evaluates the check with the context that topology gives.

An example labelled `fail` behaves as labelled when the check raises at least one
finding, and exactly on the objects its `fires` names when it names some; one labelled
`pass` when it raises none and its outcome is the one it `expect`s: a pass on explicit
settings (the default expectation), a pass by default, not applicable, or unknown. The
engine must report no problem, and no unknown outcome unless that is what the example
expects. A `pass` example usually shows the check passing on an object; one whose
objects the check does not match shows it staying silent on other kinds, which only a
check that fires on every object it matches needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.model import Check, Example, Outcome
from capsa.sources.redact import empty_placeholders, is_secret
from capsa.sources.resource import Origin, Resource
from capsa.sources.value_facts import with_value_facts

Label = Literal["fail", "pass"]


@dataclass(frozen=True)
class ExampleOutcome:
    """What one example produced, and whether that is what its label promised."""

    check_id: str
    label: Label
    index: int
    note: str
    findings: int
    passes: int
    unknown: tuple[str, ...]
    problems: tuple[str, ...]
    flagged: tuple[str, ...] = ()
    expected: tuple[str, ...] = ()
    by_default: int = 0
    not_applicable: int = 0
    expect: Outcome = "pass"

    @property
    def ran(self) -> bool:
        """Whether the check was evaluated on any of the example's objects."""
        return bool(self.findings or self.passes or self.unknown or self.not_applicable)

    @property
    def outcome(self) -> Outcome | None:
        """The one outcome the example produced (None when its objects gave mixed ones,
        or when the check matched none of them)."""
        counts: tuple[tuple[Outcome, int], ...] = (
            ("fail", self.findings),
            ("pass", self.passes - self.by_default),
            ("pass-by-default", self.by_default),
            ("not-applicable", self.not_applicable),
            ("unknown", len(self.unknown)),
        )
        seen = [outcome for outcome, count in counts if count]
        return seen[0] if len(seen) == 1 else None

    @property
    def as_labelled(self) -> bool:
        if self.problems:
            return False
        if self.label == "fail":
            named = not self.expected or set(self.flagged) == set(self.expected)
            return self.expect == "fail" and self.findings > 0 and not self.unknown and named
        if self.expect == "fail" or self.findings:
            return False
        if not self.ran:
            return self.expect == "pass"  # silent on kinds the check does not match
        return self.outcome == self.expect

    def explain(self) -> str:
        """One line for a test failure: which example, what it promised, what it did."""
        where = f"{self.check_id} examples.{self.label}[{self.index}]"
        note = f" ({self.note})" if self.note else ""
        did = f"{self.findings} finding(s), {self.passes} pass(es)"
        if self.by_default:
            did += f" ({self.by_default} by default)"
        if self.not_applicable:
            did += f", {self.not_applicable} not applicable"
        if self.expected:
            did += f", flagged {sorted(self.flagged)} (expected {sorted(self.expected)})"
        extra = "".join(f"; unknown: {u}" for u in self.unknown)
        extra += "".join(f"; problem: {p}" for p in self.problems)
        promised = self.label if self.label == "fail" else self.expect
        return f"{where}{note}: expected {promised}, got {did}{extra}"


def _resource(document: Mapping[str, Any], origin: Origin) -> Resource:
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    namespace = metadata.get("namespace")
    read = Resource(
        api_version=str(document.get("apiVersion", "")),
        kind=str(document.get("kind", "")),
        namespace=str(namespace) if namespace is not None else None,
        name=str(metadata.get("name", "")),
        body=dict(document),
        origin=origin,
    )
    found = with_value_facts(read)  # as the sources read ConfigMap/Secret values
    if is_secret(found.body):  # and a Secret's placeholders, as empty
        empty_placeholders(found.body)
    return found


def evaluate_example(check: Check, example: Example, where: str) -> EvaluationResult:
    """The engine's result for `check` over the example's objects (`where` names the
    example in findings and problems)."""
    from capsa.capi.topology import build_topology

    resources = [_resource(doc, Origin(where)) for doc in example.documents]
    topology = build_topology(resources)
    targets = topology.evaluation_resources(resources)
    return evaluate(targets, [check], topology.context_for)


def run_examples(check: Check) -> list[ExampleOutcome]:
    """Every inline example of `check`, run and judged against its label."""
    outcomes: list[ExampleOutcome] = []
    labelled: tuple[tuple[Label, tuple[Example, ...]], ...] = (
        ("fail", check.examples.fail),
        ("pass", check.examples.pass_),
    )
    for label, examples in labelled:
        for index, example in enumerate(examples):
            where = f"{check.id} examples.{label}[{index}]"
            result = evaluate_example(check, example, where)
            outcomes.append(
                ExampleOutcome(
                    check_id=check.id,
                    label=label,
                    index=index,
                    note=example.note,
                    findings=len(result.findings),
                    passes=len(result.passes),
                    unknown=tuple(u.reason or "unknown" for u in result.unknown),
                    problems=tuple(p.message for p in result.problems),
                    flagged=tuple(f"{f.resource.kind}/{f.resource.name}" for f in result.findings),
                    expected=example.fires,
                    by_default=sum(1 for p in result.passes if p.by_default),
                    not_applicable=len(result.not_applicable),
                    expect=example.expect or label,
                )
            )
    return outcomes
