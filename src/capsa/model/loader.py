"""Read model files, merge `extends`, and report every problem with file:line:column."""

from __future__ import annotations

from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from capsa.datafile import DataFile, Loc, builtin_text
from capsa.errors import InputError, Problem
from capsa.model.types import API_VERSION, KIND, SystemModel
from capsa.model.validate import integrity_problems
from capsa.yamlio import LineDict

BUILTIN_PREFIX = "builtin:"
_MERGED_LISTS = ("boundaries", "elements", "assets", "dataFlows", "flows")
MAX_EXTENDS = 32
"""Models one `extends` chain may hold: deep enough for any real layering, and bounded."""


def builtin_names() -> list[str]:
    """Names of the models shipped inside the package."""
    folder = resources.files("capsa.model") / "builtin"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


_NOT_A_MAPPING = "a model file must be a YAML mapping with apiVersion and kind"


def _model_file(ref: str) -> DataFile:
    """The parsed model file for a path or `builtin:NAME`, its header checked."""
    if ref.startswith(BUILTIN_PREFIX):
        name = ref[len(BUILTIN_PREFIX) :]
        if name not in builtin_names():
            known = ", ".join(BUILTIN_PREFIX + n for n in builtin_names())
            raise InputError(
                [Problem(ref, None, None, f"no built-in model {name!r}; known: {known}")]
            )
        _, text = builtin_text("capsa.model", "builtin", f"{name}.yaml")
        file = DataFile.parse(ref, text, what=_NOT_A_MAPPING)
    else:
        file = DataFile.load(ref, what=_NOT_A_MAPPING, noun="model file")
    api = file.root.get("apiVersion")
    if api != API_VERSION:
        file.report(
            ("apiVersion",),
            f"unknown apiVersion {api!r}; this capsa reads {API_VERSION!r}",
            key=True,
        )
    if file.root.get("kind") != KIND:
        file.report(("kind",), f"kind must be {KIND!r}, got {file.root.get('kind')!r}", key=True)
    file.raise_problems()
    return file


def _items_by_id(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                out[item["id"]] = item
    return out


def _merge_item(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """An override replaces fields it names; `attributes` merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if key == "attributes" and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _merge(
    parent: dict[str, Any], child: LineDict
) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Apply a child model on top of its parent, item by item (matched on id).

    Also returns where each merged list item came from in the child file, so a
    validation error in a merged item points at the child's line, not at a stranger.
    """
    merged: dict[str, Any] = {k: v for k, v in parent.items() if k not in ("extends",)}
    from_child: dict[tuple[str, int], int] = {}
    for key, value in child.items():
        if key in _MERGED_LISTS:
            base_items = list(parent.get(key) or [])
            index = {
                item.get("id"): i for i, item in enumerate(base_items) if isinstance(item, dict)
            }
            for child_index, item in enumerate(value or []):
                item_id = item.get("id") if isinstance(item, dict) else None
                if item_id in index:
                    position = index[item_id]
                    base_items[position] = _merge_item(base_items[position], item)
                else:
                    position = len(base_items)
                    base_items.append(item)
                from_child[(key, position)] = child_index
            merged[key] = base_items
        elif key == "metadata" and isinstance(parent.get("metadata"), dict):
            merged[key] = {**parent["metadata"], **value}
        else:
            merged[key] = value
    return merged, from_child


def _child_loc(loc: Loc, from_child: dict[tuple[str, int], int]) -> Loc:
    """Translate a location in merged data into the same item's location in the child file."""
    if len(loc) < 2 or loc[0] not in _MERGED_LISTS or not isinstance(loc[1], int):
        return loc
    child_index = from_child.get((str(loc[0]), loc[1]))
    return (loc[0],) if child_index is None else (loc[0], child_index, *loc[2:])


def load_model(ref: str, _seen: tuple[str, ...] = ()) -> SystemModel:
    """Load, merge and validate a model; raise InputError listing every problem found."""
    file = _model_file(ref)
    doc = file.root
    data: dict[str, Any] = doc
    from_child: dict[tuple[str, int], int] | None = None
    parent_ref = doc.get("extends")
    if isinstance(parent_ref, str):
        parent_ref_resolved = _resolve_relative(parent_ref, ref)
        if _canonical(parent_ref_resolved) in {_canonical(r) for r in (*_seen, ref)}:
            file.report(("extends",), f"extends loops back to {parent_ref!r}", key=True)
            file.raise_problems()
        if len(_seen) + 1 >= MAX_EXTENDS:
            file.report(("extends",), f"extends chain longer than {MAX_EXTENDS} models", key=True)
            file.raise_problems()
        try:
            parent = load_model(parent_ref_resolved, (*_seen, ref))
        except InputError as error:
            # A parent that cannot be found at all is the child's mistake: point at `extends`.
            if all(p.line is None for p in error.problems):
                for p in error.problems:
                    file.report(("extends",), f"extends {parent_ref!r}: {p.message}", key=True)
                file.raise_problems()
            # the parent's own problems, and the line in this file that named it
            count = len(error.problems)
            file.report(
                ("extends",),
                f"extends {parent_ref!r}, which is not a valid model: "
                f"{count} problem{'s' if count != 1 else ''} reported at its own lines",
                key=True,
            )
            raise InputError([*file.problems, *error.problems]) from None
        data, from_child = _merge(parent.model_dump(by_alias=True, exclude_defaults=False), doc)
        data["extends"] = parent_ref
    to_file = None if from_child is None else partial(_child_loc, from_child=from_child)
    model = file.validate(SystemModel, data, to_file=to_file)
    file.raise_problems()
    assert model is not None
    file.problems.extend(integrity_problems(model, file.path, doc))
    file.raise_problems()
    return model


def _canonical(ref: str) -> str:
    return ref if ref.startswith(BUILTIN_PREFIX) else str(Path(ref).resolve())


def _resolve_relative(parent_ref: str, child_ref: str) -> str:
    if parent_ref.startswith(BUILTIN_PREFIX) or child_ref.startswith(BUILTIN_PREFIX):
        return parent_ref
    candidate = Path(parent_ref)
    if not candidate.is_absolute():
        candidate = Path(child_ref).parent / candidate
    return str(candidate)
