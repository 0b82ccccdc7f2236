"""The Assessment: everything `capsa assess` learned, as one frozen value.

Writers (Markdown, HTML, SARIF, JSON) and `capsa diff` read only this, so a saved
`assessment.json` can be re-rendered or compared without rescanning anything.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, BinaryIO, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from capsa import SCHEMA as SCHEMA
from capsa.checks.findings import WIRE

# One scale, one resource identity and one location for scan and assessment.
from capsa.checks.findings import Location as Location
from capsa.checks.findings import ResourceRef as ResourceRef
from capsa.checks.findings import Severity as Severity
from capsa.frozen import FrozenModel
from capsa.model.types import SystemModel
from capsa.sim.records import FmeaReport
from capsa.slotted import Slotted

CheckId = Annotated[
    str,
    Field(
        validation_alias=AliasChoices("check", "checkId", "check_id"),
        serialization_alias="check",
    ),
]
"""A check id, written `check` like in the scan output (read also as the older
`checkId`, so assessments saved before the names were unified still load): for models
and for the records that are dataclasses alike."""


class _Frozen(FrozenModel):
    model_config = ConfigDict(serialize_by_alias=True)


class DeploymentStatus(StrEnum):
    """What the evidence says about a mitigation (or threat) in this deployment.

    A mitigation is verified when a check that shows it whole passed and nothing failed
    or stayed undecided; partly verified when the evidence shows part of it (checks that
    prove only part, or undecided results beside the passes); accepted when its only
    failures were suppressed with a reason. A threat is verified only when every
    mitigation its assessed carriers hold is verified (or accepted) and no open attack
    path uses a technique it covers (`capsa.assess.status`)."""

    VIOLATED = "violated"
    ACCEPTED = "accepted"  # only failures left are explicitly suppressed, with a reason
    VERIFIED = "verified"
    PARTLY_VERIFIED = "partly-verified"
    NOT_ASSESSABLE = "not-assessable"


# A slots dataclass, as `CheckOutcome` is and for the same reason (keyword-only: fields
# with defaults come between others, in the order the JSON has always had).
@dataclass(frozen=True, slots=True, kw_only=True)
class FindingRecord(Slotted):
    """A violated check on one resource; metadata only, never a field's value."""

    __pydantic_config__: ClassVar[dict[str, Any]] = WIRE

    fingerprint: str
    check_id: CheckId
    title: str
    severity: Severity
    threats: list[str] = field(default_factory=list)
    mitigation: str
    resource: ResourceRef
    location: Location
    message: str
    remediation: str
    references: list[str] = field(default_factory=list)
    suppressed: bool = False
    suppression_reason: str | None = None


# A slots dataclass, not a model, read and written like one (`WIRE`): an assessment holds
# one per result, and as a model each took about 1 KB (its field dict and fields-set),
# against under a tenth of that now (the corpus x40 gives 190,000). The docstring is the
# schema's description.
@dataclass(frozen=True, slots=True)
class CheckOutcome(Slotted):
    """A check that passed, could not decide, or did not apply, on one resource.
    `by_default` (passes only) cites the upstream default the pass rests on."""

    __pydantic_config__: ClassVar[dict[str, Any]] = WIRE

    check_id: CheckId
    resource: ResourceRef
    location: Location | None = None
    reason: str = ""
    by_default: str | None = None


EvidenceExtent = Literal["full", "partial"]
CheckSource = Literal["manifest", "live", "repository", "cloud"]


class CheckSummary(_Frozen):
    """One check and how it fared across all resources it matched. `mitigation` is empty
    for hygiene checks that evidence no mitigation; `evidence` says whether a pass shows
    the whole mitigation or part of it (`proves` says what); `source` is what it reads."""

    id: str
    title: str
    severity: Severity
    threats: list[str] = Field(default_factory=list)
    mitigation: str
    evidence: EvidenceExtent = "partial"
    proves: str = ""
    source: CheckSource = "manifest"
    passed: int = 0
    passed_by_default: int = 0
    failed: int = 0
    suppressed: int = 0
    unknown: int = 0
    not_applicable: int = 0


Carrier = Literal["deployment", "project", "platform"]


class MitigationAssessment(_Frozen):
    """One mitigation's status. `carrier` is who can put it in place and `required`
    whether this assessment holds that carrier to it (the deployment always, the project
    with --repo); `same_as` lists the mitigations of other threats recommending the same
    control, whose checks count here too."""

    id: str
    text: str
    upstream_status: str = ""
    status_in_2022: str = ""
    status_note: str = ""
    carrier: Carrier = "deployment"
    required: bool = True
    same_as: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    deployment_status: DeploymentStatus
    reason: str
    findings: list[str] = Field(default_factory=list, description="fingerprints")
    passed: list[CheckOutcome] = Field(default_factory=list)
    unknown: list[CheckOutcome] = Field(default_factory=list)
    not_applicable: list[CheckOutcome] = Field(default_factory=list)


class TrackingDecision(_Frozen):
    """What the team decided about a threat (from a tracking file)."""

    decision: str
    owner: str = ""
    reference: str = ""
    note: str = ""


class ThreatAssessment(_Frozen):
    id: str
    category: str
    title: str
    description: str = ""
    elements: list[str] = Field(default_factory=list)
    flows: list[str] = Field(default_factory=list)
    assets: list[str] = Field(default_factory=list)
    mitigations: list[MitigationAssessment] = Field(default_factory=list)
    deployment_status: DeploymentStatus
    reason: str = ""
    open_techniques: list[str] = Field(
        default_factory=list, description="techniques of this threat on an open attack path"
    )
    open_routes: dict[str, str] = Field(
        default_factory=dict,
        description="for each of those techniques on none of the listed paths (the best few "
        "per entry and target), one route from an entry to a target that uses it",
    )
    related_findings: list[str] = Field(
        default_factory=list,
        description="fingerprints of open findings of checks naming this threat that "
        "evidence none of its mitigations (hygiene checks, or another threat's "
        "mitigation), so they decide no status of it",
    )
    tracking: TrackingDecision | None = None


class GapEvidence(_Frozen):
    """One observation from the project repository about a project gap."""

    check: str
    ok: bool | None
    detail: str
    path: str | None = None


class ProjectGap(_Frozen):
    """A project-hygiene gap (a catalogue threat of the project-hygiene category) and what
    the repository shows: the same verdict as the threat's (`threat_status`), in the
    gap's own words (open, addressed, partly addressed, not assessable)."""

    id: str
    title: str
    description: str = ""
    status: Literal["open", "addressed", "partly-addressed", "not-assessable"]
    threat_status: DeploymentStatus | None = None
    reason: str = ""
    evidence: list[GapEvidence] = Field(default_factory=list)


class CandidateThreat(_Frozen):
    """A threat the generic engine derived that the catalogue does not list, with its
    status as `capsa threats` gives it: `mitigated_in_model` when the model's own facts
    mitigate it (its severity is then what it would be without), None in an assessment
    saved before the field existed."""

    id: str
    rule: str
    category: str
    title: str
    description: str = ""
    targets: list[str] = Field(default_factory=list)
    severity: str | None = None
    mitigated_in_model: bool | None = None

    @property
    def status(self) -> str:
        if self.mitigated_in_model is None:
            return "-"
        return "mitigated in the model" if self.mitigated_in_model else "open"


# A slots dataclass, as `CheckOutcome` is: a step lists every result behind its edge in
# every cluster the path runs through (the corpus x20: 55,000 of them, 48 MB as models).
@dataclass(frozen=True, slots=True, kw_only=True)
class PathEvidence(Slotted):
    """One check result behind an attack edge, in the same shape as `capsa paths` writes
    it: the check, whether it passed (or failed with the finding suppressed: `accepted`),
    the resource and location, and the line people read (`text`, with display paths), so
    a saved assessment.json re-renders without the graph."""

    __pydantic_config__: ClassVar[dict[str, Any]] = WIRE

    check: str = ""
    passed: bool = False
    resource: ResourceRef | None = None
    location: Location | None = None
    text: str
    accepted: bool = False  # a suppressed finding: the risk accepted, the edge still open

    def __str__(self) -> str:
        return self.text


class PathStepRecord(_Frozen):
    """One step of an attack path as the Assessment keeps it: the edge's `status` (open,
    assumed, ...) and the check results behind it."""

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    technique: str
    threats: list[str] = Field(default_factory=list)
    blocked_by: list[str] = Field(default_factory=list)
    status: str = ""
    evidence: list[PathEvidence] = Field(default_factory=list)

    @field_validator("evidence", mode="before")
    @classmethod
    def _text_evidence(cls, value: object) -> object:
        """Assessments saved before evidence had a shape held one line of text per item."""
        if isinstance(value, list):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value


class PathRecord(_Frozen):
    """An attack path as the Assessment keeps it (see `capsa.graph.search.AttackPath` for
    the search's own result, whose evidence is structured)."""

    entry: str
    target: str
    score: float
    clusters: list[str] = Field(default_factory=list)
    steps: list[PathStepRecord] = Field(default_factory=list)


class CutEntry(_Frozen):
    """A mitigation of the minimum cut, its checks and how many listed paths it closes."""

    mitigation: str
    checks: list[str] = Field(default_factory=list)
    paths_cut: int = 0
    paths: list[int] = Field(
        default_factory=list, description="the numbers (from 1) of the listed paths it closes"
    )


class UncuttableRoute(_Frozen):
    """An entry and a target joined by techniques no checkable mitigation blocks: no cut
    closes it. `techniques` is one such route, in order."""

    entry: str
    target: str
    techniques: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        via = f" via {' > '.join(self.techniques)}" if self.techniques else ""
        return f"{self.entry} -> {self.target}{via}"


class InputProblem(_Frozen):
    """An input problem that did not stop the assessment (file, line, message)."""

    path: str
    line: int | None = None
    column: int | None = None
    message: str

    @property
    def label(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class Inputs(_Frozen):
    """What was assessed. Variable values are never stored (they may be secrets)."""

    paths: list[str] = Field(default_factory=list)
    root: str | None = Field(
        default=None,
        description="the scan root every finding's location.path is relative to (relative "
        "to the working directory when inside it, else absolute; none for the bundled example)",
    )
    model: str = "builtin:capi-aws"
    cluster: str | None = None
    repo: str | None = None
    variables: list[str] = Field(default_factory=list, description="names only")
    vars_file: str | None = Field(default=None, description="written by earlier capsa")
    vars_files: list[str] = Field(default_factory=list)
    ignore_file: str | None = None
    tracking: str | None = None
    example: bool = False
    cloud: list[str] = Field(default_factory=list, description="cloud evidence sources read")
    cloud_note: str | None = None
    provider_note: str | None = Field(
        default=None,
        description="said when clusters run on providers the model does not describe "
        "(the built-in model is Cluster API on AWS)",
    )
    selection: list[str] = Field(
        default_factory=list,
        description="the options that left checks or files out, as given, with their source",
    )
    excluded_checks: list[str] = Field(
        default_factory=list,
        description="checks the selection left out (their mitigations are not assessed)",
    )
    skipped_files: int = Field(default=0, description="files --skip-path left unread")


class Summary(_Frozen):
    threats_by_status: dict[str, int] = Field(default_factory=dict)
    findings_by_severity: dict[str, int] = Field(default_factory=dict)
    suppressed: int = 0
    passes: int = 0
    unknown: int = 0
    resources: int = 0
    not_applicable: int = 0
    open_paths: int = 0
    cut: list[str] = Field(default_factory=list)
    cut_closes_every_path: bool = True
    judged_nothing: bool = Field(
        default=False,
        description="no check ran: no manifests, cluster or cloud account were given and "
        "the bundled example is not evidence about this model",
    )
    paths_not_searched: list[str] = Field(
        default_factory=list,
        description="why attack paths were not searched (no entry point or no target in "
        "the graph); empty when they were, and then no path or cut is claimed",
    )
    uncuttable: list[str] = Field(
        default_factory=list, description="entry -> target pairs no checkable mitigation closes"
    )
    errors: int = 0


class Assessment(_Frozen):
    schema_: Literal["capsa/v1"] = Field("capsa/v1", alias="schema")
    kind: Literal["Assessment"] = "Assessment"
    capsa_version: str
    generated_at: datetime
    inputs: Inputs
    model: SystemModel
    threats: list[ThreatAssessment] = Field(default_factory=list)
    checks: list[CheckSummary] = Field(default_factory=list)
    findings: list[FindingRecord] = Field(default_factory=list)
    passes: list[CheckOutcome] = Field(default_factory=list)
    unknown: list[CheckOutcome] = Field(default_factory=list)
    not_applicable: list[CheckOutcome] = Field(default_factory=list)
    gaps: list[ProjectGap] = Field(default_factory=list)
    candidates: list[CandidateThreat] = Field(default_factory=list)
    paths: list[PathRecord] = Field(default_factory=list)
    cut: list[CutEntry] = Field(default_factory=list)
    uncuttable: list[UncuttableRoute] = Field(default_factory=list)
    errors: list[InputProblem] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    fmea: FmeaReport | None = None

    def finding(self, fingerprint: str) -> FindingRecord | None:
        """One lookup; a report looking up many builds `findings_by_fingerprint` once."""
        return next((f for f in self.findings if f.fingerprint == fingerprint), None)

    def findings_by_fingerprint(self) -> dict[str, FindingRecord]:
        """Each fingerprint's finding (the first, as `finding` gives it): searching the
        list per lookup grew with the square of the findings (corpus x5: 3 s)."""
        index: dict[str, FindingRecord] = {}
        for found in self.findings:
            index.setdefault(found.fingerprint, found)
        return index

    def to_json(self) -> str:
        """The stable JSON form written to assessment.json (camelCase keys)."""
        return self.model_dump_json(indent=2, by_alias=True) + "\n"

    def write_json(self, out: BinaryIO) -> None:
        """`to_json`'s bytes written to `out` a field at a time, and a list's items one
        by one: made whole, the corpus x20's 255 MB document took 1 GB at its peak (the
        serializer's buffer, the string, the newline added, the encoded copy)."""
        out.write(b"{")
        for at, (name, info) in enumerate(type(self).model_fields.items()):
            value = getattr(self, name)
            out.write(b"\n" if at == 0 else b",\n")
            if isinstance(value, list) and value and _is_record(value[0]):
                key = json.dumps(info.serialization_alias or info.alias or name)
                out.write(f"  {key}: [".encode())
                for n, item in enumerate(value):
                    out.write(b"\n    " if n == 0 else b",\n    ")
                    out.write(_indented(_item_json(item), 4))
                out.write(b"\n  ]")
            else:
                whole = self.model_dump_json(include={name}, indent=2, by_alias=True)
                out.write(whole[2:-2].encode())  # the field's line(s), without the braces
        out.write(b"\n}\n")


def _is_record(value: object) -> bool:
    """A model, or a dataclass pydantic writes like one (`FindingRecord`, ...)."""
    return isinstance(value, BaseModel) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _item_json(item: object) -> str:
    """One list item as `to_json` writes it, indented as if at the top."""
    if isinstance(item, BaseModel):
        return item.model_dump_json(indent=2, by_alias=True)
    return _adapter(type(item)).dump_json(item, indent=2, by_alias=True).decode()


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}
"""One serializer per record class, built on first use (building one costs more than
writing a record)."""


def _adapter(kind: type) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def _indented(text: str, spaces: int) -> bytes:
    """`text` (indented JSON) with every line after the first moved right by `spaces`,
    as it stands nested that deep."""
    return text.replace("\n", "\n" + " " * spaces).encode()
