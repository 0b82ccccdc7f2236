"""Whether each mitigation holds, per scope, from the scanner's results.

Rule (per scope: a workload cluster, one of its machine groups, or the management scope
for resources outside every cluster): a mitigation is **violated** when any of its checks
has an unsuppressed finding there, **holds** when at least one of its checks passed there
and none failed, and is **unknown** otherwise. Unknown keeps the attack edge, marked
"assumed". Scopes merge the same way (account and namespace scopes merge their clusters
with the management scope).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from capsa.graph.deployment import Deployment


class Status(StrEnum):
    HOLDS = "holds"
    VIOLATED = "violated"
    UNKNOWN = "unknown"


@dataclass(frozen=True, order=True)
class EvidenceRef:
    """One check result behind a verdict."""

    check_id: str
    resource: str
    location: str | None
    passed: bool


@dataclass(frozen=True)
class Verdict:
    status: Status
    refs: tuple[EvidenceRef, ...] = ()


UNKNOWN = Verdict(Status.UNKNOWN)


class MitigationEvidence:
    """Check results per scope and mitigation, with the holds/violated/unknown rule."""

    def __init__(
        self,
        records: Mapping[str, Mapping[str, Sequence[EvidenceRef]]] | None = None,
        assumed: Iterable[str] = (),
    ) -> None:
        self._records: dict[str, dict[str, tuple[EvidenceRef, ...]]] = {
            scope: {m: tuple(sorted(set(refs))) for m, refs in per.items()}
            for scope, per in (records or {}).items()
        }
        self.assumed: frozenset[str] = frozenset(assumed)
        self._cache: dict[tuple[tuple[str, ...], str], Verdict] = {}

    def with_assumed(self, mitigations: Iterable[str]) -> MitigationEvidence:
        """The same evidence with `mitigations` taken to hold everywhere (what-if)."""
        out = MitigationEvidence(assumed=self.assumed | frozenset(mitigations))
        out._records = self._records
        return out

    def verdict(self, scopes: Sequence[str], mitigation: str) -> Verdict:
        """Merged verdict of `mitigation` over `scopes`."""
        if mitigation in self.assumed:
            return Verdict(Status.HOLDS)
        key = (tuple(scopes), mitigation)
        found = self._cache.get(key)
        if found is not None:
            return found
        refs: list[EvidenceRef] = []
        for scope in scopes:
            refs.extend(self._records.get(scope, {}).get(mitigation, ()))
        failed = tuple(r for r in refs if not r.passed)
        if failed:
            verdict = Verdict(Status.VIOLATED, failed)
        elif refs:
            verdict = Verdict(Status.HOLDS, tuple(refs))
        else:
            verdict = UNKNOWN
        self._cache[key] = verdict
        return verdict

    def by_scope(self) -> dict[str, dict[str, Status]]:
        """Scope -> mitigation -> status, for every scope that has results."""
        return {
            scope: {m: self.verdict((scope,), m).status for m in sorted(per)}
            for scope, per in sorted(self._records.items())
        }

    def scopes(self) -> list[str]:
        return sorted(self._records)


def _attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _identity(result: Any) -> tuple[str, str | None, str] | None:
    """(kind, namespace, name) of the resource a finding or check result is about.
    Accepts a `resource` record (kind/namespace/name) or an `identity` string
    `group/kind/namespace/name`."""
    resource = _attr(result, "resource")
    if resource is not None and _attr(resource, "kind") is not None:
        return (
            str(_attr(resource, "kind")),
            _attr(resource, "namespace"),
            str(_attr(resource, "name")),
        )
    identity = _attr(result, "identity")
    if identity is None and isinstance(resource, str):
        identity = resource
    if isinstance(identity, str) and identity.count("/") >= 3:
        _group, kind, namespace, name = identity.split("/", 3)
        return (kind, namespace or None, name)
    return None


def _location(result: Any) -> str | None:
    location = _attr(result, "location")
    if location is None:
        return None
    path, line = _attr(location, "path"), _attr(location, "line")
    if path is None:
        return None
    return f"{path}:{line}" if line is not None else str(path)


def build_evidence(
    result: Any,
    deployment: Deployment,
    check_mitigations: Mapping[str, str] | None = None,
) -> MitigationEvidence:
    """Attribute an EvaluationResult's findings and passes to scopes and mitigations.

    `check_mitigations` maps check id -> mitigation id for results that do not carry their
    mitigation themselves (passes). Suppressed findings are ignored: they neither violate
    nor evidence a mitigation.
    """
    mitigation_of = dict(check_mitigations or {})
    records: dict[str, dict[str, list[EvidenceRef]]] = defaultdict(lambda: defaultdict(list))

    def add(item: Any, passed: bool) -> None:
        check_id = str(_attr(item, "check_id"))
        mitigation = _attr(item, "mitigation") or mitigation_of.get(check_id)
        ident = _identity(item)
        if not mitigation or ident is None:
            return
        kind, namespace, name = ident
        shown = f"{kind} {namespace + '/' if namespace else ''}{name}"
        ref = EvidenceRef(check_id, shown, _location(item), passed)
        for scope in deployment.scopes_for(kind, namespace, name):
            records[scope][str(mitigation)].append(ref)

    for finding in _attr(result, "findings") or ():
        if not _attr(finding, "suppressed"):
            add(finding, passed=False)
    for passed in _attr(result, "passes") or ():
        add(passed, passed=True)
    return MitigationEvidence(records)
