"""Which checks run, which files are read and which findings are shown, for `scan` and
`assess` alike.

`--check` / `--skip-check` take check ids or globs (`CAPSA-IMDS-*`, case-insensitive); a
pattern that matches no check is an error, so a typo never silently runs everything.
`--skip-path` globs match a file's path relative to the folder given on the command line,
and its name (`**/test/*`, `*.tmpl.yaml`). `--severity`: in `scan`, findings below the
level are hidden from what is shown (exit codes follow `--fail-on` on the shown findings);
in `assess`, checks below it count as not run, like `--skip-check` (`Selection`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from capsa.errors import InputError, Problem

if TYPE_CHECKING:
    from capsa.checks.model import Check
    from capsa.scan.result import ScanResult


@dataclass(frozen=True)
class Selection:
    """The selection options as given (patterns, not yet matched), with where each came
    from (`--skip-check` or `.capsa.yaml`), so a verdict can say what hid its evidence."""

    checks: tuple[str, ...] = ()
    skip_checks: tuple[str, ...] = ()
    severity: str = "low"
    skip_paths: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)  # option -> where it was set

    @property
    def empty(self) -> bool:
        return not (self.checks or self.skip_checks or self.skip_paths) and self.severity == "low"

    def _said(self, option: str, value: str) -> str:
        where = self.sources.get(option, "command line")
        return f"{option} {value}" + ("" if where == "command line" else f" (from {where})")

    def described(self) -> list[str]:
        """Each option that leaves something out, as a line: `--skip-check X (from F)`."""
        lines = [self._said("--check", p) for p in self.checks]
        lines += [self._said("--skip-check", p) for p in self.skip_checks]
        if self.severity != "low":
            lines.append(self._said("--severity", self.severity))
        lines += [self._said("--skip-path", p) for p in self.skip_paths]
        return lines

    def excluded_by(self, check_id: str, severity: str | None) -> str | None:
        """Why the selection leaves this check out (the option and value), or None."""
        if self.checks and not any(_matches(check_id, p) for p in self.checks):
            return self._said("--check", ",".join(self.checks))
        for pattern in self.skip_checks:
            if _matches(check_id, pattern):
                return self._said("--skip-check", pattern)
        if severity is not None and _RANK[severity] < _RANK[self.severity]:
            return self._said("--severity", self.severity)
        return None


def _matches(check_id: str, pattern: str) -> bool:
    return fnmatchcase(check_id.upper(), pattern.strip().upper())


def unmatched(patterns: Iterable[str], ids: Iterable[str]) -> list[str]:
    """The patterns that name no check at all."""
    known = list(ids)
    return [p for p in patterns if not any(_matches(i, p) for i in known)]


def every_check_id() -> list[str]:
    """Ids of every manifest, live and cloud check: what --check may name."""
    from capsa.checks.catalog import load_checks
    from capsa.cloud.catalog import cloud_checks
    from capsa.live.catalog import live_checks

    return [*(c.id for c in load_checks()), *live_checks(), *(c.id for c in cloud_checks())]


def refuse_unknown(patterns: Iterable[str], known: Iterable[str]) -> None:
    """InputError naming each --check/--skip-check pattern that names no check at all."""
    unknown = unmatched(patterns, known)
    if unknown:
        raise InputError(
            [Problem("--check/--skip-check", None, None, f"{p!r} names no check") for p in unknown]
        )


def check_selected(check_id: str, only: Sequence[str], skip: Sequence[str]) -> bool:
    if only and not any(_matches(check_id, p) for p in only):
        return False
    return not any(_matches(check_id, p) for p in skip)


def select_checks(checks: Sequence[Check], only: Sequence[str], skip: Sequence[str]) -> list[Check]:
    return [c for c in checks if check_selected(c.id, only, skip)]


def path_skipped(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a file (its path relative to the scanned folder) matches a --skip-path glob:
    the whole path, any folder it is in (`vendor` skips `vendor/a.yaml`), or its name."""
    path = PurePosixPath(relative)
    candidates = [path.as_posix(), path.name]
    candidates += [p.as_posix() for p in path.parents if p.as_posix() != "."]
    return any(fnmatchcase(c, pattern) for c in candidates for pattern in patterns)


def expand_skipping(
    paths: Sequence[str], patterns: Sequence[str]
) -> tuple[list[str], list[Problem], int]:
    """The files the paths name, without those --skip-path matches: (files, problems met
    listing folders, how many files were skipped). `-` (standard input) is kept."""
    from capsa.sources.walk import expand_paths

    kept: list[str] = []
    skipped = 0
    problems: list[Problem] = []
    for raw in paths:
        root = Path(raw)
        for file in expand_paths([raw], problems):
            if file == "-":
                kept.append(file)
                continue
            relative = (
                Path(file).relative_to(root).as_posix()
                if root.is_dir() and Path(file).is_relative_to(root)
                else Path(file).as_posix()
            )
            if path_skipped(relative, patterns):
                skipped += 1
            else:
                kept.append(file)
    return kept, problems, skipped


_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def at_or_above(result: ScanResult, severity: str) -> ScanResult:
    """The result showing only findings at or above `severity` (counts follow)."""
    if severity == "low":
        return result
    floor = _RANK[severity]
    findings = tuple(f for f in result.findings if f.severity.rank >= floor)
    counts = {k: (v if _RANK[k] >= floor else 0) for k, v in result.summary.by_severity.items()}
    summary = dataclasses.replace(
        result.summary,
        by_severity=counts,
        open=sum(1 for f in findings if not f.suppressed),
        suppressed=sum(1 for f in findings if f.suppressed),
    )
    return dataclasses.replace(result, findings=findings, summary=summary)


def only_selected(result: ScanResult, only: Sequence[str], skip: Sequence[str]) -> ScanResult:
    """The result without the results of unselected checks: live and cloud checks run
    outside the manifest check set, so their results are filtered here too."""
    if not only and not skip:
        return result
    return keeping(result, lambda check_id: check_selected(check_id, only, skip))


def check_severities(result: ScanResult) -> dict[str, str]:
    """The severity of every check the result knows (manifest, cloud and live)."""
    severities = {c.id: c.severity.value for c in result.checks}
    severities.update({c.id: c.severity.value for c in result.cloud_checks})
    severities.update({c.id: c.severity.value for c in result.live_checks})
    return severities


def without_excluded(result: ScanResult, selection: Selection) -> ScanResult:
    """The result as if the checks `selection` leaves out (by id or severity) never ran."""
    if selection.empty:
        return result
    severities = check_severities(result)
    return keeping(
        result, lambda check_id: selection.excluded_by(check_id, severities.get(check_id)) is None
    )


def keeping(result: ScanResult, keep: Callable[[str], bool]) -> ScanResult:
    """The result with only the findings and results of the checks `keep` accepts."""
    findings = tuple(f for f in result.findings if keep(f.check_id))
    counts = {k: 0 for k in result.summary.by_severity}
    for f in findings:
        if not f.suppressed:
            counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
    summary = dataclasses.replace(
        result.summary,
        by_severity=counts,
        open=sum(counts.values()),
        suppressed=sum(1 for f in findings if f.suppressed),
    )
    passes = tuple(r for r in result.passes if keep(r.check_id))
    unknown = tuple(r for r in result.unknown if keep(r.check_id))
    not_applicable = tuple(r for r in result.not_applicable if keep(r.check_id))
    summary = dataclasses.replace(
        summary, passes=len(passes), unknown=len(unknown), not_applicable=len(not_applicable)
    )
    return dataclasses.replace(
        result,
        findings=findings,
        passes=passes,
        unknown=unknown,
        not_applicable=not_applicable,
        summary=summary,
    )
