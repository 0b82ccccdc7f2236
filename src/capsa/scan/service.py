"""The scan as one call: read manifests (and optionally a live cluster), resolve the Cluster
API topology, run every check, apply suppressions and a baseline, and count the outcome.

Input problems never stop a scan: they are collected in `errors`. Only a suppressions file
or a baseline that cannot be used raises InputError, because silently ignoring either would
change which findings fail a build.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from capsa.capi.clusters import ClusterView
from capsa.capi.kinds import TOPOLOGY_KINDS, capi_kinds
from capsa.capi.topology import Topology, build_topology
from capsa.checks.catalog import load_checks
from capsa.checks.engine import ContextFor, EvaluationResult, evaluate
from capsa.checks.findings import CheckResult, Finding, Severity, placed
from capsa.checks.model import Check
from capsa.checks.suppressions import (
    InlineSuppressions,
    apply_suppressions,
    baseline_mismatch,
    collect_inline,
    load_suppressions,
    read_baseline,
)
from capsa.cloud.service import cloud_evidence
from capsa.errors import InputError, Problem
from capsa.scan.result import ScanResult, ScanSummary
from capsa.slotted import replaced
from capsa.sources.aws.offline import offline_read
from capsa.sources.clusterctl_vars import load_vars_file
from capsa.sources.files import read_manifests
from capsa.sources.resource import Resource
from capsa.sources.root import is_file_path, relative_to_root, scan_root

if TYPE_CHECKING:
    from capsa.live.catalog import LiveCheck
    from capsa.sources.aws.collect import AwsOptions
    from capsa.sources.aws.facts import CloudFacts


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how. `variables` win over values from `vars_files` (later files win
    over earlier ones). `today` decides suppression expiry (default: the current UTC day);
    `checks` replaces the shipped check set (default: every shipped check)."""

    paths: Sequence[str] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    vars_files: Sequence[str] = ()
    ignore_file: str | None = None
    baseline: str | None = None
    strict: bool = False
    cluster: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    namespaces: Sequence[str] = ()
    cluster_timeout: float | None = None
    today: date | None = None
    stdin: TextIO | None = None
    checks: Sequence[Check] | None = None
    aws: AwsOptions | None = None  # read this AWS account (None: no live cloud read)
    # False: the result carries no topology, and files are scanned group by group
    # (memory follows the largest group); with `keep_clusters` the groups also give
    # every Cluster's view, all the attack graph and the FMEA read of the topology
    keep_topology: bool = True
    keep_clusters: bool = False
    jobs: int = 1  # processes for a grouped scan (results identical for any number)
    cache_dir: str | None = None  # incremental cache of a grouped scan (None: no cache)
    root: str | None = None  # locations relative to this (None: the paths' own root)


def _variables(request: ScanRequest, problems: list[Problem]) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in request.vars_files:
        loaded, found = load_vars_file(path)
        values.update(loaded)
        problems.extend(found)
    values.update(request.variables)
    return values


@dataclass
class _Read:
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    live_findings: list[Finding] = field(default_factory=list)
    cloud: list[CloudFacts] = field(default_factory=list)
    account_read: bool = False  # an AWS account answered (--aws)
    live_passes: list[CheckResult] = field(default_factory=list)
    live_unknown: list[CheckResult] = field(default_factory=list)
    live_not_applicable: list[CheckResult] = field(default_factory=list)
    files: int = 0
    resource_count: int = 0
    documents: int = 0
    skipped: int = 0
    live: bool = False
    kinds: dict[str, int] = field(default_factory=dict)  # `kinds.capi_kinds` of the input
    unread: dict[str, str] = field(default_factory=dict)  # kinds a live read left unread


def _read(request: ScanRequest) -> _Read:
    read = _Read()
    variables = _variables(request, read.problems)
    if request.paths:
        source = read_manifests(list(request.paths), variables, stdin=request.stdin)
        read.resources.extend(source.resources)
        read.problems.extend(source.problems)
        read.files = source.files_read
        read.documents = source.documents_read
        read.skipped = source.documents_skipped
    if request.cluster:
        # Only a live scan needs these; lightkube alone takes ~0.1 s to import.
        from capsa.live import analyse
        from capsa.sources.cluster import read_cluster, read_problems
        from capsa.sources.cluster_http import LiveLimits

        limits = LiveLimits()
        if request.cluster_timeout is not None:
            limits = LiveLimits(deadline=request.cluster_timeout)
        live = read_cluster(
            request.kubeconfig, request.context, list(request.namespaces), limits=limits
        )
        read.resources.extend(live.resources)
        read.problems.extend(live.problems)
        where = f"cluster://{live.context}" if live.context else (request.kubeconfig or "cluster")
        read.problems.extend(read_problems(live, where))
        read.live = not live.unusable
        read.unread = dict(live.unread)  # every kind not_assessable names, and those
        # a failed discovery hid
        if read.live:
            report = analyse(live.resources, unread=live.unread, scope=request.namespaces)
            read.live_findings.extend(report.findings)
            read.live_passes.extend(report.passes)
            read.live_unknown.extend(report.unknown)
            read.live_not_applicable.extend(report.not_applicable)
            read.problems.extend(
                Problem(where, None, None, f"live check {check_id} not run: {why}")
                for check_id, why in report.failed
            )
    cloud, cloud_problems = offline_read(read.resources)
    read.cloud.extend(cloud)
    read.problems.extend(cloud_problems)
    if request.aws is not None:
        _read_aws(request.aws, read)
    return read


def _read_aws(options: AwsOptions, read: _Read) -> None:
    """The account's facts; what keeps the read from starting becomes a problem."""
    from capsa.sources.aws.collect import read_account

    try:
        read.cloud.append(read_account(options))
    except InputError as error:
        read.problems.extend(error.problems)
    else:
        read.account_read = True


def unjudged_note(
    kinds: Mapping[str, int],
    checks: Sequence[Check],
    where: str,
    catalogue: Sequence[Check] | None = None,
) -> Problem | None:
    """A note naming the Cluster API kinds among the inputs that no check matches and the
    topology does not follow (an RKE2ControlPlane, a TalosControlPlane, a provider's
    own machines), with their counts: capsa gives them no verdict, so having no finding
    on them is not a pass. With a selection of checks (`catalogue`: every check there
    is), kinds only left-out checks judge are named apart. None when there are none."""
    selected = _judged(checks)
    every = selected | _judged(catalogue or ())
    never: dict[str, int] = {}
    left_out: dict[str, int] = {}
    for key, count in kinds.items():
        group, _, kind = key.rpartition("/")
        if (group, kind) in selected or (group, kind) in TOPOLOGY_KINDS:
            continue
        into = left_out if (group, kind) in every else never
        into[kind] = into.get(kind, 0) + count
    parts = []
    if never:
        parts.append(
            f"{sum(never.values())} Cluster API object(s) of kinds no check judges: "
            f"{_counted(never)}"
        )
    if left_out:
        parts.append(
            f"{sum(left_out.values())} Cluster API object(s) of kinds only checks this run "
            f"left out judge: {_counted(left_out)}"
        )
    if not parts:
        return None
    message = "; ".join(parts) + (
        ". capsa gives them no verdict here, so no finding on them is not a pass"
    )
    return Problem(where, None, None, message, is_note=True)


def _judged(checks: Sequence[Check]) -> set[tuple[str, str]]:
    return {(k.group, k.kind) for check in checks for k in check.match.kinds}


def _counted(kinds: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} x{count}" for kind, count in sorted(kinds.items()))


def _unique(findings: Sequence[Finding]) -> list[Finding]:
    """Drop exact repeats (same fingerprint at the same place), keep order."""
    seen: set[tuple[str, str, int | None]] = set()
    out: list[Finding] = []
    for finding in findings:
        key = (finding.fingerprint, finding.location.path, finding.location.line)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _place(findings: list[Finding], root: Path | None) -> None:
    """Every finding's fingerprint given the file it points at, relative to the scan root
    (`findings.placed`): the same wherever the folder is scanned from, and distinct for
    copies of one object in two files. In place, so each finding is let go as its placed
    copy is made (corpus x80: both held at once added 21 MB to the scan's peak). A live
    cluster's and a cloud account's findings are left as they are: their locations name
    the kubeconfig context, which one cluster may be reached by under any name."""
    shown: dict[str, str] = {}
    for at, finding in enumerate(findings):
        where = finding.location
        if not is_file_path(where.path):
            continue
        path = shown.get(where.path)
        if path is None:
            path = shown[where.path] = relative_to_root(where.path, root)
        fingerprint = placed(finding.fingerprint, path, where.carrier)
        findings[at] = replaced(finding, fingerprint=fingerprint)


def _order(finding: Finding) -> tuple[int, str, int, str, str]:
    return (
        -finding.severity.rank,
        finding.location.path,
        finding.location.line or 0,
        finding.check_id,
        finding.resource.identity,
    )


def _summary(
    read: _Read,
    findings: Sequence[Finding],
    baselined: Sequence[Finding],
    refused: int,
    expired: int,
    checks: int,
    evaluated: int,
    passes: int,
    unknown: int,
    not_applicable: int,
    errors: int,
) -> ScanSummary:
    open_counts = Counter(f.severity.value for f in findings if not f.suppressed)
    return ScanSummary(
        by_severity={s.value: open_counts.get(s.value, 0) for s in reversed(Severity)},
        open=sum(open_counts.values()),
        suppressed=sum(1 for f in findings if f.suppressed),
        suppressed_critical=sum(
            1 for f in findings if f.suppressed and f.severity == Severity.CRITICAL
        ),
        refused_critical=refused,
        baseline=len(baselined),
        baseline_critical=sum(1 for f in baselined if f.severity == Severity.CRITICAL),
        files=read.files,
        documents=read.documents,
        documents_skipped=read.skipped,
        resources=read.resource_count,
        checks=checks,
        checks_evaluated=evaluated,
        passes=passes,
        unknown=unknown,
        not_applicable=not_applicable,
        errors=errors,
        expired_suppressions=expired,
    )


def _live_checks() -> tuple[LiveCheck, ...]:
    from capsa.live.catalog import live_checks

    return tuple(live_checks().values())


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for a block. A scan and what its caller does
    with the result build many acyclic objects (freed by reference counting), and full
    collections walking them cost about a quarter of a run on large inputs.

    Everything allocated meanwhile sits in the youngest generation, and the first
    collection after re-enabling would walk all of it (5 % of a small scan). Freezing and
    unfreezing moves it to the oldest generation in constant time instead, where a later
    full collection still finds any cycle. Skipped when the caller has frozen objects of
    its own, which unfreezing would release."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def scan(request: ScanRequest) -> ScanResult:
    """Run the whole scan (`collector_paused`). Raises InputError only for an unusable
    suppressions file or baseline, or a broken shipped check set; everything else lands
    in `errors`."""
    with collector_paused():
        return _scan(request)


def _grouped(request: ScanRequest, checks: Sequence[Check]) -> _Evaluated:
    """Files scanned group by group; a live cluster or account read is added whole."""
    from capsa.scan.grouped import scan_groups

    read = _Read()
    variables = _variables(request, read.problems)
    done = scan_groups(
        request.paths,
        variables,
        request.stdin,
        checks,
        jobs=request.jobs,
        cache_dir=request.cache_dir,
        keep_clusters=request.keep_clusters,
    )
    first = done.first
    read.problems.extend(first.problems)
    read.cloud.extend(first.cloud)
    read.files, read.documents, read.skipped = first.files, first.documents, first.skipped
    read.resource_count = first.resources
    read.kinds = first.kinds
    if request.aws is not None:
        _read_aws(request.aws, read)
    return _Evaluated(read, None, done.evaluation, done.problems, done.inline, done.clusters)


def _whole(request: ScanRequest, checks: Sequence[Check]) -> _Evaluated:
    """Every input resolved and evaluated at once, the topology kept."""
    read = _read(request)
    read.resource_count = len(read.resources)
    read.kinds = capi_kinds(read.resources)
    topology = build_topology(read.resources, quotas_unread="ResourceQuota" in read.unread)
    targets = topology.evaluation_resources(read.resources)
    context_for: ContextFor = topology.context_for
    if read.live:
        from capsa.live.unread import with_unread

        context_for = with_unread(context_for, read.unread)
    evaluation = evaluate(targets, checks, context_for)
    inline, inline_problems = collect_inline([*read.resources, *targets])
    return _Evaluated(read, topology, evaluation, [*topology.problems, *inline_problems], inline)


@dataclass
class _Evaluated:
    read: _Read
    topology: Topology | None
    evaluation: EvaluationResult
    problems: list[Problem]  # the topology's and inline annotations'
    inline: Mapping[str, InlineSuppressions]
    clusters: tuple[ClusterView, ...] | None = None  # kept by a grouped scan, if asked


def ordered_problems(
    problems: Iterable[Problem],
) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """The errors and the notes among `problems`, each once, in one order whatever order
    they came in: by file, line, column, message (a set's order differs run to run, so
    two problems alike but for their column came out either way)."""
    ordered = sorted(
        set(problems), key=lambda p: (p.path, p.line or 0, p.column or 0, p.message, p.is_note)
    )
    return tuple(p for p in ordered if not p.is_note), tuple(p for p in ordered if p.is_note)


def _scan(request: ScanRequest) -> ScanResult:
    suppressions = load_suppressions(request.ignore_file) if request.ignore_file else []
    baseline = read_baseline(request.baseline) if request.baseline else None
    checks = tuple(load_checks() if request.checks is None else request.checks)

    grouped = not request.keep_topology and not request.cluster
    parts = _grouped(request, checks) if grouped else None
    done = parts if parts is not None else _whole(request, checks)
    read, topology, evaluation, inline = done.read, done.topology, done.evaluation, done.inline
    cloud = cloud_evidence(read.cloud)
    evaluation.findings.extend(cloud.findings)
    evaluation.passes.extend(cloud.passes)
    evaluation.unknown.extend(cloud.unknown)
    evaluation.not_applicable.extend(cloud.not_applicable)
    problems = [*read.problems, *done.problems, *evaluation.problems]
    root = scan_root(request.paths, request.root)
    unjudged = unjudged_note(
        read.kinds,
        checks,
        root.as_posix() if root is not None else "-",
        None if request.checks is None else load_checks(),
    )
    problems.extend([unjudged] if unjudged is not None else [])
    _place(evaluation.findings, root)
    found = sorted(_unique([*evaluation.findings, *read.live_findings]), key=_order)
    today = request.today or datetime.now(UTC).date()
    outcome = apply_suppressions(found, suppressions, inline, today)

    held_back = baseline.fingerprints if baseline is not None else frozenset[str]()
    kept = [f for f in outcome.findings if f.fingerprint not in held_back]
    baselined = [f for f in outcome.findings if f.fingerprint in held_back]
    if baseline is not None:
        mismatch = baseline_mismatch(baseline, len(baselined), root)
        problems.extend([mismatch] if mismatch is not None else [])
    shown = {f.fingerprint for f in kept}
    applied = tuple(a for a in outcome.applied if a.fingerprint in shown)
    evaluated = {
        r.check_id for r in (*evaluation.passes, *evaluation.unknown, *evaluation.not_applicable)
    }
    evaluated.update(f.check_id for f in evaluation.findings)
    errors, notes = ordered_problems(problems)
    summary = _summary(
        read,
        kept,
        baselined,
        refused=len(outcome.refused),
        expired=len(outcome.expired),
        checks=len(checks) + (len(cloud.checks) if read.cloud else 0),
        evaluated=len(evaluated),
        passes=len(evaluation.passes) + len(read.live_passes),
        unknown=len(evaluation.unknown) + len(read.live_unknown),
        not_applicable=len(evaluation.not_applicable) + len(read.live_not_applicable),
        errors=len(errors),
    )
    files_read = bool(request.paths) and read.files > 0
    # an unreadable cluster or account is unusable input even beside readable files: the
    # scan asked for its evidence and got none (the problems say what could not be read)
    nothing_read = (
        (not read.resource_count and not read.account_read and bool(errors))
        or not (files_read or read.live or read.account_read)
        or (request.cluster and not read.live)
        or (request.aws is not None and not read.account_read)
    )
    result = ScanResult(
        findings=tuple(kept),
        passes=(*evaluation.passes, *read.live_passes),
        unknown=(*evaluation.unknown, *read.live_unknown),
        not_applicable=(*evaluation.not_applicable, *read.live_not_applicable),
        errors=errors,
        notes=notes,
        summary=summary,
        expired_suppressions=outcome.expired,
        suppressions=applied,
        refused_suppressions=outcome.refused,
        baselined=tuple(baselined),
        checks=checks,
        live_checks=_live_checks() if read.live else (),
        topology=topology,
        cluster_views=done.clusters,
        cloud_checks=cloud.checks if read.cloud else (),
        cloud_sources=tuple(read.cloud),
        cloud_note=cloud.note,
        nothing_read=nothing_read,
        strict=request.strict,
    )
    return result if root is None else replace(result, root=root.as_posix())
