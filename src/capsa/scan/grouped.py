"""Manifests scanned group by group, with memory that follows the largest group.

Pass one reads every file once (`capsa.sources.files.read_one`), keeps a small record of
it (skeletons, counts, problems, inline suppressions, offline cloud facts) and puts
its parsed resources in the spill (held as they are for a small serial input, pickled
and compressed otherwise: `capsa.scan.spill`). Once every ClusterResourceSet is known, the carriers'
payloads are added as the whole read would add them (after every file's own objects).
`plan_groups` then decides which files are evaluated together; pass two loads each
group's files from the spill, resolves that part of the topology with the facts shared
across the input, and runs the checks on the objects the group owns. Each step's work
runs on `run_ordered` (a process pool with `jobs` > 1) and is merged in input order, so
every number of jobs gives the same result.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TextIO

from capsa import __version__
from capsa.capi.clusters import ClusterView
from capsa.capi.index import resource_key
from capsa.capi.kinds import capi_kinds
from capsa.capi.rbac import rbac_facts
from capsa.capi.topology import SharedFacts, Topology, build_topology, shared_facts
from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.findings import CheckResult, Finding
from capsa.checks.model import Check
from capsa.checks.suppressions import InlineSuppressions, collect_inline
from capsa.errors import Problem
from capsa.scan.cache import (
    FORMAT,
    Cache,
    CachedFile,
    CachedGroup,
    CachedNoted,
    checks_key,
    digest,
    shared_key,
    variables_key,
)
from capsa.scan.heap import now_and_then, release_free_memory
from capsa.scan.parts import Head, plan_in_parts
from capsa.scan.plan import GROUP_BUDGET, Group, Place, place_of, plan_groups
from capsa.scan.pool import each_in_order, run_ordered
from capsa.scan.sharing import Sharing
from capsa.scan.skeleton import Head as PackedHead
from capsa.scan.skeleton import heads_of, interned, pack, skeleton, split, unpack
from capsa.scan.spill import Spill
from capsa.scan.stubs import Bodies, stubs
from capsa.slotted import columns
from capsa.sources.aws.facts import CloudFacts
from capsa.sources.aws.offline import offline_read
from capsa.sources.embedded import expand_carrier, is_carrier
from capsa.sources.files import FileChunk, chunk_of, read_one, read_text
from capsa.sources.generators import PayloadMarker, generated_files, resource_files
from capsa.sources.kustomize import mark_patch_files, patch_files, patch_owner
from capsa.sources.resource import Origin, Resource
from capsa.sources.walk import expand_paths
from capsa.yamlio import plain

PICKLE = pickle.HIGHEST_PROTOCOL
HOLD_BYTES = 8 * 2**20
"""Input size (files on disk) up to which a serial scan keeps parsed files in memory
between its passes instead of pickling them to the spill. Measured on the corpus since
positions are packed (`yamlio.LineDict`): a held input costs about 12 MB of peak memory
per MiB of YAML and saves a tenth of the CPU time (x5, 8.1 MiB: 169 MB and 3.2 s held,
114 MB and 3.6 s packed; x10, 16.5 MiB: 268 MB against 125 MB; x20 held: 467 MB). 8 MiB
keeps a held scan's peak near 170 MB: up to this size a scan trades memory for time,
beyond it memory must not grow with the input. Decided before reading, for the whole
input: holding only part of a larger input kept that part's memory through planning
and every group (x20: 318 MB holding its first 4,000 resources, 260 MB holding none)."""
Refs = set[tuple[str, str | None, str]]


Block = str | list[Resource]
"""Some resources' skeletons as they are, or the spill key of their packed block."""


def _store(skeletons: list[Resource], spill: Spill, key: str) -> Block:
    """Skeletons packed (`skeleton.pack`) and put in the spill under `key`, within its
    memory bound like every record, as soon as they are made: kept in pass one's
    records until every file was read, the corpus x40's blocks took 21 MB. Kept as
    they are when the scan holds its parse trees anyway (`Spill.holding`), when there
    are none (most files have nothing for the RBAC analysis) or when marshal cannot
    write them."""
    if spill.holding or not skeletons:
        return skeletons
    packed = pack(skeletons)
    if isinstance(packed, list):
        return packed
    heads, bodies = packed
    spill.put_bytes(key, len(heads).to_bytes(4, "little") + heads + bodies)
    return key


def _block(spill: Spill, key: str) -> tuple[bytes, bytes]:
    """The heads and the bodies of the block `_store` put in the spill under `key`."""
    data = spill.get_bytes(key)
    if data is None:
        raise LookupError(f"skeleton block {key} is missing from the spill")
    split = 4 + int.from_bytes(data[:4], "little")
    return data[4:split], data[split:]


def _whole(block: Block, spill: Spill, sharing: Sharing) -> list[Resource]:
    """The skeletons of `block`, bodies and all."""
    if isinstance(block, list):
        return block
    return unpack(_block(spill, block), sharing)


@dataclass
class Noted:
    """What pass one keeps of some resources: their skeletons (`Block`), offline cloud
    facts, inline suppressions and the problems of both."""

    skeletons: Block
    rbac: Block  # the skeletons the RBAC analysis reads (`skeleton.split`)
    cloud: list[CloudFacts]
    inline: dict[str, InlineSuppressions]
    problems: list[Problem]
    count: int
    kinds: dict[str, int] = field(default_factory=dict)  # `kinds.capi_kinds`


def _note(resources: Sequence[Resource], spill: Spill, name: str) -> Noted:
    """`resources`' record, their skeleton blocks stored as `skeletons-<name>` and
    `rbac-<name>`."""
    inline, problems = collect_inline(resources)
    for_topology, for_rbac = split([skeleton(r) for r in resources])
    cloud, cloud_problems = offline_read(resources)
    return Noted(
        _store(for_topology, spill, f"skeletons-{name}"),
        _store(for_rbac, spill, f"rbac-{name}"),
        cloud,
        inline,
        [*cloud_problems, *problems],
        len(resources),
        capi_kinds(resources),
    )


@dataclass
class FileRecord:
    """Pass one's record of one file. A Secret that may carry manifests has its payloads
    parsed before its values are redacted; they wait in the spill with their problems
    here until every ClusterResourceSet is known. `key` is the file's cache key (None
    without a cache); `spilled` says whether its resources are in the spill already."""

    path: str
    read: bool
    problems: list[Problem]
    documents: int
    skipped: int
    refs: Refs
    candidates: list[tuple[int, Resource]]  # position in the file, skeleton
    secret_problems: dict[int, list[Problem]]  # by position
    noted: Noted
    kustomizations: list[tuple[str, dict[Any, Any]]]
    key: str | None = None
    spilled: bool = True


@dataclass(frozen=True)
class Reading:
    """How files are read: the variables, the spill, the cache (if any) and stdin."""

    variables: Mapping[str, str]
    spill: Spill
    cache: Cache | None = None
    stdin: TextIO | None = None

    @property
    def variables_key(self) -> str:
        return variables_key(self.variables)


def _put_chunk(
    number: int, chunk: FileChunk, spill: Spill
) -> tuple[list[tuple[int, Resource]], dict[int, list[Problem]]]:
    """A file's resources (and its Secrets' payloads) put in the spill: the skeletons of
    its carrier candidates by position, and the problems of the payloads."""
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
    return candidates, secret_problems


def _spill_chunk(number: int, chunk: FileChunk, spill: Spill) -> FileRecord:
    candidates, secret_problems = _put_chunk(number, chunk, spill)
    return FileRecord(
        chunk.path,
        chunk.read,
        chunk.problems,
        chunk.documents,
        chunk.skipped,
        chunk.refs,
        candidates,
        secret_problems,
        _note(chunk.resources, spill, str(number)),
        # kept to the end of pass one without positions, as a cache entry keeps them: no
        # step reads a kustomization's lines (the corpus x40's 2,320: 8 MB with them)
        [(path, plain(doc)) for path, doc in chunk.kustomizations],
    )


def _record_file(item: tuple[int, str], reading: Reading) -> FileRecord:
    number, path = item
    shown, text, problem = read_text(path, stdin=reading.stdin)
    cache = reading.cache if path != "-" else None
    key = None
    if cache is not None and text is not None:
        key = cache.file_key(text.encode("utf-8"), shown, reading.variables_key)
        cached = cache.load_file(key)
        if cached is not None:
            return _from_cache(cached, key, reading.spill, number)
    record = _spill_chunk(number, chunk_of(shown, text, problem, reading.variables), reading.spill)
    record.key = key
    if cache is not None and key is not None:
        cache.save_file(key, _to_cache(record, reading.spill))
    now_and_then()
    return record


def _to_cache(record: FileRecord, spill: Spill) -> CachedFile:
    noted = record.noted
    return CachedFile(
        path=record.path,
        problems=record.problems,
        documents=record.documents,
        skipped=record.skipped,
        refs=sorted(record.refs, key=repr),
        candidates=record.candidates,
        secret_problems=record.secret_problems,
        noted=_noted_to_cache(noted, spill),
        kustomizations=record.kustomizations,
    )


def _noted_to_cache(noted: Noted, spill: Spill) -> CachedNoted:
    sharing = Sharing()
    skeletons, rbac = _whole(noted.skeletons, spill, sharing), _whole(noted.rbac, spill, sharing)
    return CachedNoted(
        skeletons, rbac, noted.cloud, noted.inline, noted.problems, noted.count, noted.kinds
    )


def _noted_from_cache(cached: CachedNoted, spill: Spill, name: str) -> Noted:
    return Noted(
        _store([interned(s) for s in cached.skeletons], spill, f"skeletons-{name}"),
        _store([interned(s) for s in cached.rbac], spill, f"rbac-{name}"),
        cached.cloud,
        cached.inline,
        cached.problems,
        cached.count,
        dict(cached.kinds),
    )


def _from_cache(cached: CachedFile, key: str, spill: Spill, number: int) -> FileRecord:
    return FileRecord(
        cached.path,
        True,
        cached.problems,
        cached.documents,
        cached.skipped,
        set(cached.refs),
        cached.candidates,
        cached.secret_problems,
        _noted_from_cache(cached.noted, spill, str(number)),
        [(path, dict(doc)) for path, doc in cached.kustomizations],
        key=key,
        spilled=False,
    )


def ensure_spilled(number: int, source: str, reading: Reading) -> None:
    """Parse a file pass one answered from the cache, when a group needs its objects."""
    spill = reading.spill
    if spill.has(f"file-{number}"):
        return
    _put_chunk(number, read_one(source, reading.variables), spill)


Candidates = tuple[int, list[tuple[int, Resource]], dict[int, list[Problem]]]
"""A file's number, its carrier candidates' skeletons by position and the problems of
their Secrets' payloads (`FileRecord`): what pass one keeps of a file with candidates
until every ClusterResourceSet is known."""

Carriers = tuple[int, tuple[int, ...], tuple[int, ...]]
"""A file's record number, the positions of its ConfigMap carriers (parsed now) and of
its Secret carriers (parsed in pass one)."""


def _carry(item: tuple[Carriers, str, str | None], reading: Reading) -> tuple[list[Problem], Noted]:
    """The objects a file's carriers ship, stored as the file's second record."""
    (number, parse, parsed), source, file_key = item
    name = f"carried-{number}"
    cache = reading.cache
    key = None
    if cache is not None and file_key is not None:
        key = digest("carried", file_key, parse, parsed)
        cached = cache.load_file(key)
        if cached is not None:
            return cached.problems, _noted_from_cache(cached.noted, reading.spill, name)
    carried, problems = _carry_now(number, parse, parsed, source, reading)
    noted = _note(carried, reading.spill, name)
    del carried
    now_and_then()
    if cache is not None and key is not None:
        noted_entry = _noted_to_cache(noted, reading.spill)
        entry = CachedFile("", problems, 0, 0, [], [], {}, noted_entry, [])
        cache.save_file(key, entry)
    return problems, noted


def _carry_now(
    number: int, parse: Sequence[int], parsed: Sequence[int], source: str, reading: Reading
) -> tuple[list[Resource], list[Problem]]:
    """The objects a file's carriers ship, put in the spill as `carried-<number>`."""
    ensure_spilled(number, source, reading)
    spill = reading.spill
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
    return carried, problems


def _forget_blocks(blocks: list[Block], spill: Spill) -> None:
    for block in blocks:
        if isinstance(block, str):
            spill.release(block)
    blocks.clear()


@dataclass
class FirstPass:
    """What pass one keeps of the whole input: small, whatever its size."""

    paths: list[str] = field(default_factory=list)  # file number → path shown
    sources: list[str] = field(default_factory=list)  # file number → path to read
    keys: list[int] = field(default_factory=list)  # file number → its records' number
    cache_keys: list[str | None] = field(default_factory=list)  # file number → cache key
    carriers: dict[int, Carriers] = field(default_factory=dict)  # by file number
    sizes: list[int] = field(default_factory=list)  # file number → resources (with carried)
    # skeletons by block: a list as they are, or the key of their block in the spill
    skeletons: list[Block] = field(default_factory=list)
    rbac: list[Block] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    inline: dict[str, InlineSuppressions] = field(default_factory=dict)
    cloud: list[CloudFacts] = field(default_factory=list)
    # every kustomization (path, document) while pass one reads; emptied at its end,
    # once what later steps read of them is worked out (the next three fields)
    kustomizations: list[tuple[str, dict[Any, Any]]] = field(default_factory=list)
    kustomize_key: list[object] | None = None  # `_kustomize_key`, for a cached scan
    refs: Refs = field(default_factory=set)  # every ClusterResourceSet reference
    patches: dict[str, str] = field(default_factory=dict)  # `kustomize.patch_files`
    payloads: PayloadMarker = field(default_factory=lambda: PayloadMarker((), set()))
    files: int = 0
    documents: int = 0
    skipped: int = 0
    resources: int = 0
    cached_files: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # `kinds.capi_kinds` of the whole

    def add(self, noted: Noted) -> None:
        for kind, count in noted.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + count
        self.skeletons.append(noted.skeletons)
        self.rbac.append(noted.rbac)
        self.cloud.extend(noted.cloud)
        self.problems.extend(noted.problems)
        for identity, entry in noted.inline.items():
            self.inline.setdefault(identity, entry)
        self.resources += noted.count


def first_pass(paths: Sequence[str], reading: Reading, jobs: int = 1) -> FirstPass:
    """Read every file once into the spill (or take its record from the cache), keeping
    only what planning and counting need. Standard input is read here; files on `jobs`
    processes."""
    first = FirstPass()
    files = list(expand_paths(paths, first.problems))
    if "-" in files:
        jobs = 1  # standard input is this process's own
    reading.spill.holding = jobs <= 1 and _input_bytes(files) <= HOLD_BYTES
    reading.spill.private = jobs <= 1
    records = each_in_order(partial(_record_file, reading=reading), list(enumerate(files)), jobs)
    refs: Refs = set()
    kept: list[Candidates] = []
    # each record is taken as it comes and let go but for what later steps read: all of
    # them held to the end left their freed memory scattered among what stays
    for key, record in enumerate(records):
        first.problems.extend(record.problems)
        if not record.read:
            continue
        number = len(first.paths)
        if record.candidates:  # the carriers are known once every record is in
            kept.append((number, record.candidates, record.secret_problems))
        first.keys.append(key)
        first.sources.append(files[key])
        first.cache_keys.append(record.key)
        first.paths.append(record.path)
        first.sizes.append(record.noted.count)
        first.files += 1
        first.cached_files += not record.spilled
        first.documents += record.documents
        first.skipped += record.skipped
        refs |= record.refs
        first.kustomizations.extend(record.kustomizations)
        first.add(record.noted)
    first.refs = refs
    first.patches = patch_files(first.kustomizations)
    first.payloads = PayloadMarker(first.kustomizations, refs)
    if reading.cache is not None:
        first.kustomize_key = _kustomize_key(first)
    # kept whole to the end of the scan, the documents were a third of pass one's
    # record (corpus x20: 2.9 MB for 1,160 kustomizations)
    first.kustomizations = []
    _add_carried(first, reading, refs, kept, jobs)
    del kept
    release_free_memory()
    return first


def _input_bytes(files: Sequence[str]) -> float:
    """The size of `files` on disk; standard input's is unknown (infinite)."""
    total = 0.0
    for path in files:
        if path == "-":
            return float("inf")
        try:
            total += os.path.getsize(path)
        except OSError:
            continue  # reading it will say what is wrong
    return total


def _add_carried(
    first: FirstPass,
    reading: Reading,
    refs: Refs,
    kept: Sequence[Candidates],
    jobs: int,
) -> None:
    """Objects carried by the candidates that are carriers, in read order (after every
    file's own objects, as the whole read adds them)."""
    items: list[tuple[Carriers, str, str | None]] = []
    numbers: list[int] = []
    for number, candidates, secret_problems in kept:
        parse: list[int] = []
        parsed: list[int] = []
        for at, stub in candidates:
            if not is_carrier(stub, refs):
                continue
            if at in secret_problems:
                parsed.append(at)
                first.problems.extend(secret_problems[at])
            else:
                parse.append(at)
        for at in secret_problems.keys() - set(parsed):  # no set carries these
            reading.spill.release(f"secret-{first.keys[number]}-{at}")
        if parse or parsed:
            carriers = (first.keys[number], tuple(parse), tuple(parsed))
            first.carriers[number] = carriers
            items.append((carriers, first.sources[number], first.cache_keys[number]))
            numbers.append(number)
    done = run_ordered(partial(_carry, reading=reading), items, jobs)
    for number, (problems, noted) in zip(numbers, done, strict=True):
        first.problems.extend(problems)
        first.sizes[number] += noted.count
        first.add(noted)


def load_group(group: Group, first: FirstPass, reading: Reading) -> list[Resource]:
    """A group's resources in read order: its files' own objects, then carried ones."""
    spill = reading.spill
    for number in group.loads:
        key = first.keys[number]
        ensure_spilled(key, first.sources[number], reading)
        carriers = first.carriers.get(number)
        if carriers is not None and not spill.has(f"carried-{key}"):
            _carry_now(key, carriers[1], carriers[2], first.sources[number], reading)
    resources: list[Resource] = []
    for number in group.loads:
        resources.extend(spill.get(f"file-{first.keys[number]}"))
    # files a kustomization lists as patches hold fragments, files a generator lists
    # payloads (the whole input's kustomizations and ClusterResourceSet references)
    resources = _mark(resources, first)
    for number in group.loads:
        if number in first.carriers:  # only a file with carriers has this record
            resources.extend(spill.get(f"carried-{first.keys[number]}"))
    return resources


@dataclass
class GroupOutcome:
    """What evaluating one group gave: plain, picklable, small."""

    evaluation: EvaluationResult
    problems: list[Problem]
    inline: dict[str, InlineSuppressions]
    inline_problems: list[Problem]
    clusters: tuple[ClusterView, ...] = ()  # the views of the Clusters it owns, if asked


def evaluate_group(
    group: Group,
    first: FirstPass,
    reading: Reading,
    shared: SharedFacts | None,
    checks: Sequence[Check],
    keep_clusters: bool = False,
) -> GroupOutcome:
    """Resolve a group's files and run `checks` on the objects it owns; with
    `keep_clusters`, keep the views of the Clusters it owns too (`_owned_views`)."""
    resources = load_group(group, first, reading)
    topology = build_topology(resources, shared=shared)
    if shared is None:  # the group is the whole input (`_plan`)
        shared = shared_facts(topology)
    owned = {first.paths[n] for n in group.owned}
    targets = _owned_targets(resources, topology, owned, shared)
    resolved = {id(r) for r in topology.resolved_resources}
    evaluation = evaluate(targets, checks, topology.context_for)
    # pass one read the annotations of a generator's payload before it was marked as one
    # (its carrier unknown then); the group sees it marked, as the whole scan does
    payloads = [r for r in resources if r.origin.generated is not None and r.origin.path in owned]
    inline, inline_problems = collect_inline(
        [*payloads, *(r for r in targets if id(r) in resolved)]
    )
    clusters = _owned_views(topology, owned) if keep_clusters else ()
    return GroupOutcome(evaluation, list(topology.problems), inline, inline_problems, clusters)


def _owned_views(topology: Topology, owned: set[str]) -> tuple[ClusterView, ...]:
    """The views of the Clusters read from `owned` files, as the whole input resolves
    them (a group loads each one's closure), without the per-cluster copies of class
    templates (`resolved`): only the checks read those, and they ran here."""
    return tuple(
        replace(view, resolved=())
        for view in topology.clusters
        if view.cluster.origin.path in owned
    )


def _owned_targets(
    resources: Sequence[Resource], topology: Topology, owned: set[str], shared: SharedFacts
) -> list[Resource]:
    """What the whole input evaluates that this group owns: a Cluster's resolved
    templates go with the Cluster's file, templates judged with an unused ClusterClass
    with the class's file (the whole's attribution: a part may see a class as unused, or
    reach a template first through another class), every other object with its own
    file unless the whole replaces it by resolved copies."""
    in_views: set[int] = set()
    targets: list[Resource] = []
    for view in topology.clusters:
        mine = view.cluster.origin.path in owned
        for r in view.resolved:
            in_views.add(id(r))
            if mine:
                targets.append(r)
    for r in topology.resolved_resources:
        if id(r) in in_views:
            continue
        judged_with = shared.alone.get(resource_key(r))
        if judged_with is not None and judged_with[1] in owned:
            class_key = topology.alone_class(r)
            if class_key == judged_with:
                targets.append(r)
    replaced = shared.replaced
    targets.extend(
        r for r in resources if r.origin.path in owned and resource_key(r) not in replaced
    )
    return targets


def _group_key(group: Group, first: FirstPass, context: str) -> str | None:
    files: list[object] = []
    for number in group.loads:
        key = first.cache_keys[number]
        if key is None:
            return None  # standard input is never cached
        files.append([key, number in group.owned, first.carriers.get(number, (0, (), ()))[1:]])
    return digest(context, files)


@dataclass(frozen=True)
class FromCache:
    """A group the cache holds an entry for: only its key waits for the merge, which
    decodes the entry then (`decode_outcome`)."""

    key: str


@dataclass(frozen=True)
class Spilled:
    """A group evaluated in pass two: its pickled outcome waits for the merge in the
    spill under `key`, within the spill's memory bound (on disk past it, or when other
    processes wrote it). Kept as bytes until the merge, the outcomes grew with the
    input: 49 MB of pickles at the corpus x80."""

    key: str


GroupBlock = Spilled | FromCache
"""A group's outcome between pass two and the merge."""


@dataclass(frozen=True)
class Evaluating:
    """What evaluating a group needs besides the group: in pass two, and at the merge
    for a cache entry that turns out not to validate."""

    first: FirstPass
    reading: Reading
    shared: SharedFacts | None
    checks: Sequence[Check]
    sharing: Sharing = field(default_factory=Sharing)
    keep_clusters: bool = False

    def evaluated(self, group: Group, key: str | None) -> GroupOutcome:
        """`evaluate_group`, its entry written to the cache under `key` (if any)."""
        outcome = evaluate_group(
            group, self.first, self.reading, self.shared, self.checks, self.keep_clusters
        )
        cache = self.reading.cache
        if cache is not None and key is not None:
            cache.save_group(key, _outcome_to_cache(outcome))
        return outcome


def _evaluate_packed(
    item: tuple[int, Group, tuple[int, ...]],
    evaluating: Evaluating,
    context: str | None,
) -> GroupBlock:
    """`evaluate_group` pickled at once and put in the spill as `outcome-<n>` (n: the
    item's first part), not kept as objects scattered among freed trees, or the key of
    the cache's entry for the group: decoding every entry here and keeping the results
    until the merge grew the scan ~4 MB per group (corpus x20). Afterwards the held
    records of the files no later group loads (the item's third part) are released."""
    number, group, done_with = item
    first, reading = evaluating.first, evaluating.reading
    cache = reading.cache
    # cache entries hold results, not cluster views: a scan keeping views evaluates all
    cached = cache is not None and not evaluating.keep_clusters
    key = _group_key(group, first, context) if cached and context else None
    packed: GroupBlock
    if cache is not None and key is not None and cache.has_group(key):
        packed = FromCache(key)
    else:
        packed = Spilled(f"outcome-{number}")
        outcome = _packed_outcome(evaluating.evaluated(group, key))
        reading.spill.put_bytes(packed.key, outcome)
        del outcome
    for file_number in done_with:
        _release(file_number, first, reading.spill)
    release_free_memory()
    return packed


def decode_outcome(packed: GroupBlock, group: Group, evaluating: Evaluating) -> GroupOutcome:
    """A group's outcome from its block or from the cache; an entry that does not
    validate (damaged, or written by anyone but capsa) is a miss: the group is
    evaluated now and its entry written again."""
    if isinstance(packed, Spilled):
        spill = evaluating.reading.spill
        block = spill.get_bytes(packed.key)
        if block is None:
            raise LookupError(f"group outcome {packed.key} is missing from the spill")
        spill.release(packed.key)
        return _unpacked_outcome(block, evaluating.sharing)
    cache = evaluating.reading.cache
    cached = cache.load_group(packed.key, evaluating.sharing) if cache is not None else None
    if cached is not None:
        return _outcome_from_cache(cached)
    return evaluating.evaluated(group, packed.key)


def _packed_outcome(outcome: GroupOutcome) -> bytes:
    """`outcome` pickled with its results as columns (`capsa.slotted.columns`): pickled
    one by one, every result cost a call each way, and equal parts decoded apart had
    to be shared again result by result (corpus x20: 0.6 s for 170,000 results)."""
    found = outcome.evaluation
    return pickle.dumps(
        (
            columns(found.findings),
            columns(found.passes),
            columns(found.unknown),
            columns(found.not_applicable),
            found.problems,
            outcome.problems,
            outcome.inline,
            outcome.inline_problems,
            outcome.clusters,
        ),
        PICKLE,
    )


def _unpacked_outcome(block: bytes, sharing: Sharing) -> GroupOutcome:
    """The outcome `_packed_outcome` wrote, its results' equal references, locations and
    texts made one object across groups (`sharing`), as decoded cache entries are."""
    (
        findings,
        passes,
        unknown,
        not_applicable,
        problems,
        group_problems,
        inline,
        inline_problems,
        clusters,
    ) = pickle.loads(block)  # noqa: S301 - made by this scan
    evaluation = EvaluationResult(
        sharing.records(Finding, findings),
        sharing.records(CheckResult, passes),
        sharing.records(CheckResult, unknown),
        sharing.records(CheckResult, not_applicable),
        problems,
    )
    return GroupOutcome(evaluation, group_problems, inline, inline_problems, clusters)


def _outcome_to_cache(outcome: GroupOutcome) -> CachedGroup:
    evaluation = outcome.evaluation
    return CachedGroup(
        evaluation.findings,
        evaluation.passes,
        evaluation.unknown,
        evaluation.not_applicable,
        evaluation.problems,
        outcome.problems,
        outcome.inline,
        outcome.inline_problems,
    )


def _outcome_from_cache(cached: CachedGroup) -> GroupOutcome:
    evaluation = EvaluationResult(
        cached.findings,
        cached.passes,
        cached.unknown,
        cached.not_applicable,
        cached.evaluation_problems,
    )
    return GroupOutcome(evaluation, cached.problems, cached.inline, cached.inline_problems)


@dataclass
class GroupedScan:
    """The whole input scanned group by group: pass one's record and the merged results."""

    first: FirstPass
    evaluation: EvaluationResult
    problems: list[Problem]  # the topology's and inline annotations' problems
    inline: dict[str, InlineSuppressions]
    groups: int
    # with `keep_clusters`: every Cluster's view, in the order the whole input gives
    clusters: tuple[ClusterView, ...] | None = None


def scan_groups(
    paths: Sequence[str],
    variables: Mapping[str, str],
    stdin: TextIO | None,
    checks: Sequence[Check],
    budget: int | None = None,
    jobs: int = 1,
    cache_dir: str | None = None,
    keep_clusters: bool = False,
) -> GroupedScan:
    """Pass one, the plan and pass two over every group, merged in group order. With
    `keep_clusters`, each group also gives the views of the Clusters it owns (what the
    attack graph and the FMEA read), merged in the whole input's order."""
    cache = Cache(cache_dir) if cache_dir is not None else None
    with Spill() as spill:
        reading = Reading(variables, spill, cache, stdin)
        first = first_pass(paths, reading, jobs)
        planned = _plan(first, spill, budget or GROUP_BUDGET, cached=cache is not None)
        first.problems.extend(planned.problems)
        context = None
        if cache is not None and planned.shared is not None:
            context = digest(
                FORMAT,
                __version__,
                checks_key(checks),
                shared_key(planned.shared),
                first.kustomize_key,
            )
        evaluating = Evaluating(first, reading, planned.shared, checks, keep_clusters=keep_clusters)
        work = partial(_evaluate_packed, evaluating=evaluating, context=context)
        done_with = _last_loads(planned.groups, first, spill)
        items = list(zip(range(len(planned.groups)), planned.groups, done_with, strict=True))
        if jobs > 1:
            # workers store outcomes (and records re-read) for this process to read: on
            # disk, never in their copy of its memory (kept there when pass one ran on
            # one process, as with standard input)
            spill.holding = spill.private = False
        outcomes = run_ordered(work, items, jobs)
        evaluation, problems, inline, views = _merge_outcomes(outcomes, planned.groups, evaluating)
    clusters = _in_whole_order(views, planned.cluster_order) if keep_clusters else None
    return GroupedScan(first, evaluation, problems, inline, len(planned.groups), clusters)


def _in_whole_order(
    views: list[ClusterView], order: Mapping[Place, int]
) -> tuple[ClusterView, ...]:
    """The groups' views as the whole input orders its clusters (grouped by name, a name
    where it first appears): the order planning saw. One group holding the whole input
    plans nothing (`order` is empty) and its order is the whole's already."""
    if not order:
        return tuple(views)
    return tuple(sorted(views, key=lambda view: order[place_of(view.cluster)]))


def _merge_outcomes(
    outcomes: list[GroupBlock], groups: Sequence[Group], evaluating: Evaluating
) -> tuple[EvaluationResult, list[Problem], dict[str, InlineSuppressions], list[ClusterView]]:
    """Every group's outcome merged in group order, each block decoded (and freed) in
    turn. Runs while the spill is open: a cache entry that does not validate has its
    group evaluated here."""
    merged = EvaluationResult()
    problems: list[Problem] = []
    inline = dict(evaluating.first.inline)
    views: list[ClusterView] = []
    outcomes.reverse()
    for group in groups:
        done = decode_outcome(outcomes.pop(), group, evaluating)
        merge(merged, done.evaluation)
        views.extend(done.clusters)
        problems.extend(done.problems)
        problems.extend(done.inline_problems)
        for identity, entry in done.inline.items():
            inline.setdefault(identity, entry)
    return merged, problems, inline, views


@dataclass(frozen=True)
class _Planned:
    """The groups to evaluate, and the facts they share (None: one group holds the whole
    input, and its own resolution gives them)."""

    groups: tuple[Group, ...]
    shared: SharedFacts | None
    cluster_order: Mapping[Place, int] = field(default_factory=dict)  # `Plan.cluster_order`
    problems: tuple[Problem, ...] = ()  # the RBAC analysis's: objects it left out


def _plan(first: FirstPass, spill: Spill, budget: int, cached: bool) -> _Planned:
    """The groups of `first`'s files. An input whose resources all fit in one group's
    budget is that one group, and resolving the skeletons to plan it would repeat the
    group's own resolution (about a twentieth of a one-copy corpus scan). A cached scan
    always plans: its groups' keys include the shared facts."""
    everything = tuple(range(len(first.paths)))
    if not cached and sum(first.sizes) <= budget:
        return _Planned((Group(everything, everything),) if everything else (), None)
    file_of = {path: n for n, path in enumerate(first.paths)}
    # payload bindings are not the management cluster's: mark them before the analysis
    # (its skeletons' origins shared apart, so none outlives it)
    sharing = Sharing()
    whole = [s for block in first.rbac for s in _whole(block, spill, sharing)]
    left_out: list[Problem] = []
    rbac = rbac_facts(_mark(whole, first), left_out)
    del whole
    _forget_blocks(first.rbac, spill)
    keys = first.skeletons
    blocks = _Blocks(first, spill)
    # a directory subtree at a time when it can (`scan.parts`), else the whole at once
    planned = plan_in_parts(
        len(keys), blocks.heads, blocks.load, first.paths, file_of, first.sizes, budget, rbac
    )
    if planned is None:
        planned = plan_groups(blocks.every(), file_of, first.sizes, budget, rbac)
    _forget_blocks(keys, spill)
    del blocks  # planning was their only use
    release_free_memory()
    return _Planned(planned.groups, planned.shared, planned.cluster_order, tuple(left_out))


def _last_loads(groups: Sequence[Group], first: FirstPass, spill: Spill) -> list[tuple[int, ...]]:
    """Per group, the files it is the last to load (in group order); the records of
    files no group loads are released at once."""
    last: dict[int, int] = {}
    for at, group in enumerate(groups):
        for number in group.loads:
            last[number] = at
    done_with: list[list[int]] = [[] for _ in groups]
    for number in range(len(first.paths)):
        if number in last:
            done_with[last[number]].append(number)
        else:
            _release(number, first, spill)
    return [tuple(numbers) for numbers in done_with]


def _release(number: int, first: FirstPass, spill: Spill) -> None:
    key = first.keys[number]
    spill.release(f"file-{key}")
    spill.release(f"carried-{key}")
    for at in first.carriers.get(number, (0, (), ()))[2]:
        spill.release(f"secret-{key}-{at}")


def _stubs(
    blocks: list[Block], spill: Spill, sharing: Sharing, bodies: Bodies, first: int = 0
) -> list[Resource]:
    """Every skeleton of `blocks`, those of packed blocks with their bodies left in the
    spill until resolution reads one (`stubs.Stub`): planning holds the whole
    input's skeletons at once, and the bodies were two thirds of them (corpus x20:
    41 MB whole). `first` is the number of the first of `blocks`."""
    skeletons: list[Resource] = []
    for number, block in enumerate(blocks, first):
        if isinstance(block, list):
            skeletons.extend(block)
        else:
            skeletons.extend(stubs(_block(spill, block)[0], sharing, bodies, number))
    return skeletons


class _Blocks:
    """Pass one's skeleton blocks as planning reads them, marked as the whole read marks
    them: one block's skeletons (`load`) or heads (`heads`), or every skeleton."""

    def __init__(self, first: FirstPass, spill: Spill) -> None:
        self._first = first
        self._spill = spill
        keys = first.skeletons
        self._bodies = Bodies(lambda number: _block(spill, str(keys[number]))[1])

    def load(self, number: int) -> list[Resource]:
        first = self._first
        return _mark(
            _stubs([first.skeletons[number]], self._spill, Sharing(), self._bodies, number), first
        )

    def heads(self, number: int) -> list[Head]:
        block = self._first.skeletons[number]
        if isinstance(block, list):
            return [_head(r) for r in _mark(block, self._first)]
        return _marked_heads(heads_of(_block(self._spill, block)[0]), self._first)

    def every(self) -> list[Resource]:
        first = self._first
        return _mark(_stubs(first.skeletons, self._spill, Sharing(), self._bodies), first)


def _head(resource: Resource) -> Head:
    origin = resource.origin
    return Head(
        resource.api_version,
        resource.kind,
        resource.namespace,
        resource.name,
        origin.path,
        origin.line,
        origin.carrier,
        origin.generated,
        resource.fragment_of,
    )


def _marked_heads(packed: Sequence[PackedHead], first: FirstPass) -> list[Head]:
    """The heads of a packed block marked as `_mark` marks its skeletons, by path: a
    patch file's objects are fragments, a generator file's are payloads."""
    out: list[Head] = []
    marks: dict[tuple[str, str | None], tuple[str | None, Origin | None]] = {}
    for api_version, kind, namespace, name, path, line, carrier, generated, _, fragment in packed:
        if carrier is None:
            mark = marks.get((path, fragment))
            if mark is None:
                owner = patch_owner(first.patches, path)
                payload = None
                if owner is None and fragment is None:
                    payload = first.payloads.origin_of(Origin(path, line, None, None))
                mark = marks[(path, fragment)] = (owner, payload)
            owner, payload = mark
            fragment = owner or fragment
            if payload is not None and fragment is None:
                carrier, generated = payload.carrier, payload.generated
        out.append(
            Head(api_version, kind, namespace, name, path, line, carrier, generated, fragment)
        )
    return out


def _mark(resources: list[Resource], first: FirstPass) -> list[Resource]:
    """Objects (or their skeletons) read from patch files marked as fragments and those
    read from generator files as payloads of the generated ConfigMap/Secret, as the whole
    read marks them (carried objects never are: their origin names a carrier). The lists
    of patch and generator files are worked out once, in pass one."""
    resources = mark_patch_files(resources, first.patches)
    return first.payloads.mark(resources)


def _kustomize_key(first: FirstPass) -> list[object]:
    """What marking a file needs beyond its own text: which files kustomizations list as
    patches and as generator files (with what they become), and the ClusterResourceSet
    references that decide where a generated object goes. A cached group is then reused
    only while these agree, though they live in files the group may not load."""
    patches = sorted(first.patches.items())
    generated = generated_files(first.kustomizations)
    if not generated:
        return [patches]
    made = sorted((path, [repr(m) for m in found]) for path, found in generated.items())
    names = {(m.kind, m.name) for found in generated.values() for m in found}
    refs = sorted((r for r in first.refs if (r[0], r[2]) in names), key=repr)
    resources = sorted(resource_files(first.kustomizations))
    return [patches, made, refs, resources]


def merge(into: EvaluationResult, part: EvaluationResult) -> None:
    into.findings.extend(part.findings)
    into.passes.extend(part.passes)
    into.unknown.extend(part.unknown)
    into.not_applicable.extend(part.not_applicable)
    into.problems.extend(part.problems)
