"""Load the check data files and compile every expression once.

A broken file (bad YAML, a missing key, an expression that does not compile, a duplicate
id) is an InputError pointing at the file and line of the offending entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from capsa.checks.library import expand_entry
from capsa.checks.model import Check
from capsa.checks.program import SCOPE_VARIABLES, compiled, environment, part_problems
from capsa.errors import InputError, Problem
from capsa.yamlio import LineList, load_one_with_lines, position_of

DATA_DIR = Path(__file__).parent / "data"

__all__ = ["DATA_DIR", "SCOPE_VARIABLES", "compiled", "environment", "load_checks", "load_file"]


def _line(root: Any, path: tuple[int | str, ...]) -> int | None:
    position = position_of(root, path)
    return position[0] if position else None


def _entry_problems(
    path: str, entries: LineList, index: int, raw: Any
) -> tuple[Check | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(path, _line(entries, (index,)), None, "a check must be a mapping")]
    raw, issues = expand_entry(raw)
    if issues:
        return None, [Problem(path, _line(entries, (index, *at)), None, m) for at, m in issues]
    try:
        check = Check.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(str(step) for step in item["loc"] if isinstance(step, str | int))
            line = _line(entries, (index, *loc[:1])) or _line(entries, (index,))
            where = ".".join(loc) or "check"
            problems.append(Problem(path, line, None, f"{where}: {item['msg']}"))
        return None, problems
    issues = part_problems(check)
    if issues:
        return None, [Problem(path, _line(entries, (index, *at)), None, m) for at, m in issues]
    return check, []


def load_file(path: Path) -> tuple[list[Check], list[Problem]]:
    """Checks of one data file, and the problems that kept entries out."""
    name = str(path)
    try:
        document = load_one_with_lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return [], [Problem(name, None, None, f"cannot read: {error}")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return [], [Problem(name, line, None, f"invalid YAML: {error}")]
    if document is None:
        return [], []
    if not isinstance(document, LineList):
        return [], [Problem(name, 1, None, "a check file must be a list of checks")]
    checks: list[Check] = []
    problems: list[Problem] = []
    for index, raw in enumerate(document):
        check, found = _entry_problems(name, document, index, raw)
        problems.extend(found)
        if check is not None:
            checks.append(check)
    return checks, problems


def load_checks(paths: Iterable[Path] | None = None) -> list[Check]:
    """All checks (by default every `checks/data/*.yaml`), validated and compiled, in id
    order. Raises InputError listing every problem found."""
    files: Sequence[Path] = (
        # Files named _*.yaml hold shared parts (checks/library.py), not checks.
        sorted(DATA_DIR.glob("[!_]*.yaml")) if paths is None else [Path(p) for p in paths]
    )
    checks: list[Check] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for file in files:
        loaded, found = load_file(file)
        problems.extend(found)
        for check in loaded:
            if check.id in seen:
                problems.append(
                    Problem(
                        str(file), None, None, f"{check.id} is also defined in {seen[check.id]}"
                    )
                )
                continue
            seen[check.id] = str(file)
            checks.append(check)
    if problems:
        raise InputError(problems)
    return sorted(checks, key=lambda c: c.id)
