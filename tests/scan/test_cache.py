"""The incremental cache (`cache_dir`): a re-scan gives exactly what a scan without the
cache gives, after an edit, a removed file, a changed variable or a damaged entry, and
re-reads only what the change affects."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.scan.grouping import with_budget
from tests.sources.generator_cases import LABELLED_CLUSTER, resource_set

import capsa.scan.cache as cache_module
import capsa.scan.grouped as grouped
from capsa.scan.cache import Cache
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

TODAY = date(2026, 3, 1)
DEMO = Path(__file__).resolve().parents[2] / "src" / "capsa" / "examples" / "capa-demo"


def _seen(result: ScanResult) -> tuple[object, ...]:
    return (
        result.findings,
        result.passes,
        result.unknown,
        result.not_applicable,
        result.errors,
        result.summary,
    )


def _scan(folder: Path, cache: Path | None, **extra: Any) -> ScanResult:
    return scan(
        ScanRequest(
            paths=[str(folder)],
            today=TODAY,
            keep_topology=False,
            cache_dir=str(cache) if cache else None,
            **extra,
        )
    )


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    return target


class _Counter:
    """Counts calls of a module function while delegating to it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.calls = 0
        original: Callable[..., Any] = getattr(grouped, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(grouped, name, counted)


def test_a_warm_scan_reads_nothing_and_gives_the_same_result(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _scan(demo, None)
    cold = _scan(demo, tmp_path / "cache")
    parses = _Counter(monkeypatch, "chunk_of")
    evaluations = _Counter(monkeypatch, "evaluate_group")
    warm = _scan(demo, tmp_path / "cache")
    assert plain.findings
    assert _seen(cold) == _seen(plain) and _seen(warm) == _seen(plain)
    assert parses.calls == 0 and evaluations.calls == 0


def test_after_an_edit_only_the_edited_file_is_parsed_again(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_budget(monkeypatch, 1)
    _scan(demo, tmp_path / "cache")
    cluster = demo / "sandbox" / "cluster.yaml"
    cluster.write_text(
        cluster.read_text(encoding="utf-8").replace("enabled: true", "enabled: false"),
        encoding="utf-8",
    )
    parses = _Counter(monkeypatch, "chunk_of")
    rereads = _Counter(monkeypatch, "read_one")
    evaluations = _Counter(monkeypatch, "evaluate_group")
    warm = _scan(demo, tmp_path / "cache")
    counts = (parses.calls, rereads.calls, evaluations.calls)
    assert _seen(warm) == _seen(_scan(demo, None))
    files = len(list(demo.rglob("*.yaml")))
    # pass one parses the edited file; pass two re-reads the files of the groups that
    # load it and evaluates only those groups
    assert counts[0] == 1
    assert counts[1] < files - 1
    assert 0 < counts[2] < files


def test_a_removed_file_is_gone_from_the_result(demo: Path, tmp_path: Path) -> None:
    before = _scan(demo, tmp_path / "cache")
    (demo / "sandbox" / "workers.yaml").unlink()
    after = _scan(demo, tmp_path / "cache")
    assert _seen(after) == _seen(_scan(demo, None))
    assert after.summary.files == before.summary.files - 1
    assert not [f for f in after.findings if f.location.path.endswith("sandbox/workers.yaml")]


def test_a_changed_variable_is_not_answered_from_the_cache(demo: Path, tmp_path: Path) -> None:
    cluster = demo / "sandbox" / "cluster.yaml"
    cluster.write_text(
        cluster.read_text(encoding="utf-8").replace("enabled: true", "enabled: ${BASTION:=true}"),
        encoding="utf-8",
    )
    variables = {"BASTION": "false"}
    _scan(demo, tmp_path / "cache")
    warm = _scan(demo, tmp_path / "cache", variables=variables)
    assert _seen(warm) == _seen(_scan(demo, None, variables=variables))
    assert _seen(warm) != _seen(_scan(demo, None))


def test_a_damaged_entry_is_a_miss(demo: Path, tmp_path: Path) -> None:
    _scan(demo, tmp_path / "cache")
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file():
            entry.write_text('{"findings": "not a list"', encoding="utf-8")
    assert _seen(_scan(demo, tmp_path / "cache")) == _seen(_scan(demo, None))


def test_two_jobs_with_the_cache_give_the_serial_result(demo: Path, tmp_path: Path) -> None:
    serial = _scan(demo, None)
    assert _seen(_scan(demo, tmp_path / "cache", jobs=2)) == _seen(serial)
    assert _seen(_scan(demo, tmp_path / "cache", jobs=2)) == _seen(serial)


def test_the_cli_scans_with_jobs_and_a_cache(demo: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from capsa.cli.main import app

    argv = ["scan", str(demo), "--format", "json", "--jobs", "2"]
    runner = CliRunner()
    plain = runner.invoke(app, argv)
    cached = [runner.invoke(app, [*argv, "--cache-dir", str(tmp_path / "c")]) for _ in range(2)]
    assert plain.exit_code in (0, 1) and '"findings"' in plain.stdout
    assert [c.stdout for c in cached] == [plain.stdout, plain.stdout]
    assert any(p.is_file() for p in (tmp_path / "c").rglob("*"))
    bad = runner.invoke(app, ["scan", str(demo), "--jobs", "0"])
    assert bad.exit_code == 2


CLASS_FIXTURE = DEMO.parents[3] / "tests" / "capi" / "fixtures" / "clusterclass-v1beta2.yaml"


def test_a_new_kustomization_turns_a_cached_file_into_a_fragment(
    demo: Path, tmp_path: Path
) -> None:
    """The patch file's own text is unchanged, yet its objects become fragments."""
    _scan(demo, tmp_path / "cache")
    (demo / "sandbox" / "kustomization.yaml").write_text(
        "patchesStrategicMerge: [workers.yaml]\n", encoding="utf-8"
    )
    warm = _scan(demo, tmp_path / "cache")
    assert _seen(warm) == _seen(_scan(demo, None))
    assert [u for u in warm.unknown if "kustomize patch" in (u.reason or "")]


def test_a_class_that_gains_a_cluster_is_no_longer_judged_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The class's file is unchanged and its group (every file its own) loads the same
    files; whether a Cluster uses the class decides how its templates are judged (once
    per Cluster, or alone at variable defaults)."""
    with_budget(monkeypatch, 1)
    folder = tmp_path / "classes"
    folder.mkdir()
    documents = CLASS_FIXTURE.read_text(encoding="utf-8").split("\n---\n")
    (folder / "class.yaml").write_text("\n---\n".join(documents[1:]), encoding="utf-8")
    cluster = folder / "cluster.yaml"
    cluster.write_text(documents[0].replace("dev-class", "other-class"), encoding="utf-8")
    alone = _scan(folder, tmp_path / "cache")
    cluster.write_text(documents[0], encoding="utf-8")
    used = _scan(folder, tmp_path / "cache")
    assert _seen(used) == _seen(_scan(folder, None))
    assert {f.resource.name for f in alone.findings} != {f.resource.name for f in used.findings}


ADDON = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: addon-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: addon, namespace: kube-system}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: addon, namespace: kube-system}
spec:
  template:
    spec:
      containers: [{name: addon, image: "example.com/addon:v1.2.3"}]
"""

GENERATOR = (
    "configMapGenerator:\n  - name: addon-components\n    files: [z-addon.yaml]\n"
    "generatorOptions: {disableNameSuffixHash: true}\n"
)


def _addon_tree(folder: Path) -> None:
    folder.mkdir()
    (folder / "a-cluster.yaml").write_text(LABELLED_CLUSTER, encoding="utf-8")
    (folder / "b-crs.yaml").write_text(resource_set("addon-components"), encoding="utf-8")
    (folder / "z-addon.yaml").write_text(ADDON, encoding="utf-8")
    (folder / "kustomization.yaml").write_text(
        "resources: [a-cluster.yaml, b-crs.yaml]\n", encoding="utf-8"
    )


def _addon_carriers(result: ScanResult) -> set[str | None]:
    return {f.location.carrier for f in result.findings if f.resource.name.startswith("addon")}


@pytest.mark.parametrize(
    ("edit", "before", "after"),
    [
        # a generator starts listing the file: its objects become the set's payload
        ("add-generator", None, "applies it to workload clusters"),
        # the generator hashes the name now: no set names it any more
        ("hash-the-name", "applies it to workload clusters", "destination unknown"),
        # the set names another ConfigMap (the add-on and kustomization files unchanged)
        ("set-names-another", "applies it to workload clusters", "destination unknown"),
    ],
)
def test_a_cached_file_follows_what_kustomizations_make_of_it(
    edit: str, before: str | None, after: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The add-on file's text is unchanged and its group (every file its own) loads only
    it; whether it is a payload, and where that payload goes, lives in other files."""
    with_budget(monkeypatch, 1)
    folder = tmp_path / "addon"
    _addon_tree(folder)
    kustomization = folder / "kustomization.yaml"
    if edit != "add-generator":
        kustomization.write_text(kustomization.read_text(encoding="utf-8") + GENERATOR)
    first = _scan(folder, tmp_path / "cache")
    if edit == "add-generator":
        kustomization.write_text(kustomization.read_text(encoding="utf-8") + GENERATOR)
    elif edit == "hash-the-name":
        text = kustomization.read_text(encoding="utf-8")
        kustomization.write_text(
            text.replace("generatorOptions: {disableNameSuffixHash: true}\n", "")
        )
    else:
        (folder / "b-crs.yaml").write_text(resource_set("other"))
    warm = _scan(folder, tmp_path / "cache")
    assert _seen(warm) == _seen(_scan(folder, None))
    (was,) = _addon_carriers(first)
    (now,) = _addon_carriers(warm)
    assert (was is None) if before is None else (was is not None and before in was)
    assert now is not None and after in now


def _every_group_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    with_budget(monkeypatch, 1)


def test_cached_groups_are_decoded_one_at_a_time_at_the_merge(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoding every entry in pass two held all their results until the merge."""
    _every_group_its_own(monkeypatch)
    cold = _scan(demo, tmp_path / "cache")
    events: list[str] = []
    load_group, merge = Cache.load_group, grouped.merge

    def loading(self: Cache, *args: Any, **kwargs: Any) -> Any:
        events.append("decode")
        return load_group(self, *args, **kwargs)

    def merging(*args: Any) -> None:
        events.append("merge")
        merge(*args)

    monkeypatch.setattr(Cache, "load_group", loading)
    monkeypatch.setattr(grouped, "merge", merging)
    evaluations = _Counter(monkeypatch, "evaluate_group")
    warm = _scan(demo, tmp_path / "cache")
    assert _seen(warm) == _seen(cold)
    assert evaluations.calls == 0
    groups = len(events) // 2
    assert groups > 3 and events == ["decode", "merge"] * groups


def test_cached_results_share_their_checks_texts_and_resources(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _every_group_its_own(monkeypatch)
    _scan(demo, tmp_path / "cache")
    warm = _scan(demo, tmp_path / "cache")
    titles: dict[str, set[int]] = {}
    for found in warm.findings:
        titles.setdefault(found.check_id, set()).add(id(found.title))
    assert len(titles) > 1 and all(len(ids) == 1 for ids in titles.values())
    refs: dict[object, set[int]] = {}
    for result in (*warm.passes, *warm.unknown, *warm.not_applicable):
        refs.setdefault(result.resource, set()).add(id(result.resource))
    assert len(refs) > 1 and all(len(ids) == 1 for ids in refs.values())


class _Hostile:
    """Unpickled, it would make a directory: a cache must never be unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hostile_or_damaged_group_entry_is_a_miss_evaluated_at_the_merge(
    jobs: int, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass two only sees that the entry exists; the merge finds it does not validate,
    evaluates the group then and writes a valid entry for the next scan."""
    _every_group_its_own(monkeypatch)
    _scan(demo, tmp_path / "cache")
    marker = tmp_path / "ran"
    entries = sorted((tmp_path / "cache").rglob("groups/*"))
    for at, entry in enumerate(entries):
        hostile = pickle.dumps(_Hostile(marker)) if at % 2 else b'{"findings": [{"x": 1}]}'
        entry.write_bytes(hostile)
    plain = _scan(demo, None)
    evaluations = _Counter(monkeypatch, "evaluate_group")
    warm = _scan(demo, tmp_path / "cache", jobs=jobs)
    assert _seen(warm) == _seen(plain)
    assert not marker.exists()
    assert evaluations.calls == len(entries) > 3  # at the merge, in this process
    again = _Counter(monkeypatch, "evaluate_group")
    assert _seen(_scan(demo, tmp_path / "cache", jobs=jobs)) == _seen(warm)
    assert again.calls == 0


CORPUS = DEMO.parents[3].parent / "shared" / "corpus"


def test_a_warm_re_scan_of_the_corpus_after_an_edit_gives_the_plain_result(
    tmp_path: Path,
) -> None:
    """The benchmark's measure (`bench_scale`: a cluster's region changed), checked for
    its result on the corpus, with an object added that changes the findings."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    cold = _scan(folder, tmp_path / "cache")
    edited = next(
        p for p in sorted(folder.rglob("*.yaml")) if "kind: AWSCluster\n" in p.read_text()
    )
    text = edited.read_text(encoding="utf-8")
    text = text.replace("region:", "region: eu-west-1 #", 1)
    edited.write_text(f"{text}\n---\n{ADDON}", encoding="utf-8")
    warm = _scan(folder, tmp_path / "cache")
    assert warm.findings
    assert _seen(warm) == _seen(_scan(folder, None)) != _seen(cold)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "oversized"])
def test_an_entry_that_is_not_a_small_regular_file_is_a_miss_read_through_the_reader(
    kind: str, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared cache directory is input: an entry replaced by a FIFO used to hang the
    scan for ever, one replaced by a symlink to /dev/zero to exhaust memory."""
    _scan(demo, tmp_path / "cache")
    entries = sorted((tmp_path / "cache").rglob("files/*"))
    assert entries
    for entry in entries:
        if kind == "oversized":
            monkeypatch.setattr(cache_module, "MAX_ENTRY_BYTES", 10)
            continue
        entry.unlink()
        if kind == "fifo":
            os.mkfifo(entry)
        else:
            entry.symlink_to("/dev/zero")

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError("a cache read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        warm = _scan(demo, tmp_path / "cache")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert _seen(warm) == _seen(_scan(demo, None))


CANARY = "CANARY-7f3a9c"


def test_a_kustomization_is_kept_and_cached_without_any_value_it_generates(
    tmp_path: Path,
) -> None:
    """A secretGenerator's literals (and envs, inline patches, remote URLs) used to be
    written verbatim into the cache: the whole kustomization document was kept."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "kustomization.yaml").write_text(
        "resources: [deploy.yaml, https://user:" + CANARY + "-url@example.com/x.yaml]\n"
        "patchesStrategicMerge:\n- |\n  kind: Secret\n  stringData: {pw: " + CANARY + "-inline}\n"
        "secretGenerator:\n"
        "- name: sg\n  files: [s.yaml]\n  envs: [creds.env]\n"
        "  literals: [password=" + CANARY + "-literal]\n"
        "  options: {disableNameSuffixHash: true, labels: {a: " + CANARY + "-label}}\n",
        encoding="utf-8",
    )
    (tree / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: ins, labels: {app: x}}\n"
        "stringData: {pw: " + CANARY + "-gen}\n",
        encoding="utf-8",
    )
    (tree / "deploy.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n", encoding="utf-8"
    )
    (tree / "creds.env").write_text(f"TOKEN={CANARY}-env\n", encoding="utf-8")
    result = _scan(tree, tmp_path / "cache")
    assert _seen(result) == _seen(_scan(tree, None))
    entries = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert entries
    for entry in entries:
        assert CANARY.encode() not in entry.read_bytes(), entry
    from capsa.sources.files import read_chunks

    kept = [k for chunk in read_chunks([str(tree)]) for k in chunk.kustomizations]
    assert kept == [
        (
            str(tree / "kustomization.yaml"),
            {
                "patchesStrategicMerge": [],
                "resources": ["deploy.yaml"],
                "secretGenerator": [
                    {
                        "name": "sg",
                        "options": {"disableNameSuffixHash": True},
                        "files": ["s.yaml"],
                    }
                ],
            },
        )
    ]
