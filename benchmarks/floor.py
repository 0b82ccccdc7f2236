"""The floor every YAML reader pays: PyYAML's C loader on the same files, plus the payloads
ClusterResourceSets ship (capsa parses those too). Imports nothing of capsa, so a
process measuring it pays only the interpreter's start and PyYAML's import."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import yaml


def _crs_names(docs: list[object]) -> set[str]:
    names: set[str] = set()
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "ClusterResourceSet":
            spec = doc.get("spec") or {}
            for entry in spec.get("resources") or [] if isinstance(spec, dict) else []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    names.add(entry["name"])
    return names


def _payload_texts(doc: object, shipped: set[str]) -> list[str]:
    """String payloads of a ConfigMap/Secret that a ClusterResourceSet ships (as capsa)."""
    if not isinstance(doc, dict) or doc.get("kind") not in ("ConfigMap", "Secret"):
        return []
    meta = doc.get("metadata") or {}
    typed = doc.get("type") == "addons.cluster.x-k8s.io/resource-set"
    if not typed and (not isinstance(meta, dict) or meta.get("name") not in shipped):
        return []
    texts: list[str] = []
    for field in ("data", "stringData"):
        section = doc.get(field)
        if not isinstance(section, dict):
            continue
        for value in section.values():
            if not isinstance(value, str):
                continue
            if doc["kind"] == "Secret" and field == "data":
                try:
                    value = base64.b64decode(value, validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    continue
            texts.append(value)
    return texts


def _load(text: str) -> list[object]:
    try:
        return list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return []


def c_loader_parse(files: list[Path], payloads: bool) -> int:
    """Documents PyYAML's C loader builds from `files`; with `payloads`, it also parses the
    payloads ClusterResourceSets ship (as capsa does), for a like-for-like floor."""
    documents = 0
    for path in files:
        docs = _load(path.read_text(encoding="utf-8", errors="replace"))
        documents += len(docs)
        if payloads:
            shipped = _crs_names(docs)
            for doc in docs:
                for text in _payload_texts(doc, shipped):
                    _load(text)
    return documents
