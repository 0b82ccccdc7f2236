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


class Example(FrozenModel):
    """One input for a check: a single Kubernetes object, or (for topology checks) the
    objects that together make the situation. `note` says what the example shows;
    `fires` names ("Kind/name") the objects a firing example must be flagged on, when it
    holds several."""

    note: str = ""
    object_: dict[str, Any] | None = Field(default=None, alias="object")
    objects: tuple[dict[str, Any], ...] = ()
    fires: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_form(self) -> Example:
        if (self.object_ is None) == (not self.objects):
            raise ValueError("give either `object` or `objects`")
        return self

    @property
    def documents(self) -> tuple[dict[str, Any], ...]:
        """The example's objects, whichever form it was written in."""
        return (self.object_,) if self.object_ is not None else self.objects


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
    """

    id: str = Field(pattern=CHECK_ID)
    title: str = Field(min_length=1)
    severity: Severity
    threats: tuple[str, ...] = Field(min_length=1)
    mitigation: str = Field(min_length=1)
    match: Match
    scope: Literal["object", "topology"]
    variables: tuple[Variable, ...] = ()
    expression: str = Field(min_length=1)
    field: str = Field(min_length=1)
    message: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    providers: tuple[Literal["aws", "azure", "vsphere", "docker", "any"], ...] = Field(min_length=1)
    unknown_when: tuple[str, ...] = Field(default=(), alias="unknownWhen")
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
        issues = cel_variables.reading_problems([(v.name, v.expression) for v in declared], value)
        if issues:
            raise ValueError("; ".join(issues))
        return value

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
