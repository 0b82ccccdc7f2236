"""Names a model file's flow semantics borrows from later stages, checked where written.

Step semantics name catalogue threats (`exposes`, `realises`, `outage`), catalogue
mitigations, capsa check ids (detectors) and deployment settings (timeouts, ttls,
detectors). The model loader cannot know these; the simulator checks them against the
threat catalogue, the check set and the settings file, reporting each unknown name at its
file:line. A model that `extends` another is checked together with its parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from capsa.datafile import DataFile, Loc, builtin_text
from capsa.errors import InputError, Problem
from capsa.threats.catalogue import CatalogueIds, builtin_ids

BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True)
class KnownNames:
    threats: frozenset[str]
    mitigations: frozenset[str]
    checks: frozenset[str]
    settings: frozenset[str]

    @classmethod
    def of(cls, ids: CatalogueIds, checks: frozenset[str], settings: frozenset[str]) -> KnownNames:
        return cls(ids.threats, frozenset(ids.mitigations), checks, settings)


@cache
def known_names() -> KnownNames:
    """What the shipped catalogue, checks and settings define."""
    from capsa.checks.catalog import checks_by_mitigation
    from capsa.live.catalog import live_checks
    from capsa.sim.settings import load_settings

    checks = {c for ids in checks_by_mitigation().values() for c in ids} | set(live_checks())
    return KnownNames.of(builtin_ids(), frozenset(checks), frozenset(load_settings().specs))


def _items(node: Any, key: str) -> Iterator[tuple[int, Any]]:
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, list):
        yield from enumerate(value)


Report = Callable[[Loc, str], None]


def _names(node: Any, key: str, at: Loc, pool: frozenset[str], noun: str, report: Report) -> None:
    for index, name in _items(node, key):
        if isinstance(name, str) and name not in pool:
            report((*at, key, index), f"unknown {noun} {name!r}")


def _detectors(node: Any, at: Loc, known: KnownNames, report: Report) -> None:
    for index, detector in _items(node, "detection"):
        here = (*at, "detection", index)
        check = detector.get("check") if isinstance(detector, dict) else None
        if isinstance(check, str) and check not in known.checks:
            report((*here, "check"), f"unknown capsa check {check!r}")
        needs = detector.get("needs") if isinstance(detector, dict) else None
        if isinstance(needs, str) and needs not in known.settings:
            report((*here, "needs"), f"unknown deployment setting {needs!r}")


def _setting(node: Any, key: str, at: Loc, known: KnownNames, report: Report) -> None:
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, str) and value not in known.settings:
        report((*at, key), f"unknown deployment setting {value!r}")


def semantics_links(node: Any, at: Loc, known: KnownNames, report: Report) -> None:
    """Report each unknown name one step's semantics (a raw mapping at `at`) uses."""
    _names(node, "outage", at, known.threats, "threat id", report)
    _detectors(node, at, known, report)
    timeout = node.get("timeout") if isinstance(node, dict) else None
    for key in ("setting", "needs"):
        _setting(timeout, key, (*at, "timeout"), known, report)
    for index, product in _items(node, "produces"):
        here = (*at, "produces", index)
        _names(product, "exposes", here, known.threats, "threat id", report)
        _names(product, "mitigations", here, known.mitigations, "mitigation id", report)
        _detectors(product, here, known, report)
        ttl = product.get("ttl") if isinstance(product, dict) else None
        _setting(ttl, "setting", (*here, "ttl"), known, report)
    for index, item in _items(node, "inputs"):
        here = (*at, "inputs", index)
        realises = item.get("realises") if isinstance(item, dict) else None
        for how in ("spoofed", "tampered", "replayed"):
            _names(realises, how, (*here, "realises"), known.threats, "threat id", report)
        _names(item, "mitigations", here, known.mitigations, "mitigation id", report)
        _detectors(item, here, known, report)


def flow_link_problems(file: DataFile, known: KnownNames) -> None:
    """Record on `file` every unknown name its flows' step semantics use."""

    def report(loc: Loc, message: str) -> None:
        file.report(loc, f"flow step semantics: {message}")

    for flow_index, flow in _items(file.root, "flows"):
        for step_index, step in _items(flow, "steps"):
            semantics = step.get("semantics") if isinstance(step, dict) else None
            if isinstance(semantics, dict):
                at: Loc = ("flows", flow_index, "steps", step_index, "semantics")
                semantics_links(semantics, at, known, report)


def _file(ref: str) -> DataFile:
    if ref.startswith(BUILTIN_PREFIX):
        _, text = builtin_text("capsa.model", "builtin", f"{ref[len(BUILTIN_PREFIX) :]}.yaml")
        return DataFile.parse(ref, text)
    return DataFile.load(ref, noun="model file")


def _parent(ref: str, parent: str) -> str:
    if parent.startswith(BUILTIN_PREFIX) or ref.startswith(BUILTIN_PREFIX):
        return parent
    candidate = Path(parent)
    return str(candidate if candidate.is_absolute() else Path(ref).parent / candidate)


def model_link_problems(ref: str, known: KnownNames | None = None) -> list[Problem]:
    """Unknown threat, mitigation, check and setting names in a model's flows (the model
    must already load: `capsa.model.loader.load_model`)."""
    known = known or known_names()
    problems: list[Problem] = []
    seen: set[str] = set()
    current: str | None = ref
    while current is not None and current not in seen:
        seen.add(current)
        file = _file(current)
        flow_link_problems(file, known)
        problems.extend(file.problems)
        parent = file.root.get("extends") if isinstance(file.root, dict) else None
        current = _parent(current, parent) if isinstance(parent, str) else None
    return problems


def check_model_links(ref: str) -> None:
    """Raise InputError listing every unknown name in the model's flow semantics."""
    problems = model_link_problems(ref)
    if problems:
        raise InputError(problems)
