"""Scanning group by group gives what scanning the whole input at once gives.

The grouped scan (`keep_topology=False`) resolves each group's files with their closure;
these tests compare it with the whole-input scan on the bundled example, on copies of it
(every name repeated, the case where "first match in input order" decides), and on the
shared corpus, with the default budget and with a budget of one resource, which makes
every file its own group and so exercises every closure rule."""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import pickle
import shutil
import weakref
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.scan.grouping import copies, with_budget
from tests.sources.generator_cases import ADDON, LABELLED_CLUSTER, resource_set

import capsa.scan.grouped as grouped
import capsa.scan.spill as spill_module
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sources.files import FileChunk
from capsa.sources.resource import Resource

TODAY = date(2026, 3, 1)
DEMO = Path(__file__).resolve().parents[2] / "src" / "capsa" / "examples" / "capa-demo"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _results(result: ScanResult) -> tuple[object, ...]:
    """Everything a reader of the scan sees; per-object results compared as sorted lists
    (their order follows evaluation order, which grouping changes)."""
    return (
        result.findings,
        result.errors,
        result.summary,
        sorted(map(repr, result.passes)),
        sorted(map(repr, result.unknown)),
        sorted(map(repr, result.not_applicable)),
        result.suppressions,
    )


def _both(paths: list[str], budget: int | None, monkeypatch: pytest.MonkeyPatch) -> ScanResult:
    with_budget(monkeypatch, budget)
    whole = scan(ScanRequest(paths=paths, today=TODAY))
    parts = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False))
    assert whole.topology is not None
    assert parts.topology is None, "the input must be scanned group by group"
    assert whole.findings, "the input must give findings for the comparison to mean much"
    assert _results(parts) == _results(whole)
    return whole


@pytest.mark.parametrize(("budget", "held"), [(None, True), (1, True), (1, False)])
def test_grouped_scan_equals_whole_scan_on_the_example(
    budget: int | None, held: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held, planning reads the skeletons as they are; packed, as stubs whose bodies
    stay in the spill until read."""
    if not held:
        monkeypatch.setattr(grouped, "HOLD_BYTES", -1)
    _both([str(DEMO)], budget, monkeypatch)


def test_planning_reads_packed_skeletons_from_the_spill_and_releases_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(grouped, "HOLD_BYTES", -1)
    with grouped.Spill() as spill:
        reading = grouped.Reading({}, spill)
        first = grouped.first_pass([str(DEMO)], reading)
        stored = [b for b in [*first.skeletons, *first.rbac] if isinstance(b, str)]
        assert "skeletons-0" in stored and any(key.startswith("rbac-") for key in stored)
        assert any(key.startswith("skeletons-carried-") for key in stored)
        assert all(spill.has(key) for key in stored)
        planned = grouped._plan(first, spill, 1, cached=False)
        assert len(planned.groups) > 1
        assert first.skeletons == [] and first.rbac == []
        assert not any(spill.has(key) for key in stored), "released once planned"


@pytest.mark.parametrize("budget", [None, 1])
def test_grouped_scan_equals_whole_scan_on_copies(
    budget: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both(copies(DEMO, tmp_path, 3), budget, monkeypatch)


@pytest.mark.parametrize(
    ("budget", "held"), [(None, True), (1, True), (300, True), (None, False), (1, False)]
)
def test_grouped_scan_equals_whole_scan_on_the_corpus(
    budget: int | None, held: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus holds kustomize overlays (patch files are fragments), kustomize
    generator files (payloads of generated ConfigMaps) and ClusterClasses no Cluster uses
    (judged alone), in files apart from their templates. Parsed files held in memory
    between the passes (shared by every group that loads them) or pickled to disk. The
    default budget holds the whole corpus in one group (nothing planned), 300 packs a few
    files per group and 1 gives every file its own."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    if not held:
        monkeypatch.setattr(grouped, "HOLD_BYTES", -1)
    whole = _both([str(CORPUS)], budget, monkeypatch)
    carried = [f for f in whole.findings if "configMapGenerator" in (f.location.carrier or "")]
    assert carried, "the corpus's generator files must be read as payloads"


def test_grouped_scan_equals_whole_scan_on_corpus_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    _both(copies(CORPUS / "cluster-api-provider-aws", tmp_path, 2), 1, monkeypatch)


CLASS_FIXTURE = DEMO.parents[3] / "tests" / "capi" / "fixtures" / "clusterclass-v1beta2.yaml"

PATCHES = {
    "imds.yaml": """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: dev-class-worker, namespace: team-d}
spec:
  template:
    spec:
      instanceMetadataOptions: {httpTokens: optional}
""",
    "cluster.yaml": """\
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: delta, namespace: team-d}
spec:
  topology:
    classRef: {name: idle-class}
""",
    "kcp.yaml": """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlaneTemplate
metadata: {name: dev-class-cp, namespace: team-d}
spec:
  template:
    spec:
      kubeadmConfigSpec:
        clusterConfiguration:
          apiServer:
            extraArgs:
              - {name: profiling, value: "true"}
""",
}


def _kustomize_tree(root: Path) -> None:
    """A ClusterClass a Cluster uses, one no Cluster uses, each in files apart from its
    templates; an overlay whose patch files repeat the names of the class's templates
    and Cluster (fragments); and a flattened mirror of an overlay (`a__b.yaml`)."""
    documents = CLASS_FIXTURE.read_text(encoding="utf-8").split("\n---\n")
    cluster, cluster_class, templates = documents[0], documents[1], documents[2:]
    used = root / "used"
    used.mkdir(parents=True)
    (used / "cluster.yaml").write_text(cluster, encoding="utf-8")
    (used / "class.yaml").write_text(cluster_class, encoding="utf-8")
    (used / "templates.yaml").write_text("\n---\n".join(templates), encoding="utf-8")
    (used / "kustomization.yaml").write_text(
        "resources: [cluster.yaml, class.yaml, templates.yaml]\n", encoding="utf-8"
    )
    idle = root / "idle"
    idle.mkdir()
    for name in ("class.yaml", "templates.yaml"):
        text = (used / name).read_text(encoding="utf-8")
        text = text.replace("dev-class", "idle-class").replace("team-d", "team-e")
        (idle / name).write_text(text, encoding="utf-8")
    overlay = root / "overlay"
    (overlay / "patches").mkdir(parents=True)
    for name, text in PATCHES.items():
        (overlay / "patches" / name).write_text(text, encoding="utf-8")
    (overlay / "kustomization.yaml").write_text(
        "resources: [../used]\npatches:\n- path: patches/imds.yaml\n"
        "patchesStrategicMerge: [patches/cluster.yaml, patches/kcp.yaml]\n",
        encoding="utf-8",
    )
    flat = root / "flat"
    flat.mkdir()
    (flat / "e2e__ignition__kustomization.yaml").write_text(
        "resources: [../base]\npatchesStrategicMerge: [patches/imds.yaml]\n", encoding="utf-8"
    )
    (flat / "e2e__ignition__patches__imds.yaml").write_text(PATCHES["imds.yaml"], encoding="utf-8")
    (flat / "e2e__base__templates.yaml").write_text(
        (used / "templates.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )


@pytest.mark.parametrize(("budget", "copies"), [(None, 1), (1, 1), (None, 2), (1, 2)])
def test_grouped_scan_equals_whole_scan_with_kustomize_patches(
    budget: int | None, copies: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One copy: the Cluster's class (in another file) is applied; two: every name
    repeats, and a class defined in two other files is applied by neither."""
    for n in range(copies):
        _kustomize_tree(tmp_path / f"copy{n}")
    shutil.copytree(DEMO, tmp_path / "demo")
    whole = scan(ScanRequest(paths=[str(tmp_path)], today=TODAY))
    fragments = [u for u in whole.unknown if "kustomize patch" in (u.reason or "")]
    assert fragments, "the patch files must be read as fragments"
    alone = [f for f in whole.findings if "/idle/" in f.location.path]
    assert alone, "the unused class's templates must be judged"
    _both([str(tmp_path)], budget, monkeypatch)


@pytest.mark.parametrize("cached", [False, True])
def test_pass_one_keeps_what_later_steps_read_of_kustomizations_not_the_documents(
    cached: bool, tmp_path: Path
) -> None:
    _kustomize_tree(tmp_path / "tree")
    cache = grouped.Cache(str(tmp_path / "cache")) if cached else None
    with grouped.Spill() as spill:
        first = grouped.first_pass([str(tmp_path / "tree")], grouped.Reading({}, spill, cache))
    assert first.kustomizations == [], "the documents are let go at the end of pass one"
    assert any(path.endswith("imds.yaml") for path in first.patches)
    if cached:
        patches = first.kustomize_key[0] if first.kustomize_key else None
        assert patches == sorted(first.patches.items()), "the cache's key is worked out"
    else:
        assert first.kustomize_key is None


@pytest.mark.parametrize("held", [True, False])
def test_pass_one_lets_each_file_record_go_before_reading_the_next(
    held: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what later steps read of a file's record stays: every record held until the
    last file was read left its freed memory scattered among what stays (corpus x80:
    30 MB more resident after pass one)."""
    live: list[weakref.ref[grouped.FileRecord]] = []
    most = 0
    original = grouped._record_file

    def recording(item: Any, reading: Any) -> grouped.FileRecord:
        nonlocal most
        record = original(item, reading)
        live.append(weakref.ref(record))
        most = max(most, sum(1 for ref in live if ref() is not None))
        return record

    if not held:
        monkeypatch.setattr(grouped, "HOLD_BYTES", -1)
    monkeypatch.setattr(grouped, "_record_file", recording)
    paths = copies(DEMO, tmp_path, 2)
    with grouped.Spill() as spill:
        first = grouped.first_pass(paths, grouped.Reading({}, spill))
        assert first.carriers, "the carriers were still found, after the records went"
    assert len(live) == first.files > 10
    assert most <= 2, f"{most} file records alive at once"


@pytest.mark.parametrize(
    ("budget", "cached", "planned"), [(None, False, False), (1, False, True), (None, True, True)]
)
def test_only_an_input_over_one_groups_budget_or_a_cached_scan_is_planned(
    budget: int | None, cached: bool, planned: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = grouped.plan_groups

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(grouped, "plan_groups", counted)
    checks = scan(ScanRequest(paths=[str(DEMO)], today=TODAY)).checks
    cache_dir = str(tmp_path / "cache") if cached else None
    done = grouped.scan_groups([str(DEMO)], {}, None, checks, budget=budget, cache_dir=cache_dir)
    assert bool(calls) is planned
    assert (done.groups > 1) is (budget == 1)  # the demo fits one group by default


def test_a_reference_into_another_file_brings_that_file(tmp_path: Path) -> None:
    """A Cluster whose infrastructure lives in another file is still resolved when every
    file is its own group: the check that reads the cluster's context sees it."""
    (tmp_path / "a-cluster.yaml").write_text(
        (DEMO / "prod" / "cluster.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for name in ("control-plane.yaml", "workers.yaml", "namespace.yaml"):
        (tmp_path / f"b-{name}").write_text(
            (DEMO / "prod" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    whole = scan(ScanRequest(paths=[str(tmp_path)], today=TODAY))
    first = grouped.scan_groups([str(tmp_path)], {}, None, whole.checks, budget=1)
    assert first.groups == len(list(tmp_path.iterdir()))
    assert not [p for p in first.problems if "not among the inputs" in p.message]
    assert sorted(map(repr, first.evaluation.passes)) == sorted(map(repr, whole.passes))


def test_two_jobs_give_the_serial_result_in_the_same_order(tmp_path: Path) -> None:
    paths = copies(DEMO, tmp_path, 2)
    if CORPUS.is_dir():
        paths.append(str(CORPUS / "cluster-api-provider-aws"))
    serial = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False))
    parallel = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False, jobs=2))
    assert serial.findings
    for name in ("findings", "passes", "unknown", "not_applicable", "errors", "summary"):
        assert getattr(parallel, name) == getattr(serial, name), name


def test_standard_input_with_two_jobs_gives_the_serial_result(tmp_path: Path) -> None:
    """Pass one reads standard input on this process (its records kept in this
    process's memory); pass two's workers must still hand every outcome back."""
    text = (DEMO / "prod" / "cluster.yaml").read_text(encoding="utf-8")
    paths = ["-", *copies(DEMO, tmp_path, 2)]
    checks = scan(ScanRequest(paths=[str(DEMO)], today=TODAY)).checks
    done = [
        grouped.scan_groups(paths, {}, io.StringIO(text), checks, budget=1, jobs=jobs)
        for jobs in (1, 2)
    ]
    assert done[0].groups > 2 and done[0].evaluation.findings
    assert done[1].evaluation == done[0].evaluation
    assert done[1].problems == done[0].problems


class _CountingSpill(grouped.Spill):
    """A spill that notes each record it writes to disk in `log` (a file: worker
    processes write there too)."""

    log = Path()

    def _write(self, key: str, blob: bytes) -> None:
        with type(self).log.open("a", encoding="utf-8") as out:
            out.write(f"{key}\n")
        super()._write(key, blob)


@pytest.mark.parametrize(
    ("hold_bytes", "memory_bytes", "jobs", "on_disk"),
    [(None, None, 1, False), (1_000, None, 1, False), (1_000, 0, 1, True), (None, None, 2, True)],
    ids=["small-serial-held", "larger-kept-compressed", "over-memory-written", "workers-write"],
)
def test_a_serial_scan_keeps_its_files_in_memory_up_to_a_bound_and_workers_write_them(
    hold_bytes: int | None,
    memory_bytes: int | None,
    jobs: int,
    on_disk: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(grouped, "Spill", _CountingSpill)
    monkeypatch.setattr(_CountingSpill, "log", tmp_path / "written.log")
    if hold_bytes is not None:
        monkeypatch.setattr(grouped, "HOLD_BYTES", hold_bytes)
    if memory_bytes is not None:
        monkeypatch.setattr(spill_module, "MEMORY_BYTES", memory_bytes)
    paths = copies(DEMO, tmp_path / "input", 2)
    plain_scan = scan(ScanRequest(paths=paths, today=TODAY))
    done = scan(ScanRequest(paths=paths, today=TODAY, keep_topology=False, jobs=jobs))
    assert _CountingSpill.log.is_file() is on_disk
    assert done.findings == plain_scan.findings


def test_a_held_file_is_never_released_before_its_last_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file its own group, loaded again by the groups of the files that refer to
    it: a record released too early would be parsed a second time."""
    parsed: list[str] = []
    original = grouped.read_one

    def counting(source: str, variables: Mapping[str, str]) -> FileChunk:
        parsed.append(source)
        return original(source, variables)

    monkeypatch.setattr(grouped, "read_one", counting)
    whole = scan(ScanRequest(paths=[str(DEMO)], today=TODAY))
    done = grouped.scan_groups([str(DEMO)], {}, None, whole.checks, budget=1)
    assert done.groups > 1
    assert parsed == []


class _UnchangedSpill(grouped.Spill):
    """A spill that checks, when a held record is released, that no group changed it
    (held records are shared by every group that loads them)."""

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: dict[str, bytes] = {}
        self.checked: list[str] = []

    @staticmethod
    def _state(resources: list[Resource]) -> bytes:
        """Every field of every resource, bodies with their positions (not the values
        `cached_property` keeps beside them)."""
        fields = [{f.name: getattr(r, f.name) for f in dataclasses.fields(r)} for r in resources]
        return pickle.dumps(fields)

    def put(self, key: str, resources: list[Resource]) -> None:
        self.snapshots[key] = self._state(resources)
        super().put(key, resources)

    def release(self, key: str) -> None:
        held = self._held.get(key)
        if held is not None:
            assert self._state(held) == self.snapshots[key], f"{key} changed"
            self.checked.append(key)
        super().release(key)


@pytest.mark.parametrize("source", ["demo", "corpus"])
def test_no_group_changes_a_held_record(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if source == "corpus" and not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    spills: list[_UnchangedSpill] = []

    def made(*args: object) -> _UnchangedSpill:
        spills.append(_UnchangedSpill())
        return spills[-1]

    monkeypatch.setattr(grouped, "Spill", made)
    paths = [str(DEMO if source == "demo" else CORPUS)]
    whole = scan(ScanRequest(paths=paths, today=TODAY))
    grouped.scan_groups(paths, {}, None, whole.checks, budget=1)
    assert len(spills[0].checked) > 10


def test_a_held_record_is_shared_until_released(tmp_path: Path) -> None:
    resources = scan(ScanRequest(paths=[str(DEMO)], today=TODAY)).topology
    assert resources is not None
    some = list(resources.resolved_resources[:2])
    with grouped.Spill() as spill:
        spill.holding = True
        spill.put("file-0", some)
        assert spill.has("file-0") and spill.get("file-0") is some
        assert os.listdir(spill.root) == []
        spill.release("file-0")
        assert not spill.has("file-0") and spill.get("file-0") == []
        spill.holding = False
        spill.put("file-1", some)
        assert spill.get("file-1") == some and spill.get("file-1") is not some
        spill.release("file-1")
        assert spill.has("file-1"), "a record on disk stays"


def test_the_spill_is_removed_after_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    scan(ScanRequest(paths=[str(DEMO)], today=TODAY, keep_topology=False))
    assert list((tmp_path / "tmp").iterdir()) == []


GENERATOR_CASES = {
    # the set names the generated ConfigMap: its files are the workload's payload
    "carried": ("", "generatorOptions: {disableNameSuffixHash: true}\n"),
    # no set names it: destination unknown
    "unreferenced": ("crs", "generatorOptions: {disableNameSuffixHash: true}\n"),
    # kustomize hashes the name, which the set does not name: destination unknown
    "hashed": ("", ""),
    # a kustomization also lists the file as a resource: objects again
    "also-a-resource": ("resource", "generatorOptions: {disableNameSuffixHash: true}\n"),
}


def _generator_tree(root: Path, case: str) -> None:
    """A Cluster, a ClusterResourceSet and an add-on file in files of their own (the set
    read first, the add-on last), and a kustomization whose configMapGenerator lists it."""
    leave_out, options = GENERATOR_CASES[case]
    root.mkdir(parents=True)
    (root / "a-cluster.yaml").write_text(LABELLED_CLUSTER, encoding="utf-8")
    resources = ["a-cluster.yaml"]
    if leave_out != "crs":
        (root / "b-crs.yaml").write_text(resource_set("addon-components"), encoding="utf-8")
        resources.append("b-crs.yaml")
    (root / "z-addon.yaml").write_text(ADDON, encoding="utf-8")
    if leave_out == "resource":
        resources.append("z-addon.yaml")
    (root / "kustomization.yaml").write_text(
        f"resources: [{', '.join(resources)}]\n"
        f"configMapGenerator:\n  - name: addon-components\n    files: [z-addon.yaml]\n{options}",
        encoding="utf-8",
    )


@pytest.mark.parametrize("case", sorted(GENERATOR_CASES))
@pytest.mark.parametrize(("budget", "copies"), [(None, 1), (1, 1), (5, 1), (1, 2)])
def test_grouped_scan_equals_whole_scan_with_generator_files(
    case: str, budget: int | None, copies: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files a configMapGenerator lists are payloads in every group as in the whole: with
    every file its own group (budget 1) or a few per group (5), the set's group loads the
    add-on file that feeds the ConfigMap it names; with two copies, both copies' files
    (a generated object is found by name, not per file)."""
    for n in range(copies):
        _generator_tree(tmp_path / f"copy{n}", case)
    whole = _both([str(tmp_path)], budget, monkeypatch)
    carriers = {f.location.carrier for f in whole.findings if f.resource.name == "addon"}
    admin = [f for f in whole.findings if f.resource.name == "addon-admin"]
    set_sees_secret = [f for f in whole.findings if f.check_id == "CAPSA-TOPO-006"]
    if case == "also-a-resource":
        assert carriers == {None}
        assert admin
        return
    assert not admin, "a payload's binding is not management-cluster RBAC"
    assert len(carriers) == copies  # each names its own kustomization
    said = (
        "a ClusterResourceSet applies it to workload clusters"
        if case == "carried"
        else "destination unknown"
    )
    assert all(c is not None and said in c for c in carriers)
    assert bool(set_sees_secret) is (case == "carried")


MANAGEMENT_BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-everything}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: addon-everything}
subjects: [{kind: User, name: ops}]
"""


@pytest.mark.parametrize("budget", [None, 1])
def test_a_role_in_a_generator_file_grants_nothing_on_the_management_cluster(
    budget: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A management binding naming a ClusterRole that only a payload file defines gets
    nothing from it, in the plan's RBAC analysis as in the whole's; the same files with
    no generator give the binding everything."""
    _generator_tree(tmp_path / "addon", "carried")
    (tmp_path / "addon" / "c-binding.yaml").write_text(MANAGEMENT_BINDING, encoding="utf-8")
    whole = _both([str(tmp_path)], budget, monkeypatch)
    assert not [f for f in whole.findings if f.resource.name == "ops-everything"]
    (tmp_path / "addon" / "kustomization.yaml").unlink()
    plain = scan(ScanRequest(paths=[str(tmp_path)], today=TODAY))
    assert [f for f in plain.findings if f.resource.name == "ops-everything"]


@pytest.mark.parametrize("hold_bytes", [-1, None])
def test_planning_sees_one_string_per_value_across_files(
    hold_bytes: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's skeletons are packed apart (or parsed apart, when held); their strings
    are interned, so planning sees one object per equal name, kind and key."""
    if hold_bytes is not None:
        monkeypatch.setattr(grouped, "HOLD_BYTES", hold_bytes)
    seen: list[Resource] = []
    keys: list[str] = []  # read while planning: its stubs' bodies are let go after it
    plan_groups = grouped.plan_groups

    def planning(skeletons: list[Resource], *args: object, **kwargs: object) -> object:
        seen.extend(skeletons)
        keys.extend(k for s in skeletons if s.kind == "Cluster" for k in s.body if k == "metadata")
        return plan_groups(skeletons, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(grouped, "plan_groups", planning)
    monkeypatch.setattr(grouped, "scan_groups", functools.partial(grouped.scan_groups, budget=1))
    scan(ScanRequest(paths=copies(DEMO, tmp_path, 2), today=TODAY, keep_topology=False))
    clusters = [s for s in seen if s.kind == "Cluster"]
    files = {s.origin.path for s in clusters}
    assert len(files) > 1
    names = [s.name for s in clusters]
    versions = [s.api_version for s in clusters]
    assert len(names) > len(set(names))  # the copies' clusters have the same names
    for values in ([s.kind for s in clusters], names, versions, keys):
        assert len({id(v) for v in values}) == len(set(values))


def test_results_of_separate_groups_share_equal_references_and_reasons(
    tmp_path: Path,
) -> None:
    """Copies in groups of their own give equal references; each group's pickle comes
    back with its own objects, which the merge makes one."""
    checks = scan(ScanRequest(paths=[str(DEMO)], today=TODAY)).checks
    done = grouped.scan_groups(copies(DEMO, tmp_path, 2), {}, None, checks, budget=1)
    assert done.groups > 2
    found = done.evaluation
    results = [*found.findings, *found.passes, *found.unknown, *found.not_applicable]
    refs: dict[object, set[int]] = {}
    reasons: dict[object, set[int]] = {}
    for result in results:
        refs.setdefault(result.resource, set()).add(id(result.resource))
    for result in [*found.passes, *found.unknown, *found.not_applicable]:
        if result.reason is not None:
            reasons.setdefault(result.reason, set()).add(id(result.reason))
    assert len(results) > 2 * len(refs), "the copies' objects recur across groups"
    assert all(len(ids) == 1 for ids in refs.values())
    assert reasons and all(len(ids) == 1 for ids in reasons.values())


def test_group_outcomes_wait_for_the_merge_in_the_spill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass two puts each group's pickled outcome in the spill and hands on only its key;
    the merge reads each once and releases it."""
    seen: dict[str, Any] = {}
    original = grouped.run_ordered

    def recording(work: Any, items: Any, jobs: int) -> Any:
        outcomes = original(work, items, jobs)
        if "evaluating" not in getattr(work, "keywords", {}):
            return outcomes  # pass one's reading
        spill = work.keywords["evaluating"].reading.spill
        seen["outcomes"] = list(outcomes)
        seen["stored"] = [spill.has(o.key) for o in outcomes if hasattr(o, "key")]
        return outcomes

    merging = grouped._merge_outcomes

    def merged(outcomes: Any, groups: Any, evaluating: Any) -> Any:
        keys = [o.key for o in outcomes]
        done = merging(outcomes, groups, evaluating)
        seen["left"] = [k for k in keys if evaluating.reading.spill.has(k)]
        return done

    monkeypatch.setattr(grouped, "HOLD_BYTES", -1)
    monkeypatch.setattr(grouped, "run_ordered", recording)
    monkeypatch.setattr(grouped, "_merge_outcomes", merged)
    checks = scan(ScanRequest(paths=[str(DEMO)], today=TODAY)).checks
    done = grouped.scan_groups(copies(DEMO, tmp_path, 2), {}, None, checks, budget=1)
    outcomes = seen["outcomes"]
    assert len(outcomes) == done.groups > 2
    assert all(isinstance(o, grouped.Spilled) for o in outcomes)
    assert [o.key for o in outcomes] == [f"outcome-{n}" for n in range(done.groups)]
    assert seen["stored"] == [True] * done.groups, "every outcome is in the spill"
    assert done.evaluation.findings, "the merge read the outcomes back"
    assert seen["left"] == [], "released at the merge"


ANNOTATED_PAYLOAD = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
  annotations:
    capsa.dev/ignore: "CAPSA-IMG-001=pinned by digest in the overlay"
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers: [{name: a, image: "docker.io/example/agent:latest"}]
"""


@pytest.mark.parametrize("budget", [None, 1])
def test_an_annotation_in_a_generator_s_payload_suppresses_as_in_the_whole_scan(
    budget: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass one reads a payload file's annotation before the file is known to be a
    generator's payload; its findings carry the generated carrier. Both scans suppress."""
    (tmp_path / "agent.yaml").write_text(ANNOTATED_PAYLOAD)
    (tmp_path / "crs.yaml").write_text(
        "apiVersion: addons.cluster.x-k8s.io/v1beta1\nkind: ClusterResourceSet\n"
        "metadata: {name: addons, namespace: default}\n"
        "spec:\n  clusterSelector: {matchLabels: {env: dev}}\n"
        "  resources: [{kind: ConfigMap, name: addons}]\n"
    )
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [crs.yaml]\nconfigMapGenerator:\n"
        "  - {name: addons, namespace: default, files: [agent.yaml],\n"
        "     options: {disableNameSuffixHash: true}}\n"
    )
    with_budget(monkeypatch, budget)
    for whole in (True, False):
        result = scan(ScanRequest(paths=[str(tmp_path)], today=TODAY, keep_topology=whole))
        [image] = [f for f in result.findings if f.check_id == "CAPSA-IMG-001"]
        assert image.location.carrier and image.suppressed, (whole, image)
