"""The assessment as a main report and the companion documents written beside it.

The main report (assessment.md / .html) leads with what a reader acts on: the summary and
actions, the verdict per threat, the cut and the attack paths by entry point, the
findings by check. What backs it up in detail sits in companions in the same folder,
linked by relative links: the threat catalogue with upstream statuses, every path and
step, every finding and check, the system, the FMEA. Each anchor kind (`threat-…`,
`check-…`, `path-…`) lives in one document, so a link is built from its kind alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

MAIN = "main"


@dataclass(frozen=True)
class Companion:
    key: str
    title: str
    about: str
    short: str  # its name in a page's navigation bar


COMPANIONS = (
    Companion(
        "threats",
        "Threats in detail",
        "every threat with its mitigations: the upstream status in 2022 and today, who "
        "carries each, its deployment status and the findings behind it; the engine's "
        "candidate threats",
        "Threats",
    ),
    Companion(
        "paths",
        "Attack paths in detail",
        "every open path, numbered, and every distinct step with the objects it joins, its "
        "technique, threats, blocking mitigations and evidence",
        "Paths",
    ),
    Companion(
        "findings",
        "Findings and checks",
        "every finding with its resource, location, fix and fingerprint, filterable by "
        "severity and status; every check with its results",
        "Findings and checks",
    ),
    Companion(
        "system",
        "The system",
        "personas, components and trust boundaries, the data-flow diagram and the named "
        "flows as sequence diagrams",
        "System",
    ),
    Companion(
        "fmea",
        "Failure modes (FMEA)",
        "every fault injected at every step of the named flows, the deployment settings "
        "that decide the outcome, and every failure mode by priority",
        "FMEA",
    ),
)

KEYS = tuple(c.key for c in COMPANIONS)

# The document each kind of anchor lives in.
HOME = {
    "threat": "threats",
    "mitigation": "threats",
    "candidate": "threats",
    "path": "paths",
    "paths-from": "paths",
    "step": "paths",
    "check": "findings",
    "finding": "findings",
    "findings-by-check": "findings",
    "component": "system",
    "flow": "system",
    "dfd": "system",
    "fmea": "fmea",
    "fm": "fmea",
}


def file_name(stem: str, key: str, ext: str) -> str:
    """`assessment.md` for the main report, `assessment-paths.md` for a companion."""
    return f"{stem}.{ext}" if key == MAIN else f"{stem}-{key}.{ext}"


def companion(key: str) -> Companion:
    return next(c for c in COMPANIONS if c.key == key)


@dataclass(frozen=True)
class Links:
    """Relative links from one document (`page`) of a report written as `stem`.`ext`."""

    stem: str
    ext: str
    page: str = MAIN

    def doc(self, key: str) -> str:
        """The link to document `key`, relative to this one (they share a folder); a name
        with spaces or other reserved characters is percent-encoded."""
        return quote(file_name(self.stem, key, self.ext))

    def to(self, kind: str, ident: str = "") -> str:
        """The link to anchor `kind-ident` (or `kind` alone), in whichever document holds it."""
        anchor = f"{kind}-{ident}" if ident else kind
        home = HOME[kind]
        return f"#{anchor}" if home == self.page else f"{self.doc(home)}#{anchor}"

    def on(self, key: str) -> Links:
        return Links(self.stem, self.ext, key)
