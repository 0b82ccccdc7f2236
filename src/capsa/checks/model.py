"""A check as data: which objects it matches, the CEL that is true when they comply, and
what to tell the user when they do not.

Checks live in `checks/data/*.yaml`; this model is the schema those files must meet.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from capsa.checks import variables as cel_variables
from capsa.checks.findings import Severity
from capsa.datafile import Examples
from capsa.frozen import FrozenModel

CHECK_ID = r"^CAPSA-[A-Z0-9]+-\d{3}$"

FieldPath = tuple[str, ...]


def parse_field(path: str) -> FieldPath:
    """Split a dotted field path ("spec.users.*.sudo") into its steps."""
    return tuple(step for step in path.strip().split(".") if step)


class KindMatch(FrozenModel):
    """One API group + kind (optionally limited to some versions) a check applies to."""

    group: str
    kind: str = Field(min_length=1)
    versions: tuple[str, ...] | None = None


class Match(FrozenModel):
    kinds: tuple[KindMatch, ...] = Field(min_length=1)


class Variable(FrozenModel):
    """A named CEL expression, as in a ValidatingAdmissionPolicy's `spec.variables`:
    read as `variables.<name>` by the check's expression and by later variables."""

    name: str = Field(pattern=cel_variables.NAME)
    expression: str = Field(min_length=1)


Outcome = Literal["fail", "pass", "pass-by-default", "not-applicable", "unknown"]
"""What a check concludes on one object: a finding, a pass (on an explicit setting, or on
an upstream default), not applicable (its subject is absent) or unknown."""

SILENT_OUTCOMES: tuple[Outcome, ...] = ("pass", "pass-by-default", "not-applicable", "unknown")


class Example(FrozenModel):
    """One input for a check: a single Kubernetes object, or (for topology checks) the
    objects that together make the situation. `note` says what the example shows;
    `fires` names ("Kind/name") the objects a firing example must be flagged on, when it
    holds several. `expect` is the outcome a silent (`pass`) example must have: `pass`
    by default; `pass-by-default`, `not-applicable` or `unknown` when that is what it
    shows."""

    note: str = ""
    object_: dict[str, Any] | None = Field(default=None, alias="object")
    objects: tuple[dict[str, Any], ...] = ()
    fires: tuple[str, ...] = ()
    expect: Outcome | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Example:
        if (self.object_ is None) == (not self.objects):
            raise ValueError("give either `object` or `objects`")
        return self

    @property
    def documents(self) -> tuple[dict[str, Any], ...]:
        """The example's objects, whichever form it was written in."""
        return (self.object_,) if self.object_ is not None else self.objects


class ByDefault(FrozenModel):
    """When a pass rests on an upstream default rather than an explicit setting: `when`
    is CEL (same bindings and variables as the expression) true when the deciding
    setting is absent; `default` says what upstream does then, `reference` where
    (repo@commit:path:line)."""

    when: str = Field(min_length=1)
    default: str = Field(min_length=1)
    reference: str = Field(min_length=1)


class Undecided(FrozenModel):
    """When the inputs cannot decide a check: `when` is CEL (same bindings and variables
    as the expression), evaluated where the check applies, true when the deciding
    setting lies outside the manifests; `reason` says which input decides (shown on the
    unknown result) and `reference` the upstream code that makes it so."""

    when: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    reference: str = Field(min_length=1)


class ReadsOnlyWhen(FrozenModel):
    """Fields a check reads only while `when` (CEL, same bindings and variables as the
    expression) is true, such as the files an API server flag names, read only when
    the flag is set. While it is false, an unresolved value on or under one of `fields`
    cannot decide the outcome and leaves the check decided; `when` may only read fields
    `unknownWhen` names, so an unresolved value it reads keeps the check unknown."""

    fields: tuple[str, ...] = Field(min_length=1)
    when: str = Field(min_length=1)

    @property
    def paths(self) -> tuple[FieldPath, ...]:
        return tuple(parse_field(p) for p in self.fields)


class Check(FrozenModel):
    """One rule. `expression` is CEL over `object` (and `context` for topology checks) and
    is true when the object complies, as in a ValidatingAdmissionPolicy.

    `field` is a dotted path (`*` for any list item); alternatives separated by `|` cover
    kinds that keep the same setting at different depths (a template's
    `spec.template.spec` vs an object's `spec`): the first one present in a document is
    where a finding points. Threat and mitigation ids are checked against the threat
    catalogue when the check data loads (`capsa.checks.catalog`).

    `variables` are named CEL expressions in the admission-policy form (read as
    `variables.<name>`); entries the data file takes from the shared library
    (`use: [...]`, `match.kindGroups`) arrive here already expanded, so a check is
    self-contained.

    What a result means for the mitigation: `appliesWhen` (CEL) is false when the thing
    the check looks at is absent, so the result is "not applicable" and never evidence;
    `byDefault` marks passes that rest on an upstream default; `evidence` is `full` when
    a pass shows the whole mitigation in place for the object, else `partial` (the
    default), with `proves` saying what a pass does show. An empty `mitigation` means
    the check evidences no mitigation of the assessment (hardening hygiene): its
    findings are reported but decide no threat's status.

    `everyItemMustComply` says that every item of the lists under `unknownWhen` must
    comply (`all()`, `!exists()`, `size() == 0`), so an item added to a non-empty one
    never turns a failure into a pass: an unresolved item then leaves the check failed
    when it fails with the item as read and without it (and the list is not left
    empty, since a check may also require it non-empty). Left false (a check that passes when some
    item complies: `exists()`), an unresolved item may be the one that complies, and
    the result is unknown. A flag (an `extraArgs` entry) whose known name the check
    never reads is left out either way.
    """

    id: str = Field(pattern=CHECK_ID)
    title: str = Field(min_length=1)
    severity: Severity
    threats: tuple[str, ...] = Field(min_length=1)
    mitigation: str = ""
    evidence: Literal["full", "partial"] = "partial"
    proves: str = ""
    match: Match
    scope: Literal["object", "topology"]
    variables: tuple[Variable, ...] = ()
    # Before `expression`, so its validator sees every part that may read a variable.
    applies_when: str | None = Field(default=None, min_length=1)
    by_default: ByDefault | None = None
    undecided: Undecided | None = None
    reads_only_when: tuple[ReadsOnlyWhen, ...] = Field(default=(), alias="readsOnlyWhen")
    expression: str = Field(min_length=1)
    field: str = Field(min_length=1)
    message: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    providers: tuple[Literal["aws", "azure", "vsphere", "docker", "any"], ...] = Field(min_length=1)
    unknown_when: tuple[str, ...] = Field(default=(), alias="unknownWhen")
    every_item_must_comply: bool = Field(default=False, alias="everyItemMustComply")
    examples: Examples[Example] = Examples[Example]()

    @field_validator("variables")
    @classmethod
    def _declared_in_order(cls, value: tuple[Variable, ...]) -> tuple[Variable, ...]:
        issues = cel_variables.declaration_problems([(v.name, v.expression) for v in value])
        if issues:
            raise ValueError("; ".join(issues))
        return value

    @field_validator("expression")
    @classmethod
    def _reads_declared_variables(cls, value: str, info: ValidationInfo) -> str:
        declared = info.data.get("variables", ())
        pairs = [(v.name, v.expression) for v in declared]
        names = [name for name, _ in pairs]
        parts = [("expression", value)]
        if info.data.get("applies_when"):
            parts.append(("appliesWhen", info.data["applies_when"]))
        if info.data.get("by_default") is not None:
            parts.append(("byDefault.when", info.data["by_default"].when))
        if info.data.get("undecided") is not None:
            parts.append(("undecided.when", info.data["undecided"].when))
        for at, guard in enumerate(info.data.get("reads_only_when", ())):
            parts.append((f"readsOnlyWhen[{at}].when", guard.when))
        issues = [
            issue
            for label, text in parts
            for issue in cel_variables.undeclared_reads(text, label, names)
        ]
        every_part = "\n".join(text for _, text in parts)
        issues.extend(
            issue
            for issue in cel_variables.reading_problems(pairs, every_part)
            if issue.endswith("is declared but never read")
        )
        if issues:
            raise ValueError("; ".join(issues))
        return value

    @property
    def outcome_parts(self) -> tuple[tuple[str, str], ...]:
        """(label, CEL) of the expression, `appliesWhen`, `byDefault.when`,
        `undecided.when` and each `readsOnlyWhen[i].when`, those set."""
        parts = [("expression", self.expression)]
        if self.applies_when is not None:
            parts.append(("appliesWhen", self.applies_when))
        if self.by_default is not None:
            parts.append(("byDefault.when", self.by_default.when))
        if self.undecided is not None:
            parts.append(("undecided.when", self.undecided.when))
        for at, guard in enumerate(self.reads_only_when):
            parts.append((f"readsOnlyWhen[{at}].when", guard.when))
        return tuple(parts)

    @model_validator(mode="after")
    def _guards_fields_it_declares(self) -> Check:
        """A `readsOnlyWhen` field overlapping no `unknownWhen` path (neither on, under
        nor above one) would guard nothing: an unresolved value there never made the
        check unknown."""
        declared = self.unknown_paths
        stray = [
            field
            for guard in self.reads_only_when
            for field, path in zip(guard.fields, guard.paths, strict=True)
            if not any(_overlap(path, known) for known in declared)
        ]
        if stray:
            raise ValueError(
                f"readsOnlyWhen names {', '.join(stray)}, which no unknownWhen path overlaps"
            )
        return self

    @property
    def field_paths(self) -> tuple[FieldPath, ...]:
        """The alternatives of `field`, each split into steps."""
        return tuple(parse_field(p) for p in self.field.split("|") if p.strip())

    @property
    def unknown_paths(self) -> tuple[FieldPath, ...]:
        return tuple(parse_field(p) for p in self.unknown_when)

    def matches(self, group: str, kind: str, version: str) -> bool:
        """Whether this check applies to objects of group/kind at this version."""
        for wanted in self.match.kinds:
            if (
                wanted.group == group
                and wanted.kind == kind
                and (wanted.versions is None or version in wanted.versions)
            ):
                return True
        return False


def _overlap(one: FieldPath, other: FieldPath) -> bool:
    """Whether one path contains the other (`*` any step in either)."""
    return all(a == b or "*" in (a, b) for a, b in zip(one, other, strict=False))
