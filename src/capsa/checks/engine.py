"""Run checks over resources: each document is converted to plain data once, every check
that matches its kind runs against it, and each outcome is a finding, a pass or unknown.

Outcomes:
- `appliesWhen` is false → "not applicable": the thing the check looks at is absent, so
  the result is evidence of nothing (never a pass);
- the expression is true → a pass (evidence that the mitigation holds for that object),
  marked "by default" with the upstream default it rests on when `byDefault.when` holds,
  or with the variable whose clusterctl template default it rests on (`Resource.defaulted`:
  given another value in that default's place, the check no longer passes);
- false → a Finding located at the check's field (or the document when it is absent);
- "unknown" when a field listed in `unknownWhen` is an unresolved variable (or was set
  by a ClusterClass patch capsa cannot evaluate), when the expression reads a field that
  is not there, or when it fails on a resource that has unresolved values. The reason
  names the variables to set (`--var NAME=...`) or the patch. When every unresolved
  value sits inside one item of a list (`files[]`, `users[]`), only that item is
  unknown: the check still fails if it fails both with the item as read and without it,
  when the item cannot turn a failure into a pass: the check declares
  `everyItemMustComply`, or the item is a flag whose known name it never reads. A check
  that passes on some item (`exists()`) is unknown: that item may be the one.
  Unknown is never a pass.

A fragment (a kustomize patch file, `capsa.sources.kustomize`) holds only what its patch
changes, so it may add evidence but never "lacks" anything: a failure counts only when the
fragment itself sets the field the finding points at; otherwise, and for passes that rest
on an absent setting or on cross-object context, the result is unknown (its base decides).
Other runtime errors become Problems, reported once per check and file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capsa.checks.combined import combined
from capsa.checks.findings import (
    CheckResult,
    Finding,
    Location,
    ResourceRef,
    fingerprint,
)
from capsa.checks.model import Check, FieldPath
from capsa.checks.program import (
    FAILS,
    NOT_APPLICABLE,
    PASSES,
    PASSES_BY_DEFAULT,
    UNDECIDED,
    compiled,
    guard_programs,
    program_text,
)
from capsa.checks.reads import context_fields, fields_of
from capsa.display import shown
from capsa.errors import Problem
from capsa.sources.clusterctl_vars import MARKER_SUFFIX, UNRESOLVED_PREFIX, UNRESOLVED_RE
from capsa.sources.redact import REDACTED
from capsa.sources.resource import DefaultSpan, Resource
from capsa.yamlio import LineDict, LineList, field_position_of, plain

if TYPE_CHECKING:
    from capsa.cel import CompiledExpression

ContextFor = Callable[[Resource], Mapping[str, Any]]

UNREAD = "unread"
"""A `context` entry naming, per context field, why the evidence it is built from was not
read (a live cluster's ResourceQuotas refused, a ClusterResourceSet's Secret data never
read): a check reading that field is unknown on the resource, never judged on a gap."""

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
    if "*" not in path:
        return [tuple(path)]  # the one concrete path (most fields name no item)
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


def _best_path(
    resource: Resource, field_paths: Sequence[FieldPath]
) -> tuple[str | int, ...] | None:
    """Among the `field` alternatives, the concrete path that exists deepest in the
    document (first wins on ties), cut to the part that exists."""
    best: tuple[str | int, ...] | None = None
    best_depth = -1
    for pattern in field_paths:
        for concrete in _expand(resource.body, pattern):
            depth = _depth(resource.body, concrete)
            if depth == len(concrete) and depth > 0:
                return concrete
            if depth > best_depth:
                best, best_depth = concrete[:depth], depth
    return best


def _patched_origin(
    resource: Resource, path: tuple[str | int, ...] | None, reads: Sequence[FieldPath], check: Check
) -> tuple[str, int] | None:
    """Where the value at `path` (or the nearest enclosing field a ClusterClass patch set
    or created) was written, when a patch wrote a field the check reads (`reads`, its
    unknownWhen paths): a patch that only created the enclosing map for something else
    is not what the finding is about. When `path` is a flag map (`extraArgs`) no patch
    wrote whole, but patches wrote flags in it that the check reads, the one place they
    were all written is where it points (an item a patch added to a list the check
    reads, say a file, is not: the finding may be about what the list lacks)."""
    origins = resource.field_origins
    if not origins or path is None:
        return None
    for end in range(len(path), 0, -1):
        found = origins.get(path[:end])
        if found is None:
            continue
        where, line, wrote = found
        if any(_covers(pattern, wrote) for pattern in reads):
            return where, line
        return None
    if not path or path[-1] not in _FLAG_MAPS:
        return None
    below = {
        (where, line)
        for key, (where, line, wrote) in origins.items()
        if len(key) > len(path)
        and key[: len(path)] == path
        and any(_covers(pattern, wrote) for pattern in reads)
        and _names_flag(check, str(key[len(path)]))
    }
    return below.pop() if len(below) == 1 else None


def _covers(pattern: FieldPath, path: tuple[str | int, ...]) -> bool:
    """True when `path` and the declared `pattern` (`*` any step) overlap: the patch wrote
    the field the check reads, something under it, or a map holding it (unknownWhen names
    the leaves a check decides on, and a patch may write their enclosing map whole)."""
    return all(
        want == "*" or str(want) == str(have) for want, have in zip(pattern, path, strict=False)
    )


def field_line(
    resource: Resource, check: Check, field_paths: Sequence[FieldPath] | None = None
) -> int | None:
    """Line of the field a finding is about: among the `field` alternatives, the concrete
    path that exists deepest in the document (first wins on ties), at the line of its key,
    or of its nearest existing parent's key when it is missing (`field_position_of`); the
    document line when positions are unknown (live resources). `field_paths` are the check's own,
    already split (to spare re-splitting them for every finding)."""
    return field_location(resource, check, field_paths)[1]


def field_location(
    resource: Resource,
    check: Check,
    field_paths: Sequence[FieldPath] | None = None,
    unknown_paths: Sequence[FieldPath] | None = None,
    culprit: tuple[str | int, ...] | None = None,
    first_set: tuple[str | int, ...] | None = None,
) -> tuple[str, int | None]:
    """(file, line) of the field a finding is about (see `field_line`). A field a
    ClusterClass patch set points where its value was written (the Cluster variable or
    the class), not at the template that lacks it. `unknown_paths`, like `field_paths`,
    are the check's own, already split.

    An object embedded in a ClusterResourceSet payload has its positions on the carrier
    file already (`capsa.sources.embedded`): a payload written as a literal block (`|`)
    line by line, so the field's own line in the carrier file; any other payload (a
    base64 Secret `data` value, a quoted or folded string) at the payload key's line.

    `culprit`, when given, is the field the failure was traced to (`_culprit`) and is
    pointed at instead of the first of the alternatives; `first_set`, when given, is
    the first alternative the object sets (what `_best_path` would find first)."""
    if not isinstance(resource.body, LineDict | LineList):
        return resource.origin.path, resource.origin.line
    best = (
        culprit
        or first_set
        or _best_path(resource, check.field_paths if field_paths is None else field_paths)
    )
    reads = check.unknown_paths if unknown_paths is None else unknown_paths
    patched = _patched_origin(resource, best, reads, check)
    if patched is not None:
        return patched
    position = field_position_of(resource.body, best) if best else None
    if position is None or position[0] <= 0:
        return resource.origin.path, resource.origin.line
    return resource.origin.path, position[0]


def unknown_location(resource: Resource, paths: Sequence[tuple[str | int, ...]]) -> Location:
    """Where an unknown result points: the first unresolved field (in document order) that
    left it undecided, so the reader lands on the `${VAR}` to set rather than on the
    document's first line (an embedded object's lines are on its carrier file, as in
    `field_location`); the document when positions are unknown (live resources) or none
    of the paths is found."""
    origin = resource.origin
    line: int | None = None
    if isinstance(resource.body, LineDict | LineList):
        for path in paths:
            position = field_position_of(resource.body, path) if path else None
            if position is not None and position[0] > 0 and (line is None or position[0] < line):
                line = position[0]
    return Location(origin.path, origin.line if line is None else line, origin.carrier)


def _steps(path: Sequence[str | int]) -> tuple[str | None, ...]:
    """A path's steps as text, None for `*`: how `_unknown_matches` compares them (a list
    index and a map key with the same text are the same step)."""
    return tuple(None if step == "*" else str(step) for step in path)


Unresolved = list[tuple[tuple[str | int, ...], tuple[str | None, ...]]]
"""A resource's unresolved paths, each with its steps (`_steps`), in the set's order."""


def _unresolved(resource: Resource) -> Unresolved:
    """The resource's unresolved paths with their steps, worked out once per resource
    rather than once per check that declares unknownWhen."""
    return [(have, _steps(have)) for have in resource.unknown_paths]


def _unknown_matches(
    prepared: _Prepared, unresolved: Unresolved
) -> list[tuple[FieldPath, tuple[str | int, ...]]]:
    """The (declared, unresolved) path pairs that overlap (one contains the other; `*`
    any step) for this check and resource. The step loop is written out here, not
    called per pair: this runs for every check on every resource with unresolved values."""
    if not prepared.unknown_paths or not unresolved:
        return []
    found: list[tuple[FieldPath, tuple[str | int, ...]]] = []
    for pattern, wanted in zip(prepared.unknown_paths, prepared.unknown_steps, strict=True):
        for have, steps in unresolved:
            for want, step in zip(wanted, steps, strict=False):
                if want is not None and want != step:
                    break
            else:
                found.append((pattern, have))
    return found


def _template_default(
    prep: _Prepared, resource: Resource, bindings: Mapping[str, Any]
) -> str | None:
    """Why a pass rests on a clusterctl template's own default, or None. A default taken
    for a variable without a value (`Resource.defaulted`) counts when it is the whole
    value of a field the check decides on (its `unknownWhen`, where an unresolved value
    would make it unknown), or when, given another value (unresolved) in its place,
    alone and one at a time, the check no longer passes (its characters only, inside a
    longer text such as `--feature-gates=A=true,B=false`). The person who generates the
    cluster may give the variable another value, which this pass does not judge."""
    from capsa.cel import CelError

    document = bindings["object"]
    names: list[str] = []
    for path, spans in resource.defaulted.items():
        value = _walk(document, path)
        if value is _ABSENT or isinstance(value, (dict, list)):
            continue
        decides = _decides_on(prep, path, document)
        for span in spans:
            whole = span[2] < 0 or (span[1] == 0 and span[2] == len(value))
            if whole and decides:
                names.extend(span[0])
                continue
            changed = _copy_tree(document)
            _walk(changed, path[:-1])[path[-1]] = _other_value(value, span)
            try:
                outcome = _outcome(prep.program.evaluate({**bindings, "object": changed}))
            except CelError:
                outcome = None
            if outcome not in (PASSES, PASSES_BY_DEFAULT):
                names.extend(span[0])
    if not names:
        return None
    named = ", ".join(f"${{{name}}}" for name in dict.fromkeys(names))
    return (
        f"on the template's own default for {named}: clusterctl takes the value given when"
        f" it generates the cluster (set --var {names[0]}=... to judge that value)"
    )


def _decides_on(prep: _Prepared, path: tuple[str | int, ...], document: Any) -> bool:
    """Whether `path` lies on or under a field the check's `unknownWhen` names, and is
    not a flag whose known name the check never reads (as for an unresolved value)."""
    for pattern, have in _unknown_matches(prep, [(path, _steps(path))]):
        if len(pattern) > len(have):
            continue  # a field under the default's scalar: none
        item = _list_item(pattern, have)
        name = _flag_name(document, item, have) if item is not None else None
        if name is None or _reads_flag(prep, name):
            return True
    return False


def _other_value(value: Any, span: DefaultSpan) -> str:
    """`value` with the default's characters replaced by an unresolved marker, or the
    marker alone when the default is the whole value."""
    variables, start, length = span
    marker = f"{UNRESOLVED_PREFIX}{variables[0]}{MARKER_SUFFIX}"
    if not isinstance(value, str) or length < 0:
        return marker
    return value[:start] + marker + value[start + length :]


_FLAG_MAPS = frozenset({"extraArgs", "kubeletExtraArgs"})
"""v1beta1 maps whose entries are the items of v1beta2 `{name, value}` lists."""


def _list_item(pattern: FieldPath, have: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The item an unresolved path sits in: one of `files[]`, one flag of a v1beta2
    `extraArgs` list or of a v1beta1 `extraArgs` map: the first list index of `have` that
    the declared path reaches through a `*` or lies below it, or a flag map's key. None
    when the value is not inside an item."""
    for position, step in enumerate(have):
        below = position >= len(pattern)
        if below and position > 0 and have[position - 1] in _FLAG_MAPS:
            return have[: position + 1]
        if not isinstance(step, int):
            continue
        if below or pattern[position] == "*":
            return have[: position + 1]
        return None
    return None


def _path_order(path: tuple[str | int, ...]) -> list[tuple[int, int, str]]:
    """A field path's place in a fixed order: list indexes by number, keys by text."""
    return [(0, step, "") if isinstance(step, int) else (1, 0, str(step)) for step in path]


def unknown_reason(resource: Resource, paths: Sequence[tuple[str | int, ...]]) -> str:
    """What would decide a result left unknown by `paths`: the clusterctl variables to set
    (`--var NAME=...`), or why a ClusterClass patch could not be applied."""
    names: list[str] = []
    other: list[str] = []
    # in one order whatever order the paths came in (a set's, which differs run to run)
    for path in sorted(paths, key=_path_order):
        why = resource.unknown_reasons.get(path)
        if why is not None and why not in other:
            other.append(why)
        node = _walk(resource.body, path)
        texts = [str(path[-1]) if path else ""]
        if isinstance(node, str):
            texts.append(node)
        for text in texts:
            for match in UNRESOLVED_RE.finditer(text):
                if match.group(1) not in names:
                    names.append(match.group(1))
    parts: list[str] = []
    if names:
        shown_names = ", ".join("${" + n + "}" for n in names)
        flags = " ".join(f"--var {n}=..." for n in names)
        parts.append(f"unresolved {shown_names}: set {flags}")
    parts.extend(other)
    return "; ".join(parts) or "a field it reads is unresolved"


class _Reasons:
    """`unknown_reason` of one resource, said once per set of paths: the checks left
    unknown by the same unresolved values share the sentence."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource
        self._said: dict[tuple[tuple[str | int, ...], ...], str] = {}

    def of(self, paths: tuple[tuple[str | int, ...], ...]) -> str:
        found = self._said.get(paths)
        if found is None:
            found = self._said[paths] = unknown_reason(self._resource, paths)
        return found


@dataclass(frozen=True)
class _Prepared:
    """What evaluation needs of one check, worked out once per run instead of once per
    resource or finding: its compiled program (variables and expression composed), its
    split field and unknownWhen paths, and its message and remediation on one line (one
    string shared by all its findings)."""

    check: Check
    program: CompiledExpression
    field_paths: tuple[FieldPath, ...]
    unknown_paths: tuple[FieldPath, ...]
    default_note: str | None
    undecided_note: str | None = None
    message: str = ""
    remediation: str = ""
    unknown_steps: tuple[tuple[str | None, ...], ...] = ()
    context_fields: frozenset[str] | None = frozenset()
    object_fields: frozenset[str] | None = None
    guards: tuple[tuple[tuple[FieldPath, ...], CompiledExpression], ...] = ()
    flag_values: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, check: Check) -> _Prepared:
        note = undecided = None
        if check.by_default is not None:
            default = " ".join(check.by_default.default.split())
            note = f"{default} ({check.by_default.reference})"
        if check.undecided is not None:
            reason = " ".join(check.undecided.reason.split())
            undecided = f"{reason} ({check.undecided.reference})"
        return cls(
            check,
            compiled(check),
            check.field_paths,
            check.unknown_paths,
            note,
            undecided,
            " ".join(check.message.split()),
            " ".join(check.remediation.split()),
            tuple(_steps(pattern) for pattern in check.unknown_paths),
            context_fields(program_text(check)) if check.scope == "topology" else frozenset(),
            fields_of(program_text(check), "object"),
            guard_programs(check),
            _accepted_flag_values(check),
        )


_PREPARED: dict[int, _Prepared] = {}
"""`_Prepared.of` each check a process has evaluated, by the check's id (the entry holds
the check, so the id stays its own): a grouped scan evaluates its checks once per group,
and preparing them again each time was a tenth of evaluating a group at the corpus x20."""

PREPARED_KEPT = 4096
"""Checks whose preparation is kept (a scan has a few hundred; a long-lived process
that builds checks of its own starts again past this)."""


def _prepared(check: Check) -> _Prepared:
    found = _PREPARED.get(id(check))
    if found is None or found.check is not check:
        if len(_PREPARED) >= PREPARED_KEPT:
            _PREPARED.clear()
        found = _PREPARED[id(check)] = _Prepared.of(check)
    return found


class _Index:
    """Checks by (group, kind), so each resource only meets the checks that match it;
    the list for each (group, kind, version) is worked out once per run, since a run
    meets the same few kinds over and over, with the `context` fields they read."""

    def __init__(self, checks: Sequence[Check], prepared: Mapping[int, _Prepared]) -> None:
        self.by_kind: dict[tuple[str, str], list[Check]] = defaultdict(list)
        for check in checks:
            for kind in check.match.kinds:
                bucket = self.by_kind[(kind.group, kind.kind)]
                if check not in bucket:
                    bucket.append(check)
        self._prepared = prepared
        self._found: dict[tuple[str, str, str], tuple[list[Check], frozenset[str] | None]] = {}

    def for_resource(
        self, resource: Resource, topology: bool
    ) -> tuple[list[Check], frozenset[str] | None]:
        """The checks that run on `resource` (a shared list: callers only read it; topology
        checks only when `topology`), and the `context` fields they read (None: all)."""
        key = (resource.group, resource.kind, resource.version)
        found = self._found.get(key)
        if found is None:
            bucket = self.by_kind.get(key[:2], [])
            checks = [c for c in bucket if c.matches(*key)]
            found = self._found[key] = (checks, self._fields(checks))
        if topology:
            return found
        return [c for c in found[0] if c.scope == "object"], frozenset()

    def _fields(self, checks: Sequence[Check]) -> frozenset[str] | None:
        fields: set[str] = set()
        for check in checks:
            wanted = self._prepared[id(check)].context_fields
            if wanted is None:
                return None
            fields |= wanted
        return frozenset(fields)


def _narrowed(context: Mapping[str, Any], fields: frozenset[str] | None) -> Mapping[str, Any]:
    """The `context` binding cut to the fields the resource's checks read (CEL converts
    only what it is handed); whole when a check reads it some other way."""
    if fields is None:
        return context
    return {name: context[name] for name in fields if name in context}


#: Fields of a failure tried one at a time to find the one it comes from (`_culprit`).
CULPRIT_TRIES = 16


def _culprit(
    prepared: _Prepared, resource: Resource, bindings: Mapping[str, Any] | None
) -> tuple[tuple[str | int, ...] | None, tuple[str | int, ...] | None]:
    """The field a failure comes from: when the check's `field` alternatives name several
    that the object sets (a Secret's `data` and `stringData`, each container's `args`),
    the first that fails alone (`_failing_alone`); then, when that field (or the only
    one) is a flag map (`extraArgs`), the flag the check names that fails alone. None
    when none does (an absent flag, a failure only of several together): the first
    alternative is pointed at then, as it always was.

    Given second: the first alternative the object sets whole, which is what
    `_best_path` finds first (found here anyway, and not looked for twice)."""
    if bindings is None or not isinstance(resource.body, LineDict | LineList):
        return None, None
    document = bindings["object"]
    present = [
        concrete
        for pattern in prepared.field_paths
        for concrete in _expand(document, pattern)
        if concrete and _walk(document, concrete) is not _ABSENT
    ]
    first = present[0] if present else None
    present = list(dict.fromkeys(present))
    # an alternative holding another (`containers` beside `containers.0.args`) would
    # stop any failure inside it when removed: only the innermost are tried
    present = [
        concrete
        for concrete in present
        if not any(
            len(other) > len(concrete) and other[: len(concrete)] == concrete for other in present
        )
    ]
    found = _failing_alone(prepared, bindings, present) if len(present) > 1 else None
    chosen = found or (present[0] if len(present) == 1 else None)
    if chosen is None or chosen[-1] not in _FLAG_MAPS:
        return found, first
    return (_flag_culprit(prepared, resource, bindings, chosen) or found), first


def _flag_culprit(
    prepared: _Prepared,
    resource: Resource,
    bindings: Mapping[str, Any],
    flags_at: tuple[str | int, ...],
) -> tuple[str | int, ...] | None:
    """The flag in the map at `flags_at` a failure comes from: among the flags the check
    names as such (`_flag_written`), the first whose removal stops the failure, or,
    when the failure also stops with all of them removed, the first that fails alone,
    or else (absent and wrong alike: `profiling: "true"`) the first that a value the
    check's own pass examples give that flag mends (`_first_mended`). None when none
    does (the flag absent), or when the flag was merged in from an anchor written
    elsewhere (its line is another block's)."""
    document = bindings["object"]
    flags = _walk(document, flags_at)
    named: list[str | int] = []
    if isinstance(flags, dict):
        named = [key for key in flags if _flag_written(prepared, str(key))]
    elif isinstance(flags, list):
        named = [
            at
            for at, item in enumerate(flags)
            if isinstance(item, dict) and _flag_written(prepared, str(item.get("name", "")))
        ]
    candidates = [(*flags_at, key) for key in named]
    if not candidates:
        return None
    flag = _first_stopping(prepared, bindings, candidates)
    if flag is None and not _fails_with(prepared, bindings, _without(document, candidates)):
        flag = _failing_alone(prepared, bindings, candidates)
    if flag is None:
        flag = _first_mended(prepared, bindings, flags_at, candidates)
    if flag is None:
        return None
    line = field_position_of(resource.body, flag)
    here = field_position_of(resource.body, flags_at)
    if line is None or here is None or line[0] < here[0]:
        return None  # merged from an anchor above: that line belongs to another block
    return flag


def _first_mended(
    prepared: _Prepared,
    bindings: Mapping[str, Any],
    flags_at: tuple[str | int, ...],
    candidates: Sequence[tuple[str | int, ...]],
) -> tuple[str | int, ...] | None:
    """The first of `candidates` (flags in the map at `flags_at`) that, set to a value
    the check's pass examples give a flag of its name, stops the failure: its value is
    what is wrong, though leaving it out fails as well. A flag set right beside another
    that is missing mends nothing, so the finding stays on the map."""
    document = bindings["object"]
    flags = _walk(document, flags_at)
    for concrete in candidates[:CULPRIT_TRIES]:
        key = concrete[-1]
        item = flags[key] if isinstance(flags, list) and isinstance(key, int) else None
        name = str(item.get("name", "")) if isinstance(item, dict) else str(key)
        current = item.get("value") if isinstance(item, dict) else _walk(flags, (key,))
        for value in prepared.flag_values.get(name, ())[:CULPRIT_TRIES]:
            if value == current:
                continue
            mended = value if item is None else {**item, "value": value}
            if not _fails_with(prepared, bindings, _replaced(document, concrete, mended)):
                return concrete
    return None


def _replaced(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """`document` with `value` at `path` (which exists): the maps and lists along it
    copied, everything else shared."""
    top = node = _shallow(document)
    for step in path[:-1]:
        child = _shallow(_walk(node, (step,)))
        node[step] = child
        node = child
    node[path[-1]] = value
    return top


def _accepted_flag_values(check: Check) -> dict[str, tuple[Any, ...]]:
    """Per flag name, the values the check's pass examples give it in a flag map (a
    v1beta1 `extraArgs` map or a v1beta2 list of `{name, value}`), distinct, in order:
    values the check is known to accept, to tell a wrong flag from a missing one."""
    found: dict[str, list[Any]] = defaultdict(list)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                if key in _FLAG_MAPS:
                    for name, value in _flag_entries(child):
                        if value not in found[name]:
                            found[name].append(value)
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    for example in check.examples.pass_:
        for document in example.documents:
            visit(document)
    return {name: tuple(values) for name, values in found.items()}


def _flag_entries(flags: Any) -> list[tuple[str, Any]]:
    if isinstance(flags, dict):
        return [(str(name), value) for name, value in flags.items()]
    if isinstance(flags, list):
        return [
            (str(item["name"]), item.get("value"))
            for item in flags
            if isinstance(item, dict) and "name" in item
        ]
    return []


def _flag_written(prepared: _Prepared, name: str) -> bool:
    """Whether the check's CEL writes `name` as a flag (`'name=`, `^name=`, `--name=`),
    not merely contains its letters (`v` is in every text)."""
    if not name:
        return False
    # `name=`, or a name among alternatives before `=`: `^(a|name|b)=`
    written = re.compile(
        rf"(?<![A-Za-z0-9_-])(?:--)?{re.escape(name)}(?:=(?!=)|\|[^'\"()]*\)=(?!=)|\)=(?!=))"
    )
    return any(written.search(text) for text in _flag_texts(prepared.check))


def _fails_with(prepared: _Prepared, bindings: Mapping[str, Any], document: Any) -> bool:
    from capsa.cel import CelError

    try:
        return _outcome(prepared.program.evaluate({**bindings, "object": document})) == FAILS
    except CelError:
        return False


def _first_stopping(
    prepared: _Prepared, bindings: Mapping[str, Any], candidates: Sequence[tuple[str | int, ...]]
) -> tuple[str | int, ...] | None:
    """The first of `candidates` whose removal stops the check failing."""
    document = bindings["object"]
    for concrete in candidates[:CULPRIT_TRIES]:
        if not _fails_with(prepared, bindings, _without(document, [concrete])):
            return concrete
    return None


def _failing_alone(
    prepared: _Prepared, bindings: Mapping[str, Any], candidates: Sequence[tuple[str | int, ...]]
) -> tuple[str | int, ...] | None:
    """The first of `candidates` (fields the object sets) with which, the others removed,
    the check still fails: usually the first, tried once. A field inside a list item
    (`containers.1.image`) is removed with its item, since a check that every item sets
    it well fails as much without it."""
    document = bindings["object"]
    removable = [_removal(c) for c in candidates]
    for at, concrete in enumerate(candidates[:CULPRIT_TRIES]):
        others = [path for i, path in enumerate(removable) if i != at and path != removable[at]]
        if _fails_with(prepared, bindings, _without(document, others)):
            return concrete
    return None


def _removal(concrete: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """What removing `concrete` takes away: its list item when it lies in one."""
    last = max((at for at, step in enumerate(concrete) if isinstance(step, int)), default=-1)
    return concrete[: last + 1] if last >= 0 else concrete


def _without(document: Any, paths: Sequence[tuple[str | int, ...]]) -> Any:
    """`document` less the fields or items at `paths`: the maps and lists along them
    copied, everything else shared (nothing edits it). Items of one list go highest
    index first, so each index still names its item."""
    top = _shallow(document)
    for path in sorted(paths, key=lambda p: [(-s if isinstance(s, int) else 0) for s in p]):
        node = top
        for step in path[:-1]:
            child = _shallow(_walk(node, (step,)))
            if child is _ABSENT:
                break
            node[step] = child
            node = child
        else:
            last = path[-1]
            if isinstance(node, dict):
                node.pop(last, None)
            elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
                del node[last]
    return top


def _shallow(node: Any) -> Any:
    return node.copy() if isinstance(node, dict | list) else node


def _finding(
    prepared: _Prepared,
    resource: Resource,
    ref: ResourceRef,
    bindings: Mapping[str, Any] | None = None,
) -> Finding:
    check = prepared.check
    culprit, first_set = _culprit(prepared, resource, bindings)
    path, line = field_location(
        resource, check, prepared.field_paths, prepared.unknown_paths, culprit, first_set
    )
    location = Location(path, line, resource.origin.carrier)
    return Finding(
        fingerprint=fingerprint(check.id, ref, check.field),
        check_id=check.id,
        title=check.title,
        severity=check.severity,
        threats=check.threats,
        mitigation=check.mitigation,
        resource=ref,
        location=location,
        message=prepared.message,
        remediation=prepared.remediation,
        references=check.references,
    )


_WITHHELD, _UNREAD_CONTEXT, _UNRESOLVED, _EVALUATED = range(4)
"""How a check is decided on a resource: unknown, as it reads a field held back or a
`context` fact not worked out; by the unresolved values it reads; or by evaluating it."""

_NOT_GIVEN = object()


def _combined_values(
    plainly: Mapping[str, Sequence[Check]], activations: Mapping[str, Any]
) -> dict[int, Any]:
    """The value of each check (by id) evaluated in a combined program of its scope. A
    check is missing when its scope's bindings did not convert, when it is alone, when
    the program fails (one of its checks does), or when its value is no scalar: it is
    evaluated alone then, so any error is its own, said as before."""
    from capsa.cel import NOT_SCALAR, CelError

    values: dict[int, Any] = {}
    for scope, checks in plainly.items():
        activation = activations.get(scope)
        if len(checks) < 2 or activation is None:
            continue
        program = combined(scope, checks)
        if program is None:
            continue
        try:
            given = program.values(activation)
        except CelError:
            continue
        for at, value in given.items():
            if not (isinstance(value, str) and value.startswith(NOT_SCALAR)):
                values[id(checks[at])] = value
    return values


def evaluate(
    resources: Sequence[Resource],
    checks: Sequence[Check],
    context_for: ContextFor | None = None,
) -> EvaluationResult:
    """Run `checks` over `resources`. Topology-scope checks run only when `context_for`
    is given (it supplies their `context` binding)."""
    from capsa.cel import CelError

    prepared = {id(check): _prepared(check) for check in checks}
    index = _Index(checks, prepared)
    result = EvaluationResult()
    reported: set[tuple[str, str]] = set()
    for resource in resources:
        matching, fields = index.for_resource(resource, topology=context_for is not None)
        if not matching:
            continue
        unresolved = _unresolved(resource)
        reasons = _Reasons(resource)
        document = plain(resource.body)
        # the bindings of each scope, made and converted to CEL once per resource, not
        # once per check (the conversion costs more than most checks' evaluation)
        scoped: dict[str, dict[str, Any]] = {}
        activations: dict[str, Any] = {}
        ref = _ref(resource)
        doc_location = Location(resource.origin.path, resource.origin.line, resource.origin.carrier)
        unread_context: Mapping[str, str] = {}
        # first how each check is decided (bindings made as the first check of a scope
        # needs them), then every check evaluated plainly is evaluated in one program
        # per scope (`capsa.checks.combined`), then the results in the checks' order
        routes: list[tuple[Check, _Prepared, int, Any]] = []
        plainly: dict[str, list[Check]] = {}
        for check in matching:
            prep = prepared[id(check)]
            not_read = _withheld(prep, resource)
            if not_read:
                routes.append((check, prep, _WITHHELD, not_read))
                continue
            bindings = scoped.get(check.scope)
            if bindings is None:
                bindings = scoped[check.scope] = {"object": document}
                if check.scope == "topology" and context_for is not None:
                    full = context_for(resource)
                    unread_context = full.get(UNREAD) or {}
                    bindings["context"] = _narrowed(full, fields)
                activations[check.scope] = _activation(check.scope, bindings)
            if check.scope == "topology" and unread_context:
                gaps = _unread_fields(prep, unread_context)
                if gaps:
                    routes.append((check, prep, _UNREAD_CONTEXT, gaps))
                    continue
            matches = _unknown_matches(prep, unresolved) if unresolved else []
            if matches and prep.guards:
                matches = _still_read(prep, matches, bindings, activations[check.scope])
            if matches:
                routes.append((check, prep, _UNRESOLVED, matches))
                continue
            routes.append((check, prep, _EVALUATED, None))
            plainly.setdefault(check.scope, []).append(check)
        values = _combined_values(plainly, activations)
        for check, prep, route, data in routes:
            if route == _WITHHELD:
                where = unknown_location(resource, data)
                result.unknown.append(CheckResult(check.id, ref, where, reasons.of(data)))
                continue
            if route == _UNREAD_CONTEXT:
                result.unknown.append(CheckResult(check.id, ref, doc_location, data))
                continue
            bindings = scoped[check.scope]
            if route == _UNRESOLVED:
                matches = data
                secret = _secret_outcome(resource, prep, bindings, [h for _, h in matches])
                if secret == PASSES:
                    result.passes.append(CheckResult(check.id, ref, doc_location))
                elif secret == FAILS or _fails_without(
                    prep,
                    bindings,
                    activations[check.scope],
                    [(_list_item(p, h), h) for p, h in matches],
                ):
                    result.findings.append(_finding(prep, resource, ref, bindings))
                else:
                    paths = tuple(have for _, have in matches)
                    where = unknown_location(resource, paths)
                    result.unknown.append(CheckResult(check.id, ref, where, reasons.of(paths)))
                continue
            try:
                value = values.get(id(check), _NOT_GIVEN)
                if value is _NOT_GIVEN:
                    value = prep.program.evaluate(bindings, activations[check.scope])
            except CelError as error:
                text = str(error)
                if resource.unknown_paths:
                    paths = tuple(sorted(resource.unknown_paths, key=str))
                    where = unknown_location(resource, paths)
                    result.unknown.append(CheckResult(check.id, ref, where, reasons.of(paths)))
                    continue
                if any(marker in text for marker in _MISSING_FIELD):
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
            if resource.fragment_of is not None:
                partial = _fragment_unknown(prep, resource, outcome)
                if partial is not None:
                    result.unknown.append(CheckResult(check.id, ref, doc_location, partial))
                    continue
            if outcome == PASSES:
                rests = _template_default(prep, resource, bindings) if resource.defaulted else None
                result.passes.append(CheckResult(check.id, ref, doc_location, by_default=rests))
            elif outcome == PASSES_BY_DEFAULT:
                # the absent or empty setting may itself be a template's default
                rests = _template_default(prep, resource, bindings) if resource.defaulted else None
                note = (
                    prep.default_note if rests is None else f"{rests}; with it, {prep.default_note}"
                )
                result.passes.append(CheckResult(check.id, ref, doc_location, by_default=note))
            elif outcome == FAILS:
                result.findings.append(_finding(prep, resource, ref, bindings))
            elif outcome == UNDECIDED:
                result.unknown.append(CheckResult(check.id, ref, doc_location, prep.undecided_note))
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


def _withheld(prepared: _Prepared, resource: Resource) -> tuple[tuple[str | int, ...], ...]:
    """Top-level fields the check reads that were not read at all, with a reason (a live
    Secret's data and type, a live Pod's spec: `capsa.sources.cluster`): the check is
    unknown there, whatever `unknownWhen` it declares."""
    if not resource.unknown_reasons:
        return ()
    wanted = prepared.object_fields
    return tuple(
        sorted(
            (
                path
                for path in resource.unknown_paths
                if len(path) == 1
                and path in resource.unknown_reasons
                and (wanted is None or str(path[0]) in wanted)
            ),
            key=str,
        )
    )


def _unread_fields(prepared: _Prepared, unread: Mapping[str, str]) -> str | None:
    """Why the `context` fields the check reads were not read, or None."""
    wanted = prepared.context_fields
    why = [reason for name, reason in unread.items() if wanted is None or name in wanted]
    return "; ".join(dict.fromkeys(why)) or None


def _still_read(
    prepared: _Prepared,
    matches: list[tuple[FieldPath, tuple[str | int, ...]]],
    bindings: Mapping[str, Any],
    activation: Any,
) -> list[tuple[FieldPath, tuple[str | int, ...]]]:
    """`matches` less the unresolved values the check does not read here: those on or
    under the fields of a `readsOnlyWhen` entry whose `when` is false for this object.
    A `when` that errs or gives anything but false keeps them (they may be read)."""
    from capsa.cel import CelError

    ignored: list[tuple[FieldPath, ...]] = []
    for paths, program in prepared.guards:
        if not any(_on_or_under(have, path) for _, have in matches for path in paths):
            continue
        try:
            reads = program.evaluate(bindings, activation)
        except CelError:
            reads = True
        if reads is False:
            ignored.append(paths)
    if not ignored:
        return matches
    return [
        (pattern, have)
        for pattern, have in matches
        if not any(_on_or_under(have, path) for paths in ignored for path in paths)
    ]


def _on_or_under(have: tuple[str | int, ...], pattern: FieldPath) -> bool:
    """Whether the concrete path `have` is `pattern` or lies under it (`_covers`, and at
    least as long)."""
    return len(have) >= len(pattern) and _covers(pattern, have)


def _secret_outcome(
    resource: Resource,
    prepared: _Prepared,
    bindings: Mapping[str, Any],
    paths: Sequence[tuple[str | int, ...]],
) -> int | None:
    """A Secret's values are redacted as they are read: all a check can see of one is
    whether it is empty. So an unresolved value under data/stringData is decided by
    trying both: the same outcome either way is the outcome; None otherwise."""
    from capsa.cel import CelError

    if resource.kind != "Secret" or not all(
        len(p) == 2 and p[0] in ("data", "stringData") for p in paths
    ):
        return None
    outcomes = set()
    for probe in ("", REDACTED):
        document = _copy_tree(bindings["object"])
        for where, key in paths:
            section = document.get(where)
            if isinstance(section, dict) and key in section:
                section[key] = probe
        try:
            outcomes.add(_outcome(prepared.program.evaluate({**bindings, "object": document})))
        except CelError:
            return None
    found = outcomes.pop() if len(outcomes) == 1 else None
    return found if found in (PASSES, FAILS) else None


def _copy_tree(document: Any) -> Any:
    """A copy of a plain document to edit: its maps and lists are new, its scalars (which
    nothing edits) shared; what `copy.deepcopy` gives here, at a fraction of the cost."""
    return plain(document)


def _flag_name(
    document: Any, item: tuple[str | int, ...], have: tuple[str | int, ...]
) -> str | None:
    """The flag an item is, when it is one (a v1beta1 map key, a v1beta2 `{name}`); ""
    when its name is not known (unresolved itself, or the whole entry is): it may then be
    any flag. `have` is the unresolved path inside the item."""
    if len(item) < 2 or item[-2] not in _FLAG_MAPS:
        return None
    if isinstance(item[-1], str):
        name: Any = item[-1]
    elif have[len(item) : len(item) + 1] in ((), ("name",)):
        return ""
    else:
        entry = _walk(document, item)
        name = entry.get("name") if isinstance(entry, dict) else None
    return name if isinstance(name, str) and not UNRESOLVED_RE.search(name) else ""


def _reads_flag(prepared: _Prepared, name: str | None) -> bool:
    """True when the check's CEL names the flag (so an unknown value of it may decide), or
    the flag's name is not known."""
    if name is None:
        return False
    return not name or _names_flag(prepared.check, name)


def _names_flag(check: Check, name: str) -> bool:
    """Whether the check's CEL names the flag `name`."""
    return any(name in text for text in _flag_texts(check))


def _flag_texts(check: Check) -> list[str]:
    """The CEL of a check that may name a flag: expression, appliesWhen, variables."""
    return [check.expression, check.applies_when or "", *(v.expression for v in check.variables)]


def _fails_without(
    prepared: _Prepared,
    bindings: Mapping[str, Any],
    activation: Any,
    items: Sequence[tuple[tuple[str | int, ...] | None, tuple[str | int, ...]]],
) -> bool:
    """True when the check fails whatever the unresolved list items hold: it fails both
    with them as read and with them left out, and each item is one that cannot turn that
    failure into a pass. `items` pairs the item each unresolved path sits in (None: not
    in one, and the result is unknown) with that path. An item may be left out when it is
    a flag whose known name the check never reads (it cannot matter), or, when the check
    declares `everyItemMustComply`, any other item that leaves its list non-empty (an
    item added to a non-empty list only adds a way to fail; an empty one may fail for
    being empty). A check that passes on some item (`exists()`) is unknown: the unresolved item
    may be the one that complies. As read is tried first, on the resource's `activation`
    (converted once): when it does not fail, the copy without the items is never made."""
    from capsa.cel import CelError

    inside = [(item, have) for item, have in items if item is not None]
    if not inside or len(inside) < len(items):
        return False
    document = bindings["object"]
    for item, have in inside:
        name = _flag_name(document, item, have)
        if name is None:
            if not prepared.check.every_item_must_comply:
                return False  # the item may be the one that makes the check pass
        elif _reads_flag(prepared, name):
            return False  # the unresolved value is a flag the check reads, or may be
    chosen = {item for item, _ in inside}
    try:
        if _outcome(prepared.program.evaluate(bindings, activation)) != FAILS:
            return False
    except CelError:
        return False
    without = _copy_tree(document)
    for item in sorted(chosen, key=lambda i: -i[-1] if isinstance(i[-1], int) else 0):
        container = _walk(without, item[:-1])
        step = item[-1]
        if isinstance(container, list) and isinstance(step, int) and 0 <= step < len(container):
            del container[step]
            if not container and _flag_name(document, item, item) is None:
                return False  # an empty list may fail for being empty, which the item fills
        elif isinstance(container, dict):
            container.pop(step, None)
    try:
        return _outcome(prepared.program.evaluate({**bindings, "object": without})) == FAILS
    except CelError:
        return False


def _sets_field(resource: Resource, prepared: _Prepared) -> bool:
    """True when the body sets one of the check's `field` alternatives to a value of its
    own. A map or list there does not count: a patch merges into the base's, so what the
    check missed in it may well be in the base."""
    for pattern in prepared.field_paths:
        for concrete in _expand(resource.body, pattern):
            node = _walk(resource.body, concrete) if concrete else _ABSENT
            if node is not _ABSENT and not isinstance(node, dict | list):
                return True
    return False


def _fragment_unknown(prepared: _Prepared, resource: Resource, outcome: int | None) -> str | None:
    """Why an outcome on a fragment says nothing about the built object (None when it
    does: a failure or a pass on a field the patch itself sets)."""
    base = f"a kustomize patch listed by {resource.fragment_of}"
    if prepared.check.scope == "topology":
        return f"{base}: its cluster is known only once the overlay is built"
    if outcome == PASSES_BY_DEFAULT:
        return f"{base}: the setting is absent from the patch; its base decides"
    if outcome in (FAILS, PASSES) and not _sets_field(resource, prepared):
        return f"{base}: the patch does not set {prepared.check.field}; its base decides"
    return None


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
    if type(value) is int and value in (
        FAILS,
        PASSES,
        PASSES_BY_DEFAULT,
        NOT_APPLICABLE,
        UNDECIDED,
    ):
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
