"""Which parsed documents are Kubernetes objects, and the Resources they become.

- a mapping with `apiVersion` and `kind` is a resource; `kind: List` (and `*List` with
  `items`) is unwrapped;
- tool configuration that is not a cluster object is skipped silently and counted:
  kustomize `Kustomization`/`Component` files (with or without apiVersion/kind),
  JSON-patch files (a list of `{op, path}`), clusterctl and e2e configuration files
  (`capsa.sources.clusterctl_config`), and a whole document that is one unresolved
  variable;
- any other YAML without `apiVersion`/`kind` is reported as not a Kubernetes object;
- empty documents (a trailing `---`) are ignored.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capsa.errors import Problem
from capsa.sources import clusterctl_config, shapes
from capsa.sources.aws import cloudformation
from capsa.sources.clusterctl_vars import UNRESOLVED_RE, DefaultUse, TargetNamespace
from capsa.sources.defaulted import defaulted_paths
from capsa.sources.kustomize import read_fields
from capsa.sources.markers import fill_and_find_unknown
from capsa.sources.resource import Origin, Resource
from capsa.yamlio import LineList

_KUSTOMIZE_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization"})
_KUSTOMIZE_KEYS = frozenset(
    {
        "resources", "bases", "components", "patches", "patchesStrategicMerge",
        "patchesJson6902", "namespace", "namePrefix", "nameSuffix", "commonLabels",
        "commonAnnotations", "labels", "images", "replicas", "configurations",
        "configMapGenerator", "secretGenerator", "generatorOptions", "generators",
        "transformers", "validators", "vars", "replacements", "crds", "openapi",
        "helmCharts", "helmGlobals", "buildMetadata", "sortOptions", "apiVersion", "kind",
    }
)  # fmt: skip


@dataclass
class Tally:
    """What reading produced so far: resources, problems, and documents read and skipped."""

    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    documents: int = 0
    skipped: int = 0
    kustomizations: list[tuple[str, dict[Any, Any]]] = field(default_factory=list)


def _is_kustomize(doc: dict[Any, Any], file_name: str) -> bool:
    if doc.get("kind") in ("Kustomization", "Component") and str(
        doc.get("apiVersion", "")
    ).startswith("kustomize.config.k8s.io/"):
        return True
    if "kind" in doc or "apiVersion" in doc:
        return False
    return file_name.lower() in _KUSTOMIZE_NAMES or (
        bool(doc)
        and all(isinstance(k, str) and k in _KUSTOMIZE_KEYS for k in doc)
        and any(k in doc for k in ("resources", "bases", "components", "patches"))
    )


def _is_json_patch(doc: Any) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(op, dict) and "op" in op and "path" in op for op in doc)
    )


def _objects(
    doc: Any, line: int, path: str, file_name: str, tally: Tally
) -> Iterator[tuple[int, dict[Any, Any]]]:
    """The Kubernetes objects of one document (a List yields its items)."""
    if doc is None:
        return
    if isinstance(doc, str) and UNRESOLVED_RE.fullmatch(doc.strip()):
        tally.skipped += 1  # a whole payload still waiting for its variable
        return
    if _is_json_patch(doc):
        tally.skipped += 1  # a kustomize patch file, applied by a kustomization
        return
    if not isinstance(doc, dict):
        shown = "list" if isinstance(doc, list) else "scalar"
        tally.problems.append(
            Problem(path, line, None, f"not a Kubernetes object (a YAML {shown}); skipped", True)
        )
        return
    if _is_kustomize(doc, file_name):
        tally.skipped += 1
        tally.problems.extend(shapes.kustomization_problems(doc, path, line))
        # its patch files are fragments, its generators' files payloads; only what those
        # steps read is kept (never a secretGenerator's literals, nor a field of the
        # wrong type)
        tally.kustomizations.append((path, read_fields(doc)))
        return
    if clusterctl_config.is_config(doc):
        tally.skipped += 1
        return
    if cloudformation.is_template(doc):  # read for its IAM resources (capsa.sources.aws)
        yield line, cloudformation.as_manifest(doc, file_name)
        return
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind is None or api_version is None:
        message = "not a Kubernetes object (no apiVersion/kind); skipped"
        tally.problems.append(Problem(path, line, None, message, is_note=True))
        return
    if not isinstance(kind, str) or not isinstance(api_version, str) or not kind:
        tally.problems.append(Problem(path, line, None, "apiVersion and kind must be text"))
        return
    if kind == "List" or (kind.endswith("List") and isinstance(doc.get("items"), list)):
        items = doc.get("items")
        if items is not None and not isinstance(items, list):
            message = f"{kind}: items must be a list of objects; nothing in it was read"
            tally.problems.append(Problem(path, line, None, message))
            return
        for index, item in enumerate(items if isinstance(items, list) else []):
            at = items.item_position(index) if isinstance(items, LineList) else None
            item_line = at[0] if at is not None else line
            yield from _objects(item, item_line, path, file_name, tally)
        return
    unnamed = shapes.name_problem(doc, path, line)
    if unnamed is not None:
        tally.problems.append(unnamed)
        return
    tally.problems.extend(shapes.object_problems(doc, path, line))
    yield line, doc


def _resource(
    doc: dict[Any, Any],
    origin: Origin,
    unknown: frozenset[Any],
    target: TargetNamespace | None,
    defaults: Sequence[DefaultUse],
    source: Sequence[str],
) -> Resource:
    """The Resource of `doc`, in clusterctl's target namespace where it lands there
    (`clusterctl_vars.target_namespace`)."""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace = meta.get("namespace")
    if target is not None:
        namespace = target.applied(doc["kind"], namespace if isinstance(namespace, str) else None)
    name = meta.get("name") if isinstance(meta.get("name"), str) else meta.get("generateName")
    return Resource(
        api_version=doc["apiVersion"],
        kind=doc["kind"],
        namespace=namespace if isinstance(namespace, str) else None,
        name=name if isinstance(name, str) else "",
        body=doc,
        origin=origin,
        unknown_paths=unknown,
        defaulted=defaulted_paths(doc, defaults, source) if defaults else {},
    )


def to_resources(
    docs: list[tuple[int, Any]],
    path: str,
    tally: Tally,
    make_origin: Callable[[int], Origin],
    deferred: Mapping[str, str],
    marked: Sequence[bool],
    *,
    target_namespace: TargetNamespace | None = None,
    defaults: Sequence[DefaultUse] = (),
    source: str = "",
) -> None:
    """Add the objects of `docs` (first line, document) to `tally`, each with the origin
    `make_origin` gives its line; `marked` says, per document, whether its text holds a
    marker substitution left (`documents.load_documents`);
    `target_namespace` is where clusterctl puts the file's objects;
    `defaults` where substitution took a template's own defaults in `source`, the text
    the documents were read from."""
    file_name = os.path.basename(path)
    lines = source.splitlines() if defaults else []
    default_lines = [use.line for use in defaults]  # in text order
    for index, (line, doc) in enumerate(docs):
        tally.documents += 1
        # a document's defaults lie between its first line and the next document's
        end = docs[index + 1][0] if index + 1 < len(docs) else None
        own = defaults[
            bisect_left(default_lines, line) : (
                len(defaults) if end is None else bisect_left(default_lines, end)
            )
        ]
        for obj_line, obj in _objects(doc, line, path, file_name, tally):
            unknown = fill_and_find_unknown(obj, deferred) if marked[index] else frozenset()
            origin = make_origin(obj_line)
            tally.resources.append(_resource(obj, origin, unknown, target_namespace, own, lines))
