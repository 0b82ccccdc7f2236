"""A check as data: which objects it matches, the CEL that is true when they comply, and
what to tell the user when they do not.

Checks live in `checks/data/*.yaml`; this model is the schema those files must meet.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from capsa.checks import variables as cel_variables
from capsa.checks.findings import Severity
from capsa.frozen import FrozenModel

CHECK_ID = r"^CAPSA-[A-Z0-9]+-\d{3}$"
THREAT_ID = (
    r"STRIDE-(?:SPOOF-[1-5]|TAMPER-[12]|REPUDIATE-0[12]|INFODISCLOSE-[1-4]|DOS-[1-6]|EOP-[1-3])"
    r"|DEV-01|DEV-02|DEV-SBOM"
)
MITIGATION_ID = rf"^(?:{THREAT_ID})\.M[1-9][0-9]*$"

FieldPath = tuple[str, ...]


def parse_field(path: str) -> FieldPath:
    """Split a dotted field path ("spec.users.*.sudo") into its steps."""
    return tuple(step for step in path.strip().split(".") if step)


class KindMatch(BaseModel):
    """One API group + kind (optionally limited to some versions) a check applies to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str
    kind: str = Field(min_length=1)
    versions: tuple[str, ...] | None = None


class Match(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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


class Examples(FrozenModel):
    """Inputs that make a check fire (`fail`) and that keep it silent (`pass`); a test
    runs each through the engine and fails when one does not behave as labelled."""

    fail: tuple[Example, ...] = ()
    pass_: tuple[Example, ...] = Field(default=(), alias="pass")


class Check(BaseModel):
    """One rule. `expression` is CEL over `object` (and `context` for topology checks) and
    is true when the object complies, as in a ValidatingAdmissionPolicy.

    `field` is a dotted path (`*` for any list item); alternatives separated by `|` cover
    kinds that keep the same setting at different depths (a template's
    `spec.template.spec` vs an object's `spec`): the first one present in a document is
    where a finding points.

    `variables` are named CEL expressions in the admission-policy form (read as
    `variables.<name>`); entries the data file takes from the shared library
    (`use: [...]`, `match.kindGroups`) arrive here already expanded, so a check is
    self-contained.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(pattern=CHECK_ID)
    title: str = Field(min_length=1)
    severity: Severity
    threats: tuple[str, ...] = Field(min_length=1)
    mitigation: str = Field(pattern=MITIGATION_ID)
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
    examples: Examples = Examples()

    @field_validator("threats")
    @classmethod
    def _known_threats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for threat in value:
            if not re.fullmatch(THREAT_ID, threat):
                raise ValueError(f"unknown threat id {threat!r}")
        return value

    @model_validator(mode="after")
    def _mitigation_of_a_listed_threat(self) -> Check:
        threat = self.mitigation.rpartition(".M")[0]
        if threat not in self.threats:
            raise ValueError(f"mitigation {self.mitigation} is not under one of {self.threats}")
        return self

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
