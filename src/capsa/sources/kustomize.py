"""Kustomize patch files are fragments, not objects.

A file that a kustomization lists under `patches`, `patchesStrategicMerge` or
`patchesJson6902` holds only the fields it changes in its base: judged as a whole
object it would "lack" everything else. capsa does not build overlays (a kustomize build
can run plugins and fetch remote bases, and loses the positions findings point at), so it
marks such documents as fragments instead; the checks then let a fragment add evidence
only where it sets the field itself (`capsa.checks.engine`), and the topology leaves
fragments out (`capsa.capi.topology`).

Only the fields capsa reads of a kustomization are kept (`read_fields`), in memory and in
the cache: a `secretGenerator`'s `literals` and `envs`, an inline patch, or a remote
resource's URL (which may carry a token) never leave the document they were read from.

Paths are resolved against the kustomization's directory. Copies of a repository that
flatten its tree into one directory, naming each file after its path with `/` replaced by
`__` (as mirrors and test corpora do), are resolved the same way.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from capsa.kube import items_of
from capsa.sources.resource import Resource

_FLAT = "__"


def _patch_entries(doc: Mapping[Any, Any]) -> Iterator[str]:
    """The file paths a kustomization names as patches (inline patches name none)."""
    for entry in items_of(doc.get("patchesStrategicMerge")):
        if isinstance(entry, str) and "\n" not in entry:  # a string may be an inline patch
            yield entry
    for key in ("patches", "patchesJson6902"):
        for entry in items_of(doc.get(key)):
            if isinstance(entry, Mapping) and isinstance(entry.get("path"), str):
                yield entry["path"]


GENERATORS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}
"""A kustomization's generator fields and the kind each makes."""


def _name_hash_option(options: Any) -> dict[str, Any] | None:
    if isinstance(options, Mapping) and options.get("disableNameSuffixHash") is True:
        return {"disableNameSuffixHash": True}
    return None


def _generator_fields(generator: Any) -> dict[str, Any] | None:
    """What `capsa.sources.generators` reads of one generator: its name, namespace, the
    name-hash option and the files it lists; never `literals`, `envs` or `env`."""
    if not isinstance(generator, Mapping) or not isinstance(generator.get("name"), str):
        return None
    kept: dict[str, Any] = {"name": generator["name"]}
    if isinstance(generator.get("namespace"), str):
        kept["namespace"] = generator["namespace"]
    options = _name_hash_option(generator.get("options"))
    if options is not None:
        kept["options"] = options
    files = generator.get("files")
    if isinstance(files, list):
        kept["files"] = [entry for entry in files if isinstance(entry, str)]
    return kept


def read_fields(doc: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields of a kustomization capsa reads (patch files, generators' names and
    files, name prefix/suffix, namespace, local `resources`), and nothing else: no value a
    kustomization generates (`literals`, `envs`), no inline patch, no remote URL."""
    kept: dict[str, Any] = {}
    for key in ("namePrefix", "nameSuffix", "namespace"):
        if isinstance(doc.get(key), str):
            kept[key] = doc[key]
    options = _name_hash_option(doc.get("generatorOptions"))
    if options is not None:
        kept["generatorOptions"] = options
    merges = doc.get("patchesStrategicMerge")
    if isinstance(merges, list):
        kept["patchesStrategicMerge"] = [e for e in merges if isinstance(e, str) and "\n" not in e]
    for key in ("patches", "patchesJson6902"):
        entries = doc.get(key)
        if isinstance(entries, list):
            kept[key] = [
                {"path": e["path"]}
                for e in entries
                if isinstance(e, Mapping) and isinstance(e.get("path"), str)
            ]
    resources = doc.get("resources")
    if isinstance(resources, list):
        kept["resources"] = [e for e in resources if isinstance(e, str) and "://" not in e]
    for key in GENERATORS:
        generators = doc.get(key)
        if isinstance(generators, list):
            kept[key] = [g for g in map(_generator_fields, generators) if g is not None]
    return kept


def candidates(kustomization: str, entry: str) -> Iterator[str]:
    """Where the file `entry` of `kustomization` may be: beside it, or under its flattened
    name when the kustomization's own name is a flattened path."""
    folder, name = os.path.split(kustomization)
    yield os.path.normpath(os.path.join(folder, entry))
    if _FLAT in name:
        logical = posixpath.normpath(
            posixpath.join(name.rsplit(_FLAT, 1)[0].replace(_FLAT, "/"), entry)
        )
        if not logical.startswith("../"):
            yield os.path.normpath(os.path.join(folder, logical.replace("/", _FLAT)))


def patch_files(kustomizations: Iterable[tuple[str, Mapping[Any, Any]]]) -> dict[str, str]:
    """Each patch file's normalised path, with the kustomization that lists it."""
    found: dict[str, str] = {}
    for path, doc in kustomizations:
        for entry in _patch_entries(doc):
            for candidate in candidates(path, entry):
                found.setdefault(candidate, path)
    return found


def mark_fragments(
    resources: Sequence[Resource], kustomizations: Iterable[tuple[str, Mapping[Any, Any]]]
) -> list[Resource]:
    """`resources` with those read from a listed patch file marked as fragments."""
    return mark_patch_files(resources, patch_files(kustomizations))


def mark_patch_files(resources: Sequence[Resource], patches: Mapping[str, str]) -> list[Resource]:
    """`resources` with those read from one of `patches` (`patch_files`) marked as
    fragments of the kustomization that lists it."""
    if not patches:
        return list(resources)
    out: list[Resource] = []
    for resource in resources:
        owner = None
        if resource.origin.carrier is None:
            owner = patch_owner(patches, resource.origin.path)
        out.append(resource if owner is None else resource.marked(fragment_of=owner))
    return out


def patch_owner(patches: Mapping[str, str], path: str) -> str | None:
    """The kustomization listing the file at `path` as a patch (`patch_files`), if any."""
    return patches.get(os.path.normpath(path)) if patches else None
