"""Read model files, merge `extends`, and report every problem with file:line:column."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from capsa.errors import InputError, Problem
from capsa.model.types import API_VERSION, KIND, SystemModel
from capsa.yamlio import LineDict, LineList, key_position_of, load_one_with_lines, position_of

BUILTIN_PREFIX = "builtin:"
_MERGED_LISTS = ("boundaries", "elements", "assets", "dataFlows", "flows")


def builtin_names() -> list[str]:
    """Names of the models shipped inside the package."""
    folder = resources.files("capsa.model") / "builtin"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read_source(ref: str) -> tuple[str, str]:
    """Return (display path, text) for a file path or `builtin:NAME`."""
    if ref.startswith(BUILTIN_PREFIX):
        name = ref[len(BUILTIN_PREFIX) :]
        if name not in builtin_names():
            known = ", ".join(BUILTIN_PREFIX + n for n in builtin_names())
            raise InputError(
                [Problem(ref, None, None, f"no built-in model {name!r}; known: {known}")]
            )
        text = (resources.files("capsa.model") / "builtin" / f"{name}.yaml").read_text("utf-8")
        return ref, text
    path = Path(ref)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            [Problem(ref, None, None, f"cannot read model file: {exc.strerror}")]
        ) from None
    try:
        return ref, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            [Problem(ref, None, None, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
        ) from None


def _parse(path: str, text: str) -> LineDict:
    try:
        doc = load_one_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        raise InputError([Problem(path, line, col, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(path, None, None, f"YAML error: {exc}")]) from None
    if not isinstance(doc, LineDict):
        raise InputError(
            [Problem(path, 1, 1, "a model file must be a YAML mapping with apiVersion and kind")]
        )
    problems: list[Problem] = []
    api = doc.get("apiVersion")
    if api != API_VERSION:
        line, col = key_position_of(doc, ("apiVersion",)) or doc.position
        problems.append(
            Problem(
                path, line, col, f"unknown apiVersion {api!r}; this capsa reads {API_VERSION!r}"
            )
        )
    if doc.get("kind") != KIND:
        line, col = key_position_of(doc, ("kind",)) or doc.position
        problems.append(Problem(path, line, col, f"kind must be {KIND!r}, got {doc.get('kind')!r}"))
    if problems:
        raise InputError(problems)
    return doc


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


def _child_loc(
    loc: tuple[Any, ...], from_child: dict[tuple[str, int], int] | None
) -> tuple[Any, ...]:
    """Translate a location in merged data into the same item's location in the child file."""
    if from_child is None or len(loc) < 2 or loc[0] not in _MERGED_LISTS:
        return loc
    child_index = from_child.get((loc[0], loc[1]))
    return (loc[0],) if child_index is None else (loc[0], child_index, *loc[2:])


def _validation_problems(
    path: str,
    doc: Any,
    error: ValidationError,
    from_child: dict[tuple[str, int], int] | None = None,
) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = _child_loc(tuple(err["loc"]), from_child)
        if err["type"] == "extra_forbidden":
            line, col = key_position_of(doc, loc) or (None, None)
            msg = f"unknown field {'.'.join(map(str, loc))!r}"
        else:
            line, col = position_of(doc, loc) or (None, None)
            field = ".".join(map(str, loc)) or "(document)"
            msg = f"{field}: {err['msg']}"
        problems.append(Problem(path, line, col, msg))
    return problems


def load_model(ref: str, _seen: tuple[str, ...] = ()) -> SystemModel:
    """Load, merge and validate a model; raise InputError listing every problem found."""
    from capsa.model.validate import integrity_problems

    path, text = _read_source(ref)
    doc = _parse(path, text)
    data: dict[str, Any] = doc
    from_child: dict[tuple[str, int], int] | None = None
    parent_ref = doc.get("extends")
    if isinstance(parent_ref, str):
        parent_ref_resolved = _resolve_relative(parent_ref, ref)
        if _canonical(parent_ref_resolved) in {_canonical(r) for r in (*_seen, ref)}:
            line, col = key_position_of(doc, ("extends",)) or doc.position
            raise InputError([Problem(path, line, col, f"extends loops back to {parent_ref!r}")])
        try:
            parent = load_model(parent_ref_resolved, (*_seen, ref))
        except InputError as error:
            # A parent that cannot be found at all is the child's mistake: point at `extends`.
            if all(p.line is None for p in error.problems):
                line, col = key_position_of(doc, ("extends",)) or doc.position
                raise InputError(
                    [
                        Problem(path, line, col, f"extends {parent_ref!r}: {p.message}")
                        for p in error.problems
                    ]
                ) from None
            raise
        data, from_child = _merge(parent.model_dump(by_alias=True, exclude_defaults=False), doc)
        data["extends"] = parent_ref
    try:
        model = SystemModel.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_problems(path, doc, exc, from_child)) from None
    problems = list(integrity_problems(model, path, doc))
    if problems:
        raise InputError(problems)
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


def locate(
    doc: Any, section: str, item_id: str, field: str | None = None
) -> tuple[int | None, int | None]:
    """Line and column of a field of the item with `item_id` in a list section, if present."""
    items = doc.get(section) if isinstance(doc, LineDict) else None
    if isinstance(items, LineList):
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get("id") == item_id:
                loc: tuple[int | str, ...] = (
                    (section, index) if field is None else (section, index, field)
                )
                pos = position_of(doc, loc)
                return pos if pos else (None, None)
    return (None, None)


def iter_locations(doc: Any, section: str) -> Iterable[tuple[int, Any]]:
    items = doc.get(section) if isinstance(doc, LineDict) else None
    if isinstance(items, LineList):
        yield from enumerate(items)
