"""Which threat and mitigation ids exist, and which checks evidence each mitigation.

Read straight from the data files of the threat catalogue and the check set (no CEL
compilation), so the attack graph can validate its techniques and name the checks behind
every mitigation cheaply.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

# The assessment's threat ids; used only while the threat catalogue is not installed.
ASSESSMENT_THREATS = frozenset(
    [f"STRIDE-SPOOF-{i}" for i in range(1, 6)]
    + [f"STRIDE-TAMPER-{i}" for i in range(1, 3)]
    + ["STRIDE-REPUDIATE-01", "STRIDE-REPUDIATE-02"]
    + [f"STRIDE-INFODISCLOSE-{i}" for i in range(1, 5)]
    + [f"STRIDE-DOS-{i}" for i in range(1, 7)]
    + [f"STRIDE-EOP-{i}" for i in range(1, 4)]
    + ["DEV-01", "DEV-02", "DEV-SBOM"]
)
_THREAT_RE = re.compile(r"^(STRIDE-[A-Z]+-\d+|DEV-[A-Z0-9]+)$")
_MITIGATION_RE = re.compile(r"^(STRIDE-[A-Z]+-\d+|DEV-[A-Z0-9]+)\.M\d+$")


@dataclass(frozen=True)
class KnownIds:
    """Threat ids, and mitigation ids (None when no catalogue is installed to say)."""

    threats: frozenset[str]
    mitigations: frozenset[str] | None


def _strings_under_id(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "id" and isinstance(value, str):
                yield value
            else:
                yield from _strings_under_id(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings_under_id(item)


def _catalogue_file() -> Traversable | None:
    try:
        folder = resources.files("capsa.threats") / "data"
    except ModuleNotFoundError:  # pragma: no cover - the package is part of capsa
        return None
    candidate = folder / "catalogue.yaml"
    return candidate if candidate.is_file() else None


def ids_from_catalogue_text(text: str) -> KnownIds:
    """Every `id:` value in a catalogue document, split into threats and mitigations."""
    doc = yaml.safe_load(text)
    threats: set[str] = set()
    mitigations: set[str] = set()
    for value in _strings_under_id(doc):
        if _MITIGATION_RE.match(value):
            mitigations.add(value)
        elif _THREAT_RE.match(value):
            threats.add(value)
    return KnownIds(frozenset(threats), frozenset(mitigations))


@lru_cache(maxsize=1)
def known_ids() -> KnownIds:
    """Ids from the installed threat catalogue, else the assessment's threat list."""
    found = _catalogue_file()
    if found is None:
        return KnownIds(ASSESSMENT_THREATS, None)
    return ids_from_catalogue_text(found.read_text("utf-8"))


@lru_cache(maxsize=1)
def checks_by_mitigation() -> dict[str, tuple[str, ...]]:
    """Check ids per mitigation id, from every check data file."""
    out: dict[str, list[str]] = defaultdict(list)
    folder = resources.files("capsa.checks") / "data"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        doc = yaml.safe_load(entry.read_text("utf-8"))
        for item in doc if isinstance(doc, list) else []:
            if isinstance(item, dict) and isinstance(item.get("mitigation"), str):
                out[item["mitigation"]].append(str(item.get("id")))
    return {m: tuple(sorted(ids)) for m, ids in out.items()}
