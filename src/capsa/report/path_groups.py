"""Attack paths grouped for a reader: one group per entry point, each step written once.

Open paths repeat one another: the same step (from, to, technique) appears in many
paths, and the paths from one foothold differ only in where they branch. The report
lists every distinct step once (S1, S2, …, with its threats, blocking mitigations and
evidence), every path as its chain of step numbers, and one group per entry point (the
shape of the attack: what the attacker starts with) with the targets it reaches, the
clusters it applies to and the cut mitigations that close its paths. Nothing is
dropped: every path and every step of it can be read back from the groups and the step
list.
"""

from __future__ import annotations

from dataclasses import dataclass

from capsa.assess.model import Assessment, PathRecord, PathStepRecord

StepKey = tuple[str, str, str]


@dataclass(frozen=True)
class NumberedStep:
    """A distinct step, numbered in the order steps first appear."""

    number: int
    step: PathStepRecord

    @property
    def label(self) -> str:
        return f"S{self.number}"


@dataclass(frozen=True)
class NumberedPath:
    """A path with its number in the assessment (1-based) and its steps' numbers."""

    number: int
    path: PathRecord
    steps: tuple[int, ...]
    closed_by: tuple[str, ...]

    @property
    def chain(self) -> str:
        return " > ".join(f"S{n}" for n in self.steps)


@dataclass(frozen=True)
class PathGroup:
    entry: str
    targets: tuple[str, ...]
    paths: tuple[NumberedPath, ...]
    clusters: tuple[str, ...]
    closed_by: tuple[str, ...]
    steps: tuple[NumberedStep, ...]

    @property
    def best_score(self) -> float:
        return max(p.path.score for p in self.paths)

    @property
    def anchor(self) -> str:
        return f"paths-from-{self.entry}"

    def closing(self) -> list[tuple[str, int]]:
        """Each cut mitigation closing some of the group's paths, with how many."""
        return [(m, sum(1 for p in self.paths if m in p.closed_by)) for m in self.closed_by]

    @property
    def left_open(self) -> int:
        """Paths of the group no cut mitigation closes."""
        return sum(1 for p in self.paths if not p.closed_by)


@dataclass(frozen=True)
class PathDigest:
    steps: tuple[NumberedStep, ...]
    paths: tuple[NumberedPath, ...]
    groups: tuple[PathGroup, ...]


def _key(step: PathStepRecord) -> StepKey:
    return (step.source, step.target, step.technique)


def closes(mitigation: str, path: PathRecord) -> bool:
    """A mitigation closes a path when it blocks one of the path's steps."""
    return any(mitigation in step.blocked_by for step in path.steps)


def closed_paths(a: Assessment, mitigation: str) -> tuple[int, ...]:
    """The numbers of the paths `mitigation` closes. For a cut mitigation, the graph's own
    answer (a mitigation may block a step yet close it only through some of its checks);
    otherwise the paths it blocks a step of, less the routes no checkable mitigation
    closes. Files written before the cut listed its paths fall back to the latter."""
    for entry in a.cut:
        if entry.mitigation == mitigation and entry.paths:
            return tuple(entry.paths)
    open_routes = {(r.entry, r.target, tuple(r.techniques)) for r in a.uncuttable}
    return tuple(
        n
        for n, p in enumerate(a.paths, start=1)
        if closes(mitigation, p)
        and (p.entry, p.target, tuple(s.technique for s in p.steps)) not in open_routes
    )


def digest(a: Assessment) -> PathDigest:
    numbers: dict[StepKey, int] = {}
    steps: list[NumberedStep] = []
    paths: list[NumberedPath] = []
    closing = {c.mitigation: set(closed_paths(a, c.mitigation)) for c in a.cut}
    for number, path in enumerate(a.paths, start=1):
        chain: list[int] = []
        for step in path.steps:
            key = _key(step)
            if key not in numbers:
                numbers[key] = len(steps) + 1
                steps.append(NumberedStep(numbers[key], step))
            chain.append(numbers[key])
        closed_by = tuple(m for m, numbers in closing.items() if number in numbers)
        paths.append(NumberedPath(number, path, tuple(chain), closed_by))
    grouped: dict[str, list[NumberedPath]] = {}
    for p in paths:
        grouped.setdefault(p.path.entry, []).append(p)
    groups = []
    for entry, members in grouped.items():
        targets = tuple(dict.fromkeys(p.path.target for p in members))
        clusters = tuple(dict.fromkeys(c for p in members for c in p.path.clusters))
        closed = tuple(m for m in closing if any(m in p.closed_by for p in members))
        used = sorted({n for p in members for n in p.steps})
        groups.append(
            PathGroup(
                entry,
                targets,
                tuple(members),
                clusters,
                closed,
                tuple(steps[n - 1] for n in used),
            )
        )
    groups.sort(key=lambda g: (-g.best_score, -len(g.paths), g.entry))
    return PathDigest(tuple(steps), tuple(paths), tuple(groups))
