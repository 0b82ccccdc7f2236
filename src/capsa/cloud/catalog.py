"""Load the cloud checks (`cloud/data/checks.yaml`) through the one data-file loader.

Threat and mitigation ids are checked against the threat catalogue at their line; every
CEL expression is compiled; every `function: true` entry must have a registered function
and every registered function an entry. All problems are reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from capsa.cel import CelError
from capsa.cloud.engine import compiled
from capsa.cloud.model import CloudCheck
from capsa.cloud.registry import Registration, registered
from capsa.datafile import DataFile
from capsa.functions import report_orphans
from capsa.threats.catalogue import builtin_ids
from capsa.yamlio import LineList

_NOT_A_LIST = "a cloud check file must be a list of cloud checks"


def load_cloud_checks(
    path: str | Path | None = None, functions: Mapping[str, Registration] | None = None
) -> list[CloudCheck]:
    """Cloud checks in id order from `path` (the shipped file when None); InputError
    listing every problem."""
    if path is None:
        file = DataFile.builtin(
            "capsa.cloud", "data", "checks.yaml", expect=LineList, what=_NOT_A_LIST
        )
    else:
        file = DataFile.load(path, expect=LineList, what=_NOT_A_LIST, noun="cloud checks")
    entries = file.entries(CloudCheck)
    file.unique(entries, "cloud check id")
    ids = builtin_ids()
    known = registered() if functions is None else functions
    for entry in entries:
        check, loc = entry.value, entry.loc
        ids.check_threats(file, (*loc, "threats"), check.threats, check.id)
        if check.mitigation:  # empty: hardening, evidences no mitigation
            ids.check_mitigation(
                file, (*loc, "mitigation"), check.mitigation, check.id, check.threats
            )
        if check.expression is not None:
            try:
                compiled(check)
            except CelError as error:
                file.report((*loc, "expression"), f"{check.id}: expression: {error}")
        elif check.id not in known:
            file.report(
                (*loc, "id"),
                f"{check.id} has function: true but no function: register one with "
                f"@cloud_check({check.id!r})",
            )
    wanted = {e.value.id for e in entries if e.value.function}
    written = {item.get("id") for item in file.root if isinstance(item, dict)}
    report_orphans(file, known, wanted | written)
    file.raise_problems()
    return sorted((e.value for e in entries), key=lambda c: c.id)


@cache
def cloud_checks() -> tuple[CloudCheck, ...]:
    """All shipped cloud checks, loaded and paired with their functions once."""
    return tuple(load_cloud_checks())
