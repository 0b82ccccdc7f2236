"""The one record every source yields: a Kubernetes-style object and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from capsa.display import shown
from capsa.kube import group_of
from capsa.slotted import Slotted


@dataclass(frozen=True, slots=True)
class Origin(Slotted):
    """Where a resource was read: a file (path, line of its document) or a cluster URL.

    `carrier` names the object a resource was embedded in (e.g. the ClusterResourceSet
    ConfigMap that ships it), so findings point at the file a user can edit.
    `generated` is set on objects read from a file a kustomize generator turns into
    ConfigMap/Secret data: that generated object's `Kind/namespace/name`
    (`capsa.sources.generators`). Their positions are the file's own. `carrier` is
    read by people: an unresolved clusterctl variable in it reads `${VAR}` (`shown`).
    """

    path: str
    line: int | None = None
    carrier: str | None = None
    generated: str | None = None

    def __post_init__(self) -> None:
        if self.carrier is not None:
            object.__setattr__(self, "carrier", shown(self.carrier))


@dataclass(frozen=True)
class ValueFact:
    """A yes/no fact read from one data value of a ConfigMap or Secret before its text
    was dropped (`capsa.sources.value_facts`): its `name`, the data `key` it was read
    from, and the answer. Nothing else of the value is kept."""

    name: str
    key: str
    value: bool


DefaultSpan = tuple[tuple[str, ...], int, int]
"""A clusterctl template default in a field (`capsa.sources.defaulted`): the variables
that took it, and where its characters start in the field's text and how many there
are; (variables, 0, -1) when the whole value is the default's (a number or a boolean it
became, or text it could not be found in)."""

FieldOrigin = tuple[str, int, tuple[str | int, ...]]
"""Where a patched value was written (file, line) and the field the patch wrote."""


@dataclass(frozen=True)
class Resource:
    """A Kubernetes object as read. `body` is the parsed YAML (LineDict/LineList when from
    a file, so field lines can be looked up); `unknown_paths` lists fields whose value is an
    unresolved clusterctl variable and must be treated as unknown, never as compliant.
    `fragment_of` names the kustomization that lists the resource's file as a patch: the
    document holds only what the patch changes (`capsa.sources.kustomize`).
    `unknown_reasons` says, for unknown paths whose cause is not a clusterctl variable
    (a ClusterClass patch capsa cannot evaluate), what would decide them.
    `field_origins` says where a field set by a ClusterClass patch was written (the
    Cluster variable or class default it came from, as file and line, and the field the
    patch wrote): findings on it point there, not at the template.
    `value_facts` are the yes/no answers read from ConfigMap/Secret values as they were
    read (a Secret's values are redacted right after). `defaulted` names, for fields
    whose value is a clusterctl template's own default (`${VAR:=value}` with no value
    for VAR), where it stands in the field (`capsa.sources.defaulted`)."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    body: dict[str, Any]
    origin: Origin
    unknown_paths: frozenset[tuple[str | int, ...]] = field(default_factory=frozenset)
    fragment_of: str | None = None
    unknown_reasons: dict[tuple[str | int, ...], str] = field(default_factory=dict, compare=False)
    field_origins: dict[tuple[str | int, ...], FieldOrigin] = field(
        default_factory=dict, compare=False
    )
    value_facts: tuple[ValueFact, ...] = ()
    defaulted: dict[tuple[str | int, ...], tuple[DefaultSpan, ...]] = field(
        default_factory=dict, compare=False
    )

    # Cached: checks, topology and the graph ask for these hundreds of thousands of times
    # on a large scan. cached_property writes the instance __dict__, so frozen is kept.
    @cached_property
    def group(self) -> str:
        return group_of(self.api_version)

    @cached_property
    def version(self) -> str:
        return self.api_version.rsplit("/", 1)[-1]

    @cached_property
    def identity(self) -> str:
        """Stable identity used in fingerprints: group/kind/namespace/name."""
        return identity_of(self.group, self.kind, self.namespace, self.name)

    def marked(self, **changes: Any) -> Resource:
        """This object with `changes` (`dataclasses.replace`), for marking it as read
        (a fragment, a generator's payload): planning's stubs override it to stay
        stubs, where `replace` would read and keep each marked one's body."""
        return replace(self, **changes)


def identity_of(group: str, kind: str, namespace: str | None, name: str) -> str:
    """`Resource.identity` of an object of `group`, `kind`, `namespace` and `name`, for
    what knows them without a `Resource` (planning's heads, `capsa.scan.parts`)."""
    return f"{group}/{kind}/{namespace or ''}/{name}"
