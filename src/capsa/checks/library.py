"""The shared library of check parts (`checks/data/_library.yaml`): named CEL variables
and kind groups that check entries reference instead of repeating them.

A shape difference between API versions (v1beta1 maps vs v1beta2 lists), the place a
kind keeps its settings, or a list of kinds is written once here. A check names what it
needs (`use: [apiServerFlags]`, `match: {kindGroups: [kubeadmControlPlane]}`) and the
loader expands those names into the check's own `variables` and `match.kinds` before
validating it, so every loaded Check, and every admission policy exported from one, is
self-contained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field

from capsa.checks import variables as cel_variables
from capsa.checks.model import KindMatch
from capsa.datafile import DataFile
from capsa.frozen import FrozenModel
from capsa.yamlio import LineDict

LIBRARY_FILE = Path(__file__).parent / "data" / "_library.yaml"

Where = tuple[str | int, ...]


class SharedVariable(FrozenModel):
    """A named CEL variable checks take with `use`; it may read `variables.<name>` of
    library variables listed before it."""

    name: str = Field(pattern=cel_variables.NAME)
    description: str = Field(min_length=1)
    expression: str = Field(min_length=1)


class KindGroup(FrozenModel):
    """A named list of kinds checks match with `match.kindGroups`."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    kinds: tuple[KindMatch, ...] = Field(min_length=1)


class Library(FrozenModel):
    variables: tuple[SharedVariable, ...] = ()
    kind_groups: tuple[KindGroup, ...] = ()

    def variable(self, name: str) -> SharedVariable | None:
        return next((v for v in self.variables if v.name == name), None)

    def group(self, name: str) -> KindGroup | None:
        return next((g for g in self.kind_groups if g.name == name), None)

    def closure(self, names: Sequence[str]) -> list[SharedVariable]:
        """The variables `names` need (themselves and what they read), in library order,
        which is an order where each reads only earlier ones."""
        wanted = set(names)
        for shared in reversed(self.variables):
            if shared.name in wanted:
                wanted.update(cel_variables.referenced_names(shared.expression))
        return [v for v in self.variables if v.name in wanted]


def _report_problems(file: DataFile, library: Library) -> None:
    """Duplicate names, and variables reading a name not defined before them."""
    declared: list[str] = []
    for i, shared in enumerate(library.variables):
        if shared.name in declared:
            file.report(("variables", i, "name"), f"variable {shared.name} is defined twice")
        who = f"variable {shared.name}"
        for issue in cel_variables.undeclared_reads(shared.expression, who, declared):
            file.report(("variables", i, "expression"), issue)
        declared.append(shared.name)
    seen: set[str] = set()
    for i, group in enumerate(library.kind_groups):
        if group.name in seen:
            file.report(("kindGroups", i, "name"), f"kind group {group.name} is defined twice")
        seen.add(group.name)


def _report_compile_problems(file: DataFile, library: Library) -> None:
    """Library variables that do not compile (with `variables` declared, in the widest
    scope; a check of a narrower scope is compiled again when it loads)."""
    from capsa.cel import CelError
    from capsa.checks.environment import environment

    env = environment("topology", with_variables=True)
    for i, shared in enumerate(library.variables):
        try:
            env.compile(shared.expression)
        except CelError as error:
            file.report(("variables", i, "expression"), f"{shared.name}: {error}")


def load_library(path: Path = LIBRARY_FILE) -> Library:
    """Read and validate a library file; InputError lists every problem with its line."""
    file = DataFile.load(path, expect=None, what="a check library must be a mapping")
    if file.root is None:
        return Library()
    if not isinstance(file.root, LineDict):
        file.report((), "a check library must be a mapping")
        file.raise_problems()
    library = file.validate(Library)
    file.raise_problems()
    assert library is not None
    _report_problems(file, library)
    if not file.problems:
        _report_compile_problems(file, library)
    file.raise_problems()
    return library


@cache
def shipped_library() -> Library:
    """The library that ships with capsa (read once)."""
    return load_library()


def _names(value: Any, where: Where) -> tuple[list[str], list[tuple[Where, str]]]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], [(where, "must be a list of names")]
    return list(value), []


def _read_by(entry: Mapping[str, Any], library: Library) -> set[str]:
    """Names the entry's expression and own variables read, with what the library
    variables among them read in turn."""
    texts = [entry.get("expression")]
    own = entry.get("variables")
    if isinstance(own, list):
        texts.extend(v.get("expression") for v in own if isinstance(v, Mapping))
    names = [n for t in texts if isinstance(t, str) for n in cel_variables.referenced_names(t)]
    return {v.name for v in library.closure(names)}


def expand_entry(
    raw: Mapping[str, Any], library: Library | None = None
) -> tuple[dict[str, Any], list[tuple[Where, str]]]:
    """A check entry with its library references replaced by what they name:
    `use` becomes leading `variables` (with the library variables they read), and
    `match.kindGroups` becomes leading `match.kinds`. Returns the entry and (where,
    message) for every name the library does not have."""
    entry = dict(raw)
    issues: list[tuple[Where, str]] = []
    if "use" not in entry and not (
        isinstance(entry.get("match"), Mapping) and "kindGroups" in entry["match"]
    ):
        return entry, issues
    library = shipped_library() if library is None else library
    if "use" in entry:
        names, found = _names(entry.pop("use"), ("use",))
        issues.extend(found)
        read = _read_by(entry, library)
        for i, name in enumerate(names):
            if library.variable(name) is None:
                issues.append((("use", i), f"the check library has no variable {name!r}"))
            elif name not in read:
                issues.append((("use", i), f"uses {name} but nothing reads variables.{name}"))
        shared = [{"name": v.name, "expression": v.expression} for v in library.closure(names)]
        own = entry.get("variables", [])
        entry["variables"] = [*shared, *own] if isinstance(own, list) else own
    match = entry.get("match")
    if isinstance(match, Mapping) and "kindGroups" in match:
        match = dict(match)
        names, found = _names(match.pop("kindGroups"), ("match", "kindGroups"))
        issues.extend(found)
        kinds: list[Any] = []
        for i, name in enumerate(names):
            group = library.group(name)
            if group is None:
                issues.append(
                    (("match", "kindGroups", i), f"the check library has no kind group {name!r}")
                )
                continue
            kinds.extend(k.model_dump(exclude_none=True) for k in group.kinds)
        own_kinds = match.get("kinds", [])
        if isinstance(own_kinds, list):
            kinds.extend(own_kinds)
            match["kinds"] = kinds
        entry["match"] = match
    return entry, issues


def shared_names(library: Library, variables: Sequence[tuple[str, str]]) -> set[str]:
    """Which of a check's (name, expression) variables came from `library` unchanged."""
    return {
        name
        for name, text in variables
        if (shared := library.variable(name)) is not None and shared.expression == text
    }
