"""Run checks over resources: each document is converted to plain data once, every check
that matches its kind runs against it, and each outcome is a finding, a pass or unknown.

Outcomes:
- `appliesWhen` is false → "not applicable": the thing the check looks at is absent, so
  the result is evidence of nothing (never a pass);
- the expression is true → a pass (evidence that the mitigation holds for that object),
  marked "by default" with the upstream default it rests on when `byDefault.when` holds;
- false → a Finding located at the check's field (or the document when it is absent);
- "unknown" when a field listed in `unknownWhen` is an unresolved variable, when the
  expression reads a field that is not there, or when it fails on a resource that has
  unresolved values. Unknown is never a pass.
Other runtime errors become Problems, reported once per check and file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capsa.checks.findings import (
    CheckResult,
    Finding,
    Location,
    ResourceRef,
    fingerprint,
    shown,
)
from capsa.checks.model import Check, FieldPath
from capsa.checks.program import FAILS, NOT_APPLICABLE, PASSES, PASSES_BY_DEFAULT, compiled
from capsa.errors import Problem
from capsa.sources.resource import Resource
from capsa.yamlio import LineDict, LineList, plain, position_of

if TYPE_CHECKING:
    from capsa.cel import CompiledExpression

ContextFor = Callable[[Resource], Mapping[str, Any]]

_MISSING_FIELD = ("Key not found in map", "No such key", "no such key")


@dataclass
class EvaluationResult:
    """Everything one evaluation produced."""

    findings: list[Finding] = field(default_factory=list)
    passes: list[CheckResult] = field(default_factory=list)
    unknown: list[CheckResult] = field(default_factory=list)
    not_applicable: list[CheckResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _ref(resource: Resource) -> ResourceRef:
    return ResourceRef(resource.api_version, resource.kind, resource.namespace, resource.name)


def _expand(body: Any, path: FieldPath) -> list[tuple[str | int, ...]]:
    """Concrete paths for a pattern whose `*` steps stand for any list item (or map key).
    When a `*` has nothing under it, the container itself is where to point."""
    out: list[tuple[str | int, ...]] = [()]
    for step in path:
        nxt: list[tuple[str | int, ...]] = []
        for prefix in out:
            if step != "*":
                nxt.append((*prefix, step))
                continue
            node = _walk(body, prefix)
            if isinstance(node, list):
                nxt.extend((*prefix, i) for i in range(len(node)))
            elif isinstance(node, dict):
                nxt.extend((*prefix, k) for k in node)
        if not nxt:
            return out
        out = nxt
    return out


_ABSENT = object()


def _walk(body: Any, path: tuple[str | int, ...]) -> Any:
    node = body
    for step in path:
        in_map = isinstance(node, dict) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not (in_map or in_list):
            return _ABSENT
        node = node[step]
    return node


def _depth(body: Any, path: tuple[str | int, ...]) -> int:
    """How many leading steps of `path` exist in `body` (one walk: a prefix exists
    whenever a longer one does)."""
    node = body
    for depth, step in enumerate(path):
        in_map = isinstance(node, dict) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not (in_map or in_list):
            return depth
        node = node[step]
    return len(path)


def field_line(
    resource: Resource, check: Check, field_paths: Sequence[FieldPath] | None = None
) -> int | None:
    """Line of the field a finding is about: among the `field` alternatives, the concrete
    path that exists deepest in the document (first wins on ties); the document line when
    positions are unknown (embedded or live resources). `field_paths` are the check's own,
    already split (to spare re-splitting them for every finding)."""
    if resource.origin.carrier is not None or not isinstance(resource.body, LineDict | LineList):
        return resource.origin.line
    best: tuple[str | int, ...] | None = None
    best_depth = -1
    for pattern in check.field_paths if field_paths is None else field_paths:
        for concrete in _expand(resource.body, pattern):
            depth = _depth(resource.body, concrete)
            if depth == len(concrete) and depth > 0:
                best = concrete
                best_depth = len(concrete) + 1_000  # a full match beats any prefix
                break
            if depth > best_depth:
                best, best_depth = concrete, depth
        if best_depth >= 1_000:
            break
    position = position_of(resource.body, best) if best is not None else None
    if position is None or position[0] <= 0:
        return resource.origin.line
    return position[0]


def _matches_unknown(pattern: FieldPath, unknown: tuple[str | int, ...]) -> bool:
    """True when an unresolved path and a declared path overlap (one contains the other)."""
    for want, have in zip(pattern, unknown, strict=False):
        if want == "*":
            continue
        if str(want) != str(have):
            return False
    return True


def _is_unknown(resource: Resource, prepared: _Prepared) -> bool:
    if not prepared.unknown_paths or not resource.unknown_paths:
        return False
    return any(
        _matches_unknown(pattern, have)
        for pattern in prepared.unknown_paths
        for have in resource.unknown_paths
    )


@dataclass(frozen=True)
class _Prepared:
    """What evaluation needs of one check, worked out once per run instead of once per
    resource or finding: its compiled program (variables and expression composed), its
    split field and unknownWhen paths."""

    check: Check
    program: CompiledExpression
    field_paths: tuple[FieldPath, ...]
    unknown_paths: tuple[FieldPath, ...]
    default_note: str | None

    @classmethod
    def of(cls, check: Check) -> _Prepared:
        note = None
        if check.by_default is not None:
            default = " ".join(check.by_default.default.split())
            note = f"{default} ({check.by_default.reference})"
        return cls(check, compiled(check), check.field_paths, check.unknown_paths, note)


class _Index:
    """Checks by (group, kind), so each resource only meets the checks that match it."""

    def __init__(self, checks: Sequence[Check]) -> None:
        self.by_kind: dict[tuple[str, str], list[Check]] = defaultdict(list)
        for check in checks:
            for kind in check.match.kinds:
                bucket = self.by_kind[(kind.group, kind.kind)]
                if check not in bucket:
                    bucket.append(check)

    def for_resource(self, resource: Resource) -> list[Check]:
        found = self.by_kind.get((resource.group, resource.kind), [])
        return [c for c in found if c.matches(resource.group, resource.kind, resource.version)]


def _finding(prepared: _Prepared, resource: Resource) -> Finding:
    check = prepared.check
    ref = _ref(resource)
    line = field_line(resource, check, prepared.field_paths)
    location = Location(resource.origin.path, line, resource.origin.carrier)
    return Finding(
        fingerprint=fingerprint(check.id, ref, check.field),
        check_id=check.id,
        title=check.title,
        severity=check.severity,
        threats=check.threats,
        mitigation=check.mitigation,
        resource=ref,
        location=location,
        message=" ".join(check.message.split()),
        remediation=" ".join(check.remediation.split()),
        references=check.references,
    )


def evaluate(
    resources: Sequence[Resource],
    checks: Sequence[Check],
    context_for: ContextFor | None = None,
) -> EvaluationResult:
    """Run `checks` over `resources`. Topology-scope checks run only when `context_for`
    is given (it supplies their `context` binding)."""
    from capsa.cel import CelError

    index = _Index(checks)
    prepared = {id(check): _Prepared.of(check) for check in checks}
    result = EvaluationResult()
    reported: set[tuple[str, str]] = set()
    for resource in resources:
        matching = index.for_resource(resource)
        if context_for is None:
            matching = [c for c in matching if c.scope == "object"]
        if not matching:
            continue
        document = plain(resource.body)
        context: Mapping[str, Any] | None = None
        # the bindings converted to CEL once per resource and scope, not once per check
        # (the conversion costs more than most checks' evaluation)
        activations: dict[str, Any] = {}
        ref = _ref(resource)
        doc_location = Location(resource.origin.path, resource.origin.line, resource.origin.carrier)
        for check in matching:
            prep = prepared[id(check)]
            if _is_unknown(resource, prep):
                result.unknown.append(
                    CheckResult(check.id, ref, doc_location, "a field it reads is unresolved")
                )
                continue
            bindings: dict[str, Any] = {"object": document}
            if check.scope == "topology" and context_for is not None:
                if context is None:
                    context = context_for(resource)
                bindings["context"] = context
            if check.scope not in activations:
                activations[check.scope] = _activation(check.scope, bindings)
            try:
                value = prep.program.evaluate(bindings, activations[check.scope])
            except CelError as error:
                text = str(error)
                if any(marker in text for marker in _MISSING_FIELD) or resource.unknown_paths:
                    result.unknown.append(CheckResult(check.id, ref, doc_location, text))
                    continue
                _report_once(
                    result,
                    reported,
                    check.id,
                    resource,
                    f"could not be evaluated on {resource.kind} {shown(resource.name)}: {text}",
                )
                continue
            outcome = _outcome(value)
            if outcome == PASSES:
                result.passes.append(CheckResult(check.id, ref, doc_location))
            elif outcome == PASSES_BY_DEFAULT:
                result.passes.append(
                    CheckResult(check.id, ref, doc_location, by_default=prep.default_note)
                )
            elif outcome == FAILS:
                result.findings.append(_finding(prep, resource))
            elif outcome == NOT_APPLICABLE:
                result.not_applicable.append(
                    CheckResult(check.id, ref, doc_location, "what the check looks at is absent")
                )
            else:
                _report_once(
                    result,
                    reported,
                    check.id,
                    resource,
                    f"returned {value!r} instead of true/false",
                )
    return result


def _activation(scope: str, bindings: Mapping[str, Any]) -> Any:
    """The bindings as an activation of the scope's environment (which compiled every
    check of that scope), or None when they do not convert: each check then evaluates
    on the bindings themselves and reports the error as it would."""
    from capsa.cel import CelError
    from capsa.checks.environment import environment

    try:
        return environment(scope).activation(bindings)
    except CelError:
        return None


def _outcome(value: object) -> int | None:
    """The outcome code of a program's value: true/false from a plain expression, an int
    from one composed with appliesWhen/byDefault; None for anything else."""
    if value is True:
        return PASSES
    if value is False:
        return FAILS
    if type(value) is int and value in (FAILS, PASSES, PASSES_BY_DEFAULT, NOT_APPLICABLE):
        return value
    return None


def _report_once(
    result: EvaluationResult,
    reported: set[tuple[str, str]],
    check_id: str,
    resource: Resource,
    what: str,
) -> None:
    """One problem per check and file: a broken expression would otherwise repeat per object."""
    key = (check_id, resource.origin.path)
    if key in reported:
        return
    reported.add(key)
    result.problems.append(
        Problem(resource.origin.path, resource.origin.line, None, f"{check_id} {what}")
    )
