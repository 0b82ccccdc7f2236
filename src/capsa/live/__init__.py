"""Analyses that need a running management cluster: RBAC, bootstrap, controllers, clusters.

Each live check is a data entry in `checks.yaml` plus a function registered under its id
(`capsa.live.registry.live_check`). `analyse` runs every one over the Resources
`capsa.sources.cluster.read_cluster` returns and says which checks could not be fully
assessed because a kind they need was not readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef
from capsa.live.catalog import LiveCheck, live_checks
from capsa.live.index import LiveIndex
from capsa.live.registry import LiveInput, LiveOptions, live_check, registered
from capsa.sources.resource import Resource

CA_REUSE = (
    "CA certificate reuse across clusters (STRIDE-EOP-1)",
    "needs the tls.crt bytes of <cluster>-ca Secrets; capsa reads Secrets as metadata only",
)


@dataclass(frozen=True)
class LiveReport:
    """Findings of every live check and what could not be assessed, with the reason;
    per check with no finding, a pass (it judged objects of its `appliesTo` kind), not
    applicable (there are none), or unknown (a kind it needs could not be read)."""

    findings: list[Finding]
    not_assessable: list[tuple[str, str]] = field(default_factory=list)
    passes: list[CheckResult] = field(default_factory=list)
    not_applicable: list[CheckResult] = field(default_factory=list)
    unknown: list[CheckResult] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """Live checks whose analysis raised on the data read (check id, why)."""


def _where(resources: list[Resource]) -> str:
    """`cluster://<context>` of the cluster the resources were read from."""
    for resource in resources:
        path = resource.origin.path
        if path.startswith("cluster://"):
            return "cluster://" + path[len("cluster://") :].split("/", 1)[0]
    return "cluster://"


def _outcomes(
    checks: dict[str, LiveCheck],
    live: LiveInput,
    fired: set[str],
    gaps: dict[str, str],
    where: str,
) -> tuple[list[CheckResult], list[CheckResult], list[CheckResult]]:
    """A check with a gap (a kind it needs not read, or a part it could not decide) is
    unknown, beside any finding it made on what it did read; one with no finding passes
    on what it judged, or is not applicable when there was nothing to judge."""
    passes: list[CheckResult] = []
    not_applicable: list[CheckResult] = []
    unknown: list[CheckResult] = []
    location = Location(where, None)
    for check in checks.values():
        if check.applies_to is None:
            continue
        ref = ResourceRef("", check.applies_to, None, f"every {check.applies_to} read")
        if check.id in gaps:
            unknown.append(CheckResult(check.id, ref, location, gaps[check.id]))
            continue
        if check.id in fired:
            continue
        count, what = live.notes.judged.get(
            check.id, (len(live.index.kind(check.applies_to)), f"{check.applies_to} object(s)")
        )
        if not count:
            reason = f"no {what.removesuffix(' object(s)')} in the cluster"
            not_applicable.append(CheckResult(check.id, ref, location, reason))
        else:
            reason = f"no finding on {count} {what}"
            passes.append(CheckResult(check.id, ref, location, reason))
    return passes, not_applicable, unknown


def _unread(kinds: list[str], why: Mapping[str, str]) -> list[str]:
    """ "could not read A, B (the reason)", once per reason."""
    by_reason: dict[str, list[str]] = {}
    for kind in sorted(kinds):
        by_reason.setdefault(why[kind], []).append(kind)
    return [
        f"could not read {', '.join(names)}" + (f" ({reason})" if reason else "")
        for reason, names in by_reason.items()
    ]


def analyse(
    resources: Iterable[Resource],
    now: datetime | None = None,
    options: LiveOptions | None = None,
    unread: Mapping[str, str] | Iterable[str] = (),
    scope: Iterable[str] = (),
) -> LiveReport:
    """Run every live check. `unread` names kinds the reader could not (fully) read, with
    why when a mapping (`ClusterReadResult.unread`); `scope` the namespaces namespaced kinds
    were read in (`--namespace`; empty: every one)."""
    read = list(resources)
    missing = dict(unread) if isinstance(unread, Mapping) else dict.fromkeys(unread, "")
    live = LiveInput(
        LiveIndex.of(read),
        now or datetime.now(UTC),
        options or LiveOptions(),
        missing,
        frozenset(scope),
    )
    checks = live_checks()
    analyses = registered()
    findings: list[Finding] = []
    failed: list[tuple[str, str]] = []
    for check_id in checks:
        try:  # a server can answer anything: one analysis meeting odd data must not end the scan
            findings.extend(analyses[check_id].function(live))
        except Exception as error:
            failed.append(
                (check_id, f"its analysis failed on the data read ({type(error).__name__})")
            )
    not_assessable = [CA_REUSE, *failed]
    # an analysis that failed on the data judged nothing: unknown, never a pass
    gaps: dict[str, str] = dict(failed)
    for check in checks.values():
        if check.id in gaps:
            continue
        why = _unread([kind for kind in check.needs if kind in missing], missing)
        why.extend(live.notes.undecided.get(check.id, ()))
        if why:
            gaps[check.id] = "; ".join(why)
            not_assessable.append((check.id, gaps[check.id]))
    findings.sort(key=lambda f: (f.check_id, f.resource.identity, f.fingerprint))
    fired = {f.check_id for f in findings}
    passes, not_applicable, unknown = _outcomes(checks, live, fired, gaps, _where(read))
    return LiveReport(findings, not_assessable, passes, not_applicable, unknown, failed)


__all__ = [
    "Finding",
    "LiveCheck",
    "LiveInput",
    "LiveOptions",
    "LiveReport",
    "analyse",
    "live_check",
    "live_checks",
]
