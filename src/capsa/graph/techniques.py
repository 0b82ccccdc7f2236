"""The technique catalogue: capabilities an attacker can hold and the techniques (edges)
that lead from one to another, each naming the mitigations that block it.

The catalogue is data (`data/techniques.yaml`). Loading validates it whole and reports
every problem with file:line, including threat and mitigation ids the threat catalogue
does not know, so a typo cannot silently make an edge unblockable. Each technique carries
`examples`: the evidence under which its edge exists (`fail`) and is blocked or absent
(`pass`), run by the tests through `capsa.graph.examples`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field

from capsa.datafile import DataFile, Entry, Examples
from capsa.frozen import FrozenModel
from capsa.threats.catalogue import CatalogueIds, builtin_ids

Scope = Literal["global", "account", "namespace", "subject", "principal", "cluster", "pool"]
Role = Literal["control-plane", "worker"]
EdgeOutcome = Literal["open", "assumed", "unmitigated", "blocked", "absent"]
FIRING: frozenset[str] = frozenset({"open", "assumed", "unmitigated"})

BUILTIN = "builtin:techniques"
MANAGEMENT_ACCOUNT = "management"
_NOT_A_MAPPING = "a technique catalogue must be a YAML mapping with capabilities and techniques"

# How specific a scope is: an edge is instantiated at the more specific of its two ends.
SCOPE_RANK: Mapping[str, int] = {
    "global": 0,
    "account": 1,
    "namespace": 1,
    "subject": 2,
    "principal": 2,
    "cluster": 2,
    "pool": 3,
}


class Capability(FrozenModel):
    """A node type: something an attacker holds, instantiated once per `scope`."""

    id: str
    name: str
    scope: Scope
    entry: bool = False
    default_entry: bool = True
    entry_role: Role | None = None
    target: bool = False
    model: tuple[str, ...] = ()


class TechniqueExample(FrozenModel):
    """One generic workload cluster (a control plane plus `workerPools`), one RBAC subject
    able to read Secrets, mitigations whose checks passed (`holds`) or failed (`violated`)
    in every scope, model ids missing from the system (`absent`), and what becomes of the
    technique's edge there."""

    edge: EdgeOutcome
    holds: tuple[str, ...] = ()
    violated: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    worker_pools: tuple[str, ...] = ("workers",)


class Technique(FrozenModel):
    """An edge type between two capabilities. `decided_by` (optional) names the checks
    whose results decide its blocking mitigations for this edge, when a mitigation is
    broader than the edge (IMDS settings, not every check of "least privilege", decide
    whether a pod reaches IMDS)."""

    id: str
    name: str
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    from_role: Role | None = None
    to_role: Role | None = None
    from_account: str | None = None
    threats: tuple[str, ...]
    preconditions: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    decided_by: tuple[str, ...] = ()
    # From a `principal` capability: the cloud checks whose findings name the IAM roles
    # and users that may start it (each becomes an entry point only then).
    named_by: tuple[str, ...] = ()
    evidence: Scope | None = None
    likelihood: float = Field(gt=0.0, le=1.0)
    examples: Examples[TechniqueExample] = Examples[TechniqueExample]()


class _File(FrozenModel):
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


def load_techniques(path: str | Path | None = None) -> TechniqueCatalogue:
    """Load and validate a technique catalogue (the built-in one when `path` is None)."""
    if path is None:
        file = DataFile.builtin("capsa.graph", "data", "techniques.yaml", what=_NOT_A_MAPPING)
    else:
        file = DataFile.load(path, what=_NOT_A_MAPPING, noun="technique catalogue")
    return _catalogue(file)


def parse_techniques(text: str, display: str = "<techniques>") -> TechniqueCatalogue:
    """Parse catalogue text; every problem found is raised together as an InputError."""
    return _catalogue(DataFile.parse(display, text, what=_NOT_A_MAPPING))


def _catalogue(file: DataFile) -> TechniqueCatalogue:
    capabilities = file.entries(Capability, ("capabilities",))
    techniques = file.entries(Technique, ("techniques",))
    parsed = file.validate(
        _File, file.with_entries({"capabilities": capabilities, "techniques": techniques})
    )
    file.unique(capabilities, "capability id")
    file.unique(techniques, "technique id")
    caps = {c.value.id: c.value for c in capabilities}
    # ids as written: a capability with a schema error is not also "unknown" where used
    written = {c.get("id") for c in file.get(("capabilities",)) or () if isinstance(c, dict)}
    ids = builtin_ids()
    model_ids = {m for cap in caps.values() for m in cap.model}
    for entry in techniques:
        _technique_problems(file, entry, caps, written, ids, model_ids)
    efforts = parsed.efforts if parsed is not None else {}
    for mitigation, effort in efforts.items():
        ids.check_mitigation(file, ("efforts", mitigation), mitigation, "efforts")
        if effort <= 0:
            file.report(("efforts", mitigation), f"effort of {mitigation} must be > 0")
    file.raise_problems()
    return TechniqueCatalogue(
        (c.value for c in capabilities), (t.value for t in techniques), efforts, file.path
    )


def _technique_problems(
    file: DataFile,
    entry: Entry[Technique],
    caps: Mapping[str, Capability],
    written: set[object],
    ids: CatalogueIds,
    model_ids: set[str],
) -> None:
    tech, loc = entry.value, entry.loc
    for end, role in (("from", tech.from_role), ("to", tech.to_role)):
        cap_id = tech.source if end == "from" else tech.target
        end_cap = caps.get(cap_id)
        if cap_id not in written:
            file.report((*loc, end), f"{tech.id}: unknown capability {cap_id}")
        elif role is not None and end_cap is not None and end_cap.scope != "pool":
            file.report((*loc, end), f"{tech.id}: {end}Role needs a pool capability")
    source = caps.get(tech.source)
    from_principal = source is not None and source.scope == "principal"
    if from_principal and not tech.named_by:
        file.report(
            (*loc, "from"), f"{tech.id}: a technique from a principal needs `namedBy` checks"
        )
    elif tech.named_by and source is not None and not from_principal:
        file.report((*loc, "namedBy"), f"{tech.id}: namedBy needs a principal capability")
    if tech.from_account is not None and source is not None and source.scope != "account":
        file.report((*loc, "fromAccount"), f"{tech.id}: fromAccount needs an account capability")
    ids.check_threats(file, (*loc, "threats"), tech.threats, tech.id)
    for index, mitigation in enumerate(tech.blocked_by):
        ids.check_mitigation(file, (*loc, "blockedBy", index), mitigation, tech.id)
    for verdict, examples in tech.examples.by_verdict():
        for index, example in enumerate(examples):
            at = (*loc, "examples", verdict, index)
            fires = example.edge in FIRING
            if fires != (verdict == "fail"):
                file.report(
                    (*at, "edge"),
                    f"{tech.id}: a {verdict} example cannot show the edge {example.edge}",
                )
            for key, named in (("holds", example.holds), ("violated", example.violated)):
                for i, mitigation in enumerate(named):
                    ids.check_mitigation(file, (*at, key, i), mitigation, tech.id)
            for i, model_id in enumerate(example.absent):
                if model_id not in model_ids:
                    file.report(
                        (*at, "absent", i), f"{tech.id}: no capability stands for {model_id!r}"
                    )
