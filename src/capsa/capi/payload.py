"""What a ClusterResourceSet ships, described by shape only.

A ClusterResourceSet applies the manifests held in ConfigMaps/Secrets to every matching
workload cluster. Checks need to know *what kind* of objects travel (a Secret with
credential-like keys, say) but never the values, so this module returns kinds, names and
key names, and drops the payload text as soon as it is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from capsa.sources.redact import decoded_secret_value
from capsa.yamlio import load_all_with_lines

#: Payloads larger than this are not parsed (a ClusterResourceSet object is capped far lower).
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class CarriedObject:
    """One object a ConfigMap/Secret payload carries, by shape only: never a value."""

    kind: str = ""
    api_version: str = ""
    name: str = ""
    namespace: str = ""
    keys: tuple[str, ...] = ()


def _texts(carrier: Mapping[str, Any]) -> list[str]:
    texts: list[str] = []
    string_data = carrier.get("stringData")
    if isinstance(string_data, Mapping):
        texts.extend(v for v in string_data.values() if isinstance(v, str))
    data = carrier.get("data")
    if isinstance(data, Mapping):
        encoded = carrier.get("kind") == "Secret"
        for value in data.values():
            if not isinstance(value, str):
                continue
            if not encoded:
                texts.append(value)
                continue
            text = decoded_secret_value(value)
            if text is not None:
                texts.append(text)
    return [t for t in texts if len(t) <= MAX_PAYLOAD_BYTES]


def _keys(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """Key names that hold something: a key with an empty value carries no data (the EBS
    CSI driver's placeholder Secret names access keys and leaves them empty)."""
    keys: list[str] = []
    for field in ("data", "stringData", "binaryData"):
        section = obj.get(field)
        if isinstance(section, Mapping):
            keys.extend(str(k) for k, v in section.items() if v is not None and v != "")
    return tuple(sorted(set(keys)))


def describe(obj: Mapping[str, Any]) -> CarriedObject | None:
    """Kind, apiVersion, name, namespace and the names of its non-empty keys."""
    if not isinstance(obj.get("kind"), str):
        return None
    raw_meta = obj.get("metadata")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
    return CarriedObject(
        kind=obj["kind"],
        api_version=str(obj.get("apiVersion", "")),
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        keys=_keys(obj),
    )


def embedded_objects(carrier: Mapping[str, Any]) -> list[CarriedObject]:
    """Kubernetes objects carried in a ConfigMap/Secret payload: kind, name, namespace and
    key names (for Secrets and ConfigMaps). Unparseable payload text is skipped."""
    found: list[CarriedObject] = []
    for text in _texts(carrier):
        try:
            documents = [doc for _, doc in load_all_with_lines(text)]
        except yaml.YAMLError:
            continue
        for doc in documents:
            items = (
                doc.get("items")
                if isinstance(doc, Mapping) and doc.get("kind") == "List"
                else [doc]
            )
            for obj in items if isinstance(items, list) else []:
                described = describe(obj) if isinstance(obj, Mapping) else None
                if described is not None:
                    found.append(described)
    return found
