"""Which of the catalogue's mitigations manifests can evidence, and why the others cannot.

A mitigation is covered from manifests when a manifest check names it (or names the
mitigation it is `sameAs`). Every other mitigation has an entry in
`checks/data/_coverage.yaml` saying what would show it instead: the cloud account, a
live cluster, the project's repositories, the cloud platform itself, a process no object
shows, or nothing yet because upstream has not built it. Loading refuses an entry for a
mitigation a manifest check covers (the entry went stale) and a mitigation with neither,
so the generated docs/coverage.md can never leave one out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from capsa.datafile import DataFile
from capsa.frozen import FrozenModel
from capsa.threats.catalogue import Catalogue
from capsa.yamlio import LineList

COVERAGE_FILE = Path(__file__).parent / "data" / "_coverage.yaml"

Need = Literal["cloud", "live", "repository", "platform", "process", "upstream"]

NEED_TEXT: Mapping[str, str] = {
    "cloud": "needs the cloud account",
    "live": "needs a live cluster",
    "repository": "needs the project's repositories",
    "platform": "carried by the cloud platform",
    "process": "a process no object shows",
    "upstream": "not built upstream",
}


#: The same, as the tail of "N mitigations ..." in a summary.
NEED_COUNTED: Mapping[str, str] = {
    "cloud": "need the cloud account",
    "live": "need a live cluster",
    "repository": "need the project's repositories",
    "platform": "are carried by the cloud platform",
    "process": "are processes no object shows",
    "upstream": "are not built upstream",
}


class Gap(FrozenModel):
    """A mitigation no manifest can evidence: what would (`needs`), and why (`why`)."""

    mitigation: str = Field(min_length=1)
    needs: Need
    why: str = Field(min_length=1)


def _covered(catalogue: Catalogue, checked: Iterable[str]) -> set[str]:
    """Mitigations a manifest check names, directly or through `sameAs` either way."""
    direct = set(checked)
    out = set(direct)
    for threat in catalogue.threats:
        for mitigation in threat.mitigations:
            if mitigation.same_as and (mitigation.same_as in direct or mitigation.id in direct):
                out.update({mitigation.id, mitigation.same_as})
    for threat in catalogue.threats:  # a second hop: A sameAs B, C sameAs B
        for mitigation in threat.mitigations:
            if mitigation.same_as in out:
                out.add(mitigation.id)
    return out


def load_gaps(
    catalogue: Catalogue, manifest_mitigations: Iterable[str], path: Path = COVERAGE_FILE
) -> dict[str, Gap]:
    """The entries of `path` by mitigation id, checked against the catalogue and against
    the mitigations manifest checks evidence (`manifest_mitigations`)."""
    file = DataFile.load(path, expect=LineList, what="the coverage file must be a list")
    known = {m.id for t in catalogue.threats for m in t.mitigations}
    covered = _covered(catalogue, manifest_mitigations)
    gaps: dict[str, Gap] = {}
    for entry in file.entries(Gap):
        gap, loc = entry.value, entry.loc
        if gap.mitigation not in known:
            file.report((*loc, "mitigation"), f"unknown mitigation id {gap.mitigation!r}")
        elif gap.mitigation in covered:
            file.report(
                (*loc, "mitigation"),
                f"{gap.mitigation} has a manifest check now: remove this entry",
            )
        elif gap.mitigation in gaps:
            file.report((*loc, "mitigation"), f"{gap.mitigation} is listed twice")
        else:
            gaps[gap.mitigation] = gap
    for mitigation in sorted(known - covered - set(gaps)):
        file.report((), f"{mitigation} has no manifest check and no entry here: add one")
    file.raise_problems()
    return gaps


def covered_from_manifests(catalogue: Catalogue, manifest_mitigations: Iterable[str]) -> set[str]:
    return _covered(catalogue, manifest_mitigations)


@cache
def shipped_gaps() -> dict[str, Gap]:
    from capsa.checks.catalog import load_checks
    from capsa.threats.catalogue import builtin_catalogue

    return load_gaps(builtin_catalogue(), [c.mitigation for c in load_checks() if c.mitigation])
