"""Files a kustomization ships as ConfigMap/Secret data, not as objects.

A `configMapGenerator` or `secretGenerator` turns each file it lists into one data key of
a generated ConfigMap or Secret (the key is the file's base name, or `key` in the
`key=path` form; a directory contributes each file in it), so the YAML in such a file is
a payload: Cluster API applies it through a ClusterResourceSet to workload clusters, or
something else uses it, but kustomize never applies it to the cluster it builds for
(kustomize@12f9e6391464b3ad9dd3fe8182049dc1b1772990:api/types/kvpairsources.go:13-23,
api/internal/generators/utils.go:109-124).

Whether a ClusterResourceSet among the inputs carries the generated object follows from
its name: kustomize names it `namePrefix + name + nameSuffix`, plus `-<content hash>`
unless `disableNameSuffixHash` is set in the generator's `options` or (which wins) in
`generatorOptions` (api/types/generatoroptions.go:14-17,45-47; api/resource/factory.go:
83-84; api/internal/builtins/HashTransformer.go:22-31), and it rewrites references to
that name only in the fields its name-reference table lists, which hold no
ClusterResourceSet field (api/internal/konfig/builtinpluginconsts/namereference.go:30-143).
So a set that names the generated object as written carries it; a hashed name leaves
the destination unknown (only a kustomization's own `configurations` could make a
set's reference follow it, which capsa does not evaluate).

Objects read from a payload file keep their file and lines, and their origin names the
generated object (`Origin.carrier` for people, `Origin.generated` for the topology), so
they are never judged as objects of the management cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from capsa.kube import items_of
from capsa.sources.kustomize import GENERATORS, candidates
from capsa.sources.resource import Origin, Resource

_FLAT = "__"

Refs = set[tuple[str, str | None, str]]
"""ClusterResourceSet references: (kind, namespace, name) as `embedded.referenced` gives."""


@dataclass(frozen=True)
class Generated:
    """The ConfigMap/Secret a generator makes from one listed file.

    `name` is None when kustomize appends a content hash to it: a name capsa cannot
    know, which no ClusterResourceSet reference follows."""

    kustomization: str
    kind: str
    base_name: str
    name: str | None
    namespace: str | None
    key: str

    def object(self) -> str:
        """`Kind/namespace/name` of the generated object (`<hash>` standing for the hash)."""
        shown = self.name if self.name is not None else f"{self.base_name}-<hash>"
        return f"{self.kind}/{self.namespace or ''}/{shown}"

    def label(self) -> str:
        """`Kind/namespace/name:key`, the carrier label ClusterResourceSet payloads use."""
        return f"{self.object()}:{self.key}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _hashed(generator: Mapping[Any, Any], doc: Mapping[Any, Any]) -> bool:
    for options in (doc.get("generatorOptions"), generator.get("options")):
        if isinstance(options, Mapping) and options.get("disableNameSuffixHash") is True:
            return False
    return True


def _file_sources(generator: Mapping[Any, Any]) -> Iterator[tuple[str, str]]:
    """(key, path) of each `files` entry; an entry kustomize refuses is skipped."""
    for entry in items_of(generator.get("files")):
        if not isinstance(entry, str) or not entry:
            continue
        if entry.count("=") == 0:
            yield os.path.basename(entry.rstrip("/")), entry
        elif entry.count("=") == 1 and not entry.startswith("=") and not entry.endswith("="):
            key, path = entry.split("=")
            yield key, path


def generated_files(
    kustomizations: Iterable[tuple[str, Mapping[Any, Any]]],
) -> dict[str, list[Generated]]:
    """Each file (or directory) a generator lists, normalised like patch files, with what
    it becomes. A file two generators list is in both."""
    found: dict[str, list[Generated]] = {}
    for path, doc in kustomizations:
        prefix, suffix = _text(doc.get("namePrefix")), _text(doc.get("nameSuffix"))
        for field, kind in GENERATORS.items():
            for generator in items_of(doc.get(field)):
                if not isinstance(generator, Mapping) or not _text(generator.get("name")):
                    continue
                base = prefix + generator["name"] + suffix
                namespace = _text(generator.get("namespace")) or _text(doc.get("namespace"))
                name = None if _hashed(generator, doc) else base
                for key, entry in _file_sources(generator):
                    made = Generated(path, kind, base, name, namespace or None, key)
                    for candidate in candidates(path, entry):
                        found.setdefault(candidate, []).append(made)
    return found


class _Listing:
    """The listed paths, looked up by a file's own path, its folders and its folder's
    flattened names, so that finding what a file is a payload of costs the depth of its
    path, not the number of listed paths (a copied corpus lists hundreds)."""

    def __init__(self, files: Mapping[str, Sequence[Generated]]) -> None:
        self.files = files
        self.order = {listed: at for at, listed in enumerate(files)}
        self.by_folder: dict[str, list[tuple[str, str]]] = {}
        for listed in files:
            folder, name = os.path.split(listed)
            self.by_folder.setdefault(folder, []).append((listed, name))
        self.seen: dict[str, Sequence[Generated]] = {}

    def of(self, path: str) -> Sequence[Generated]:
        if path not in self.seen:
            self.seen[path] = self._find(path)
        return self.seen[path]

    def _find(self, path: str) -> Sequence[Generated]:
        """What `path` is a payload of: listed itself, or inside a listed directory (also
        in a flattened copy, where `dir/file` is named `dir__file`); among several
        directories, the one listed first."""
        exact = self.files.get(path)
        if exact:
            return exact
        folder, name = os.path.split(path)
        matches = [path[:at] for at, char in enumerate(path) if char == os.sep]
        matches = [m for m in matches if m in self.files]
        matches.extend(
            listed
            for listed, listed_name in self.by_folder.get(folder, ())
            if name.startswith(listed_name + _FLAT)
        )
        if not matches:
            return ()
        listed = min(matches, key=self.order.__getitem__)
        listed_name = os.path.split(listed)[1]
        return [replace(m, key=_inner_key(name, listed_name)) for m in self.files[listed]]


def _inner_key(name: str, listed_name: str) -> str:
    """The data key a file inside a listed directory gets: its own base name."""
    return name.rsplit(_FLAT, 1)[-1] if name.startswith(listed_name + _FLAT) else name


def _carried(made: Generated, refs: Refs) -> bool:
    """Whether a ClusterResourceSet among the inputs names the generated object."""
    if made.name is None:
        return False
    return any(
        kind == made.kind and name == made.name and (ns is None or made.namespace in (None, ns))
        for kind, ns, name in refs
    )


def describe(made: Generated, refs: Refs) -> str:
    """The carrier text findings show: what generates the object, and where it goes."""
    field = "configMapGenerator" if made.kind == "ConfigMap" else "secretGenerator"
    where = f"{made.label()}, from the {field} of {made.kustomization}"
    if _carried(made, refs):
        return f"{where}; a ClusterResourceSet applies it to workload clusters"
    if made.name is None:
        why = "kustomize adds a content hash to its name, which no ClusterResourceSet names"
    else:
        why = "no ClusterResourceSet among the inputs names it"
    return f"{where}; data kustomize does not apply as objects, destination unknown ({why})"


def resource_files(kustomizations: Iterable[tuple[str, Mapping[Any, Any]]]) -> set[str]:
    """Files some kustomization lists under `resources`: applied as objects, whatever
    else also ships them as data."""
    found: set[str] = set()
    for path, doc in kustomizations:
        for entry in items_of(doc.get("resources")):
            if isinstance(entry, str) and "://" not in entry:
                found.update(candidates(path, entry))
    return found


def mark_payloads(
    resources: Sequence[Resource],
    kustomizations: Iterable[tuple[str, Mapping[Any, Any]]],
    refs: Refs,
) -> list[Resource]:
    """`resources` with those read from a generator's file moved into the payload of the
    generated ConfigMap/Secret (`PayloadMarker`)."""
    return PayloadMarker(kustomizations, refs).mark(resources)


class PayloadMarker:
    """Moves objects read from a generator's file into the payload of the generated
    ConfigMap/Secret (a file listed by several generators goes with the first one a
    ClusterResourceSet carries, else the first). A file a kustomization also lists
    under `resources` stays an object: that kustomization applies it. The listing is
    worked out once, for a scan that marks group after group."""

    def __init__(self, kustomizations: Iterable[tuple[str, Mapping[Any, Any]]], refs: Refs):
        listed = list(kustomizations)
        files = generated_files(listed)
        for applied in resource_files(listed) if files else ():
            files.pop(applied, None)
        self.refs = refs
        self.listing = _Listing(files) if files else None

    def mark(self, resources: Sequence[Resource]) -> list[Resource]:
        listing = self.listing
        if listing is None:
            return list(resources)
        out: list[Resource] = []
        for resource in resources:
            carried = None
            if resource.fragment_of is None:
                carried = self.origin_of(resource.origin)
            out.append(resource if carried is None else resource.marked(origin=carried))
        return out

    def origin_of(self, origin: Origin) -> Origin | None:
        """The origin an object read at `origin` (not a fragment) gets as a payload of
        a generated ConfigMap/Secret; None when it is no generator's."""
        listing = self.listing
        if listing is None or origin.carrier is not None:
            return None
        made = listing.of(os.path.normpath(origin.path))
        if not made:
            return None
        chosen = next((m for m in made if _carried(m, self.refs)), made[0])
        return replace(origin, carrier=describe(chosen, self.refs), generated=chosen.object())
