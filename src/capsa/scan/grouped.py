"""Manifests scanned group by group, with memory that follows the largest group.

Pass one reads every file once (`capsa.sources.files.read_one`), keeps a small record of
it (skeletons, counts, problems, inline suppressions, offline cloud facts) and spills
its parsed resources to disk. Once every ClusterResourceSet is known, the carriers'
payloads are added as the whole read would add them (after every file's own objects).
`plan_groups` then decides which files are evaluated together; pass two loads each
group's files from the spill, resolves that part of the topology with the facts shared
across the input, and runs the checks on the objects the group owns. Each step's work
runs on `run_ordered` (a process pool with `jobs` > 1) and is merged in input order, so
every number of jobs gives the same result.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TextIO

from capsa.capi.topology import SharedFacts, build_topology
from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.model import Check
from capsa.checks.suppressions import InlineSuppressions, collect_inline
from capsa.errors import Problem
from capsa.scan.plan import GROUP_BUDGET, Group, plan_groups
from capsa.scan.pool import run_ordered
from capsa.scan.skeleton import skeleton
from capsa.scan.spill import Spill
from capsa.sources.aws.facts import CloudFacts
from capsa.sources.aws.offline import offline_facts, offline_problems
from capsa.sources.embedded import expand_carrier, is_carrier
from capsa.sources.files import read_one
from capsa.sources.resource import Resource
from capsa.sources.walk import expand_paths

PICKLE = pickle.HIGHEST_PROTOCOL
COLLECT_EVERY = 64
"""Files handled between two collections of the youngest generation. The scan pauses
the collector, yet parsing leaves a few reference cycles per file (the YAML parser's
own objects); collecting what was allocated since the last time frees them at a small
cost (a full collection would walk the whole heap each time)."""

Refs = set[tuple[str, str | None, str]]


@dataclass
class Noted:
    """What pass one keeps of some resources: their skeletons (pickled: one block
    instead of many small objects scattered among freed parse trees, which would pin the
    heap's pages), offline cloud facts, inline suppressions and the problems of both."""

    skeletons: bytes
    cloud: list[CloudFacts]
    inline: dict[str, InlineSuppressions]
    problems: list[Problem]
    count: int


def _note(resources: Sequence[Resource]) -> Noted:
    inline, problems = collect_inline(resources)
    return Noted(
        pickle.dumps([skeleton(r) for r in resources], PICKLE),
        offline_facts(resources),
        inline,
        [*offline_problems(resources), *problems],
        len(resources),
    )


@dataclass
class FileRecord:
    """Pass one's record of one file. A Secret that may carry manifests has its payloads
    parsed before its values are redacted; they wait in the spill with their problems
    here until every ClusterResourceSet is known."""

    path: str
    read: bool
    problems: list[Problem]
    documents: int
    skipped: int
    refs: Refs
    candidates: list[tuple[int, Resource]]  # position in the file, skeleton
    secret_problems: dict[int, list[Problem]]  # by position
    noted: Noted


def _record_file(
    item: tuple[int, str], variables: Mapping[str, str], root: str, stdin: TextIO | None
) -> FileRecord:
    number, path = item
    chunk = read_one(path, variables, stdin=stdin)
    spill = Spill(root)
    spill.put(f"file-{number}", chunk.resources)
    positions = {id(r): i for i, r in enumerate(chunk.resources)}
    candidates: list[tuple[int, Resource]] = []
    secret_problems: dict[int, list[Problem]] = {}
    for candidate in chunk.candidates:
        at = positions[id(candidate.resource)]
        candidates.append((at, skeleton(candidate.resource)))
        if candidate.secret_payload is not None:
            carried, problems = candidate.secret_payload
            spill.put(f"secret-{number}-{at}", carried)
            secret_problems[at] = problems
    record = FileRecord(
        chunk.path,
        chunk.read,
        chunk.problems,
        chunk.documents,
        chunk.skipped,
        chunk.refs,
        candidates,
        secret_problems,
        _note(chunk.resources),
    )
    del chunk
    if number % COLLECT_EVERY == COLLECT_EVERY - 1:
        gc.collect(0)
    return record


def _carry(item: tuple[int, list[int], list[int]], root: str) -> tuple[list[Problem], Noted]:
    """The objects a file's carriers ship (ConfigMaps at `parse`, Secrets already
    parsed at `parsed`), stored as the file's second record."""
    number, parse, parsed = item
    spill = Spill(root)
    carried: list[Resource] = []
    problems: list[Problem] = []
    own = spill.get(f"file-{number}") if parse else []
    for at in sorted([*parse, *parsed]):
        if at in parsed:
            carried.extend(spill.get(f"secret-{number}-{at}"))
            continue
        found, found_problems = expand_carrier(own[at])
        carried.extend(found)
        problems.extend(found_problems)
    spill.put(f"carried-{number}", carried)
    noted = _note(carried)
    del own, carried
    if number % COLLECT_EVERY == COLLECT_EVERY - 1:
        gc.collect(0)
    return problems, noted


@dataclass
class FirstPass:
    """What pass one keeps of the whole input: small, whatever its size."""

    paths: list[str] = field(default_factory=list)  # file number → path shown
    keys: list[int] = field(default_factory=list)  # file number → its records' number
    sizes: list[int] = field(default_factory=list)  # file number → resources (with carried)
    skeletons: list[bytes] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    inline: dict[str, InlineSuppressions] = field(default_factory=dict)
    cloud: list[CloudFacts] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    skipped: int = 0
    resources: int = 0

    def add(self, noted: Noted) -> None:
        self.skeletons.append(noted.skeletons)
        self.cloud.extend(noted.cloud)
        self.problems.extend(noted.problems)
        for identity, entry in noted.inline.items():
            self.inline.setdefault(identity, entry)
        self.resources += noted.count


def first_pass(
    paths: Sequence[str],
    variables: Mapping[str, str],
    stdin: TextIO | None,
    spill: Spill,
    jobs: int = 1,
) -> FirstPass:
    """Read every file once into `spill`, keeping only what planning and counting need.
    Standard input is read here; files on `jobs` processes."""
    first = FirstPass()
    files = list(expand_paths(paths, first.problems))
    if "-" in files:
        jobs = 1  # standard input is this process's own
    work = partial(_record_file, variables=variables, root=spill.root, stdin=stdin)
    records = run_ordered(work, list(enumerate(files)), jobs)
    refs: Refs = set()
    kept: list[tuple[int, FileRecord]] = []
    for key, record in enumerate(records):
        first.problems.extend(record.problems)
        if not record.read:
            continue
        number = len(first.paths)
        kept.append((number, record))
        first.keys.append(key)
        first.paths.append(record.path)
        first.sizes.append(record.noted.count)
        first.files += 1
        first.documents += record.documents
        first.skipped += record.skipped
        refs |= record.refs
        first.add(record.noted)
    _add_carried(first, spill, refs, kept, jobs)
    return first


def _add_carried(
    first: FirstPass, spill: Spill, refs: Refs, kept: Sequence[tuple[int, FileRecord]], jobs: int
) -> None:
    """Objects carried by the candidates that are carriers, in read order (after every
    file's own objects, as the whole read adds them)."""
    items: list[tuple[int, list[int], list[int]]] = []
    numbers: list[int] = []
    for number, record in kept:
        parse: list[int] = []
        parsed: list[int] = []
        for at, stub in record.candidates:
            if not is_carrier(stub, refs):
                continue
            if at in record.secret_problems:
                parsed.append(at)
                first.problems.extend(record.secret_problems[at])
            else:
                parse.append(at)
        if parse or parsed:
            items.append((first.keys[number], parse, parsed))
            numbers.append(number)
    done = run_ordered(partial(_carry, root=spill.root), items, jobs)
    for number, (problems, noted) in zip(numbers, done, strict=True):
        first.problems.extend(problems)
        first.sizes[number] += noted.count
        first.add(noted)


def load_group(group: Group, keys: Sequence[int], spill: Spill) -> list[Resource]:
    """A group's resources in read order: its files' own objects, then carried ones."""
    resources: list[Resource] = []
    for number in group.loads:
        resources.extend(spill.get(f"file-{keys[number]}"))
    for number in group.loads:
        resources.extend(spill.get(f"carried-{keys[number]}"))
    return resources


@dataclass
class GroupOutcome:
    """What evaluating one group gave: plain, picklable, small."""

    evaluation: EvaluationResult
    problems: list[Problem]
    inline: dict[str, InlineSuppressions]
    inline_problems: list[Problem]


def evaluate_group(
    group: Group,
    first: FirstPass,
    root: str,
    shared: SharedFacts,
    checks: Sequence[Check],
) -> GroupOutcome:
    """Resolve a group's files and run `checks` on the objects it owns."""
    resources = load_group(group, first.keys, Spill(root))
    topology = build_topology(resources, shared=shared)
    owned = {first.paths[n] for n in group.owned}
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


def _evaluate_packed(
    group: Group, first: FirstPass, root: str, shared: SharedFacts, checks: Sequence[Check]
) -> bytes:
    """`evaluate_group`, pickled at once: a group's results are then one block in the
    scan's memory until the merge, not objects scattered among freed trees."""
    outcome = pickle.dumps(evaluate_group(group, first, root, shared, checks), PICKLE)
    gc.collect(0)
    return outcome


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
    jobs: int = 1,
) -> GroupedScan:
    """Pass one, the plan and pass two over every group, merged in group order."""
    with Spill() as spill:
        first = first_pass(paths, variables, stdin, spill, jobs)
        file_of = {path: n for n, path in enumerate(first.paths)}
        skeletons = [r for blob in first.skeletons for r in pickle.loads(blob)]  # noqa: S301
        first.skeletons = []
        planned = plan_groups(skeletons, file_of, first.sizes, budget or GROUP_BUDGET)
        del skeletons  # planning was their only use
        gc.collect(0)
        work = partial(
            _evaluate_packed, first=first, root=spill.root, shared=planned.shared, checks=checks
        )
        outcomes = run_ordered(work, planned.groups, jobs)
    merged = EvaluationResult()
    problems: list[Problem] = []
    inline = dict(first.inline)
    for blob in outcomes:
        done: GroupOutcome = pickle.loads(blob)  # noqa: S301 - made by this scan
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
