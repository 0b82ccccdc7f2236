"""The technique catalogue: capabilities an attacker can hold and the techniques (edges)
that lead from one to another, each naming the mitigations that block it.

The catalogue is data (`data/techniques.yaml`). Loading validates it whole and reports
every problem with file:line, including threat and mitigation ids the threat catalogue
does not know, so a typo cannot silently make an edge unblockable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from capsa.errors import InputError, Problem
from capsa.graph import catalogue_ids
from capsa.yamlio import LineDict, LineList, key_position_of, load_one_with_lines, position_of

Scope = Literal["global", "account", "namespace", "subject", "cluster", "pool"]
Role = Literal["control-plane", "worker"]

BUILTIN = "builtin:techniques"
MANAGEMENT_ACCOUNT = "management"

# How specific a scope is: an edge is instantiated at the more specific of its two ends.
SCOPE_RANK: Mapping[str, int] = {
    "global": 0,
    "account": 1,
    "namespace": 1,
    "subject": 2,
    "cluster": 2,
    "pool": 3,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Capability(_Frozen):
    """A node type: something an attacker holds, instantiated once per `scope`."""

    id: str
    name: str
    scope: Scope
    entry: bool = False
    default_entry: bool = Field(default=True, alias="defaultEntry")
    entry_role: Role | None = Field(default=None, alias="entryRole")
    target: bool = False
    model: tuple[str, ...] = ()


class Technique(_Frozen):
    """An edge type between two capabilities."""

    id: str
    name: str
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    from_role: Role | None = Field(default=None, alias="fromRole")
    to_role: Role | None = Field(default=None, alias="toRole")
    from_account: str | None = Field(default=None, alias="fromAccount")
    threats: tuple[str, ...]
    preconditions: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = Field(default=(), alias="blockedBy")
    evidence: Scope | None = None
    likelihood: float = Field(gt=0.0, le=1.0)


class _File(_Frozen):
    capabilities: tuple[Capability, ...]
    techniques: tuple[Technique, ...]
    efforts: dict[str, float] = Field(default_factory=dict)


class TechniqueCatalogue:
    """Validated capabilities and techniques, indexed for building graphs."""

    def __init__(
        self,
        capabilities: Iterable[Capability],
        techniques: Iterable[Technique],
        efforts: Mapping[str, float] | None = None,
        source: str = BUILTIN,
    ) -> None:
        self.capabilities: dict[str, Capability] = {c.id: c for c in capabilities}
        self.techniques: tuple[Technique, ...] = tuple(techniques)
        self.efforts: dict[str, float] = dict(efforts or {})
        self.source = source

    def effort(self, mitigation: str) -> float:
        """Relative cost of a mitigation (1 when the table does not say)."""
        return self.efforts.get(mitigation, 1.0)

    def mitigations(self) -> list[str]:
        """Every mitigation id some technique names, sorted."""
        return sorted({m for t in self.techniques for m in t.blocked_by})

    def technique(self, technique_id: str) -> Technique:
        for technique in self.techniques:
            if technique.id == technique_id:
                return technique
        raise KeyError(technique_id)

    def edge_scope(self, technique: Technique) -> str:
        """The scope a technique is instantiated at: the more specific of its ends."""
        a = self.capabilities[technique.source].scope
        b = self.capabilities[technique.target].scope
        return a if SCOPE_RANK[a] >= SCOPE_RANK[b] else b


_MITIGATION_RE = re.compile(r"^(?P<threat>[A-Z][A-Z0-9-]*[A-Z0-9])\.M[1-9][0-9]*$")


def load_techniques(path: str | Path | None = None) -> TechniqueCatalogue:
    """Load and validate a technique catalogue (the built-in one when `path` is None)."""
    if path is None:
        display = BUILTIN
        text = (resources.files("capsa.graph") / "data" / "techniques.yaml").read_text("utf-8")
    else:
        display = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(display, None, None, f"cannot read: {exc}")]) from None
    return parse_techniques(text, display)


def parse_techniques(text: str, display: str = "<techniques>") -> TechniqueCatalogue:
    """Parse catalogue text; every problem found is raised together as an InputError."""
    try:
        doc = load_one_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError([Problem(display, line, None, str(exc.problem or exc))]) from None
    if not isinstance(doc, LineDict):
        raise InputError([Problem(display, 1, None, "expected a mapping with capabilities")])
    try:
        parsed = _File.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            pos = key_position_of(doc, loc) or position_of(doc, loc)
            where = ".".join(str(p) for p in loc)
            problems.append(
                Problem(display, pos[0] if pos else None, None, f"{where}: {err['msg']}")
            )
        raise InputError(problems) from None
    problems = _semantic_problems(parsed, doc, display)
    if problems:
        raise InputError(problems)
    return TechniqueCatalogue(parsed.capabilities, parsed.techniques, parsed.efforts, display)


def _line(doc: Any, *path: str | int) -> int | None:
    pos = position_of(doc, tuple(path))
    return pos[0] if pos else None


def _semantic_problems(parsed: _File, doc: LineDict, display: str) -> list[Problem]:
    problems: list[Problem] = []
    known = catalogue_ids.known_ids()
    caps: dict[str, Capability] = {}
    for i, cap in enumerate(parsed.capabilities):
        if cap.id in caps:
            problems.append(
                Problem(display, _line(doc, "capabilities", i), None, f"duplicate id {cap.id}")
            )
        caps[cap.id] = cap
    seen: set[str] = set()
    raw = doc.get("techniques")
    for i, tech in enumerate(parsed.techniques):
        item = raw[i] if isinstance(raw, LineList) else None

        def at(key: str, item: Any = item, i: int = i) -> int | None:
            return _line(item, key) if item is not None else _line(doc, "techniques", i)

        if tech.id in seen:
            problems.append(Problem(display, at("id"), None, f"duplicate technique {tech.id}"))
        seen.add(tech.id)
        for end, role in (("from", tech.from_role), ("to", tech.to_role)):
            cap_id = tech.source if end == "from" else tech.target
            end_cap = caps.get(cap_id)
            if end_cap is None:
                problems.append(
                    Problem(display, at(end), None, f"{tech.id}: unknown capability {cap_id}")
                )
            elif role is not None and end_cap.scope != "pool":
                problems.append(
                    Problem(display, at(end), None, f"{tech.id}: {end}Role needs a pool capability")
                )
        source = caps.get(tech.source)
        if tech.from_account is not None and (source is None or source.scope != "account"):
            problems.append(
                Problem(
                    display,
                    at("fromAccount"),
                    None,
                    f"{tech.id}: fromAccount needs an account capability",
                )
            )
        for threat in tech.threats:
            if threat not in known.threats:
                problems.append(
                    Problem(display, at("threats"), None, f"{tech.id}: unknown threat {threat}")
                )
        for mitigation in tech.blocked_by:
            problems.extend(_mitigation_problems(mitigation, known, display, at("blockedBy")))
    for mitigation in parsed.efforts:
        line = _line(doc, "efforts", mitigation)
        problems.extend(_mitigation_problems(mitigation, known, display, line))
        if parsed.efforts[mitigation] <= 0:
            problems.append(Problem(display, line, None, f"effort of {mitigation} must be > 0"))
    return problems


def _mitigation_problems(
    mitigation: str, known: catalogue_ids.KnownIds, display: str, line: int | None
) -> list[Problem]:
    match = _MITIGATION_RE.match(mitigation)
    if match is None:
        return [Problem(display, line, None, f"{mitigation}: not a <threat id>.M<k> id")]
    if known.mitigations is not None and mitigation not in known.mitigations:
        return [Problem(display, line, None, f"unknown mitigation {mitigation}")]
    if match.group("threat") not in known.threats:
        return [Problem(display, line, None, f"{mitigation}: unknown threat")]
    return []
