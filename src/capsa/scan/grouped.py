"""Manifests scanned group by group, with memory that follows the largest group.

Pass one reads every file once (`read_chunks`), keeps its skeletons, counts, problems,
inline suppressions and offline cloud facts, and spills its parsed resources to disk.
Once every ClusterResourceSet is known, the carriers' payloads are added as the whole
read would add them (after every file's own objects). `plan_groups` then decides which
files are evaluated together; pass two loads each group's files from the spill,
resolves that part of the topology with the facts shared across the input, and runs the
checks on the objects the group owns. Groups may run on a process pool
(`capsa.scan.pool`) and be answered from a cache (`capsa.scan.cache`); results are
merged in group order and sorted, so every way of running gives the same result.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from capsa.capi.topology import SharedFacts, build_topology
from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.model import Check
from capsa.checks.suppressions import InlineSuppressions, collect_inline
from capsa.errors import Problem
from capsa.scan.plan import GROUP_BUDGET, Group, plan_groups
from capsa.scan.skeleton import skeleton
from capsa.scan.spill import Spill
from capsa.sources.aws.facts import CloudFacts
from capsa.sources.aws.offline import offline_facts, offline_problems
from capsa.sources.embedded import expand_carrier, is_carrier
from capsa.sources.files import read_chunks
from capsa.sources.resource import Resource

PICKLE = pickle.HIGHEST_PROTOCOL
COLLECT_EVERY = 64
"""Files read between two cyclic collections. The scan pauses the collector, yet parsing
leaves a few reference cycles per file (the YAML parser's own objects); collecting now
and then keeps pass one's memory flat at a small cost, the heap being small."""


@dataclass
class FirstPass:
    """What pass one keeps of the whole input: small, whatever its size."""

    paths: list[str] = field(default_factory=list)  # file number → path shown
    sizes: list[int] = field(default_factory=list)  # file number → resources (with embedded)
    # each file's skeletons, pickled: one long-lived block per file instead of many small
    # objects scattered among the freed parse trees (which would pin the heap's pages)
    skeletons: list[bytes] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    inline: dict[str, InlineSuppressions] = field(default_factory=dict)
    cloud: list[CloudFacts] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    skipped: int = 0
    resources: int = 0


@dataclass
class GroupOutcome:
    """What evaluating one group gave: plain, picklable, small."""

    evaluation: EvaluationResult
    problems: list[Problem]
    inline: dict[str, InlineSuppressions]
    inline_problems: list[Problem]


def _note(first: FirstPass, resources: Sequence[Resource]) -> None:
    first.skeletons.append(pickle.dumps([skeleton(r) for r in resources], PICKLE))
    first.cloud.extend(offline_facts(resources))
    first.problems.extend(offline_problems(resources))
    found, problems = collect_inline(resources)
    for identity, entry in found.items():
        first.inline.setdefault(identity, entry)
    first.problems.extend(problems)
    first.resources += len(resources)


def first_pass(
    paths: Sequence[str],
    variables: Mapping[str, str],
    stdin: TextIO | None,
    spill: Spill,
) -> FirstPass:
    """Read every file once into `spill`, keeping only what planning and counting need."""
    first = FirstPass()
    refs: set[tuple[str, str | None, str]] = set()
    candidates: list[tuple[int, int, Resource]] = []  # file, position, skeleton
    secret_payloads: dict[tuple[int, int], tuple[list[Resource], list[Problem]]] = {}
    for chunk in read_chunks(paths, variables, stdin=stdin):
        first.problems.extend(chunk.problems)
        if not chunk.read:
            continue
        number = len(first.paths)
        first.paths.append(chunk.path)
        first.sizes.append(len(chunk.resources))
        first.files += 1
        first.documents += chunk.documents
        first.skipped += chunk.skipped
        refs |= chunk.refs
        spill.put(("file", number), chunk.resources)
        positions = {id(r): i for i, r in enumerate(chunk.resources)}
        for candidate in chunk.candidates:
            at = positions[id(candidate.resource)]
            candidates.append((number, at, skeleton(candidate.resource)))
            if candidate.secret_payload is not None:
                secret_payloads[(number, at)] = candidate.secret_payload
        _note(first, chunk.resources)
        if number % COLLECT_EVERY == COLLECT_EVERY - 1:
            gc.collect()
    _add_carried(first, spill, refs, candidates, secret_payloads)
    return first


def _add_carried(
    first: FirstPass,
    spill: Spill,
    refs: set[tuple[str, str | None, str]],
    candidates: Sequence[tuple[int, int, Resource]],
    secret_payloads: Mapping[tuple[int, int], tuple[list[Resource], list[Problem]]],
) -> None:
    """Objects carried by the candidates that are carriers, in read order, stored as each
    file's second record as soon as that file's carriers are done."""
    by_file: dict[int, list[int]] = {}
    for number, at, stub in candidates:
        if is_carrier(stub, refs):
            by_file.setdefault(number, []).append(at)
    for count, (number, positions) in enumerate(by_file.items()):
        own: list[Resource] | None = None  # the file's resources, loaded once if needed
        carried: list[Resource] = []
        for at in positions:
            found = secret_payloads.get((number, at))
            if found is None:
                own = own if own is not None else spill.get(("file", number))
                found = expand_carrier(own[at])
            resources, problems = found
            first.problems.extend(problems)
            carried.extend(resources)
        spill.put(("carried", number), carried)
        first.sizes[number] += len(carried)
        _note(first, carried)
        del own, carried
        if count % COLLECT_EVERY == COLLECT_EVERY - 1:
            gc.collect()


def load_group(group: Group, spill: Spill) -> list[Resource]:
    """A group's resources in read order: its files' own objects, then carried ones."""
    resources: list[Resource] = []
    for number in group.loads:
        resources.extend(spill.get(("file", number)))
    for number in group.loads:
        resources.extend(spill.get(("carried", number)))
    return resources


def evaluate_group(
    group: Group,
    paths: Sequence[str],
    spill: Spill,
    shared: SharedFacts,
    checks: Sequence[Check],
) -> GroupOutcome:
    """Resolve a group's files and run `checks` on the objects it owns."""
    resources = load_group(group, spill)
    topology = build_topology(resources, shared=shared)
    owned = {paths[n] for n in group.owned}
    resolved = {
        id(r)
        for view in topology.clusters
        if view.cluster.origin.path in owned
        for r in view.resolved
    }
    everything = {id(r) for r in topology.resolved_resources}
    targets = [
        r
        for r in topology.evaluation_resources(resources)
        if (id(r) in resolved) or (id(r) not in everything and r.origin.path in owned)
    ]
    evaluation = evaluate(targets, checks, topology.context_for)
    inline, inline_problems = collect_inline([r for r in targets if id(r) in resolved])
    return GroupOutcome(evaluation, list(topology.problems), inline, inline_problems)


@dataclass
class GroupedScan:
    """The whole input scanned group by group: pass one's record and the merged results."""

    first: FirstPass
    evaluation: EvaluationResult
    problems: list[Problem]  # the topology's and inline annotations' problems
    inline: dict[str, InlineSuppressions]
    groups: int


def scan_groups(
    paths: Sequence[str],
    variables: Mapping[str, str],
    stdin: TextIO | None,
    checks: Sequence[Check],
    budget: int | None = None,
) -> GroupedScan:
    """Pass one, the plan and pass two over every group, merged in group order."""
    with Spill() as spill:
        first = first_pass(paths, variables, stdin, spill)
        file_of = {path: n for n, path in enumerate(first.paths)}
        skeletons = [r for blob in first.skeletons for r in pickle.loads(blob)]  # noqa: S301
        first.skeletons = []
        planned = plan_groups(skeletons, file_of, first.sizes, budget or GROUP_BUDGET)
        del skeletons  # planning was their only use
        gc.collect()
        outcomes: list[bytes] = []
        for group in planned.groups:
            outcome = evaluate_group(group, first.paths, spill, planned.shared, checks)
            outcomes.append(pickle.dumps(outcome, PICKLE))
            del outcome
            gc.collect()
        merged = EvaluationResult()
        problems: list[Problem] = []
        inline = dict(first.inline)
        for blob in outcomes:
            done: GroupOutcome = pickle.loads(blob)  # noqa: S301 - made just above
            merge(merged, done.evaluation)
            problems.extend(done.problems)
            problems.extend(done.inline_problems)
            for identity, entry in done.inline.items():
                inline.setdefault(identity, entry)
    return GroupedScan(first, merged, problems, inline, len(planned.groups))


def merge(into: EvaluationResult, part: EvaluationResult) -> None:
    into.findings.extend(part.findings)
    into.passes.extend(part.passes)
    into.unknown.extend(part.unknown)
    into.not_applicable.extend(part.not_applicable)
    into.problems.extend(part.problems)
