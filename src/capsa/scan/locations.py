"""Every location of a scan result made relative to its scan root (`capsa.sources.root`),
where a report is written (scan's outputs, the assessment's records): the checks,
suppressions, the cache, the attack graph and the FMEA work on the files' real paths,
which the topology's resources carry too, and every finding and result a report shows
is portable. Every scan writer calls `rebased` itself (it is idempotent), so a report
is relative whoever asks for it. Input problems keep the
path as the user named it: they are read at the terminal, beside the command typed, and
may name files that are not scanned (a vars file, the ignore file)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TypeVar

from capsa.checks.findings import CheckResult, Finding, Location
from capsa.scan.result import ScanResult
from capsa.slotted import copied, replaced
from capsa.sources.root import relative_to_root

_Located = TypeVar("_Located", Finding, CheckResult)


def rebased(result: ScanResult, findings_only: bool = False) -> ScanResult:
    """`result` with every finding's and check result's location relative to its root.
    With `findings_only`, the findings alone (open, suppressed, baselined) move, for a
    view that shows nothing else (the terminal list): a large scan's passes, undecided
    and not-applicable results were five in six of the results to move (corpus x20).
    Such a result is not marked relative, and is for that view alone."""
    if result.root is None or result.relative:
        return result
    root = Path(result.root)
    moved: dict[Location, Location] = {}  # results share locations: move each once
    paths: dict[str, str] = {}  # and a file holds many locations

    def move(item: _Located) -> _Located:
        location = moved.get(item.location)
        if location is None:
            path = paths.get(item.location.path)
            if path is None:
                path = paths[item.location.path] = relative_to_root(item.location.path, root)
            location = (
                item.location if path == item.location.path else replaced(item.location, path=path)
            )
            moved[item.location] = location
        return item if location is item.location else copied(item, "location", location)

    if findings_only:
        return dataclasses.replace(
            result,
            findings=tuple(move(f) for f in result.findings),
            baselined=tuple(move(f) for f in result.baselined),
        )
    return dataclasses.replace(
        result,
        relative=True,
        findings=tuple(move(f) for f in result.findings),
        passes=tuple(move(r) for r in result.passes),
        unknown=tuple(move(r) for r in result.unknown),
        not_applicable=tuple(move(r) for r in result.not_applicable),
        baselined=tuple(move(f) for f in result.baselined),
    )
