"""Load the check data files and compile every expression once.

A broken file (bad YAML, a missing key, an id the threat catalogue lacks, a library name
it does not define, an expression that does not compile, a duplicate id) is an
InputError pointing at the file and line of the offending entry; every problem of every
file is reported together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from capsa.checks.library import expand_entry
from capsa.checks.model import Check
from capsa.checks.program import SCOPE_VARIABLES, compiled, environment, part_problems
from capsa.datafile import DataFile, Entry, raise_all
from capsa.errors import InputError, Problem
from capsa.threats.catalogue import builtin_ids
from capsa.yamlio import LineList

DATA_DIR = Path(__file__).parent / "data"

__all__ = ["DATA_DIR", "SCOPE_VARIABLES", "compiled", "environment", "load_checks"]


def _check_entries(file: DataFile) -> list[Entry[Check]]:
    """The checks of one parsed file, library references expanded, ids checked against
    the threat catalogue and expressions compiled; what is wrong is recorded on the file."""
    ids = builtin_ids()
    good: list[Entry[Check]] = []
    for entry in file.entries(Check, prepare=expand_entry):
        check, loc = entry.value, entry.loc
        before = len(file.problems)
        ids.check_threats(file, (*loc, "threats"), check.threats, check.id)
        if check.mitigation:  # empty: the check evidences no mitigation (hygiene)
            ids.check_mitigation(
                file, (*loc, "mitigation"), check.mitigation, check.id, check.threats
            )
        for where, message in part_problems(check):
            file.report((*loc, *where), f"{check.id}: {message}")
        if len(file.problems) == before:
            good.append(entry)
    return good


def load_checks(paths: Iterable[Path] | None = None) -> list[Check]:
    """All checks (by default every `checks/data/*.yaml`), validated and compiled, in id
    order. Raises InputError listing every problem of every file."""
    files: Sequence[Path] = (
        # Files named _*.yaml hold shared parts (checks/library.py), not checks.
        sorted(DATA_DIR.glob("[!_]*.yaml")) if paths is None else [Path(p) for p in paths]
    )
    checks: list[Check] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            file = DataFile.load(
                path, expect=LineList, what="a check file must be a list of checks"
            )
        except InputError as error:
            problems.extend(error.problems)
            continue
        for entry in _check_entries(file):
            check = entry.value
            if check.id in seen:
                file.report((*entry.loc, "id"), f"{check.id} is also defined in {seen[check.id]}")
                continue
            seen[check.id] = str(path)
            checks.append(check)
        problems.extend(file.problems)
    raise_all(problems)
    return sorted(checks, key=lambda c: c.id)


@cache
def checks_by_mitigation() -> dict[str, tuple[str, ...]]:
    """Ids of the shipped checks per mitigation id they evidence (loaded once)."""
    out: dict[str, list[str]] = defaultdict(list)
    for check in load_checks():
        if check.mitigation:
            out[check.mitigation].append(check.id)
    return {m: tuple(sorted(ids)) for m, ids in out.items()}
