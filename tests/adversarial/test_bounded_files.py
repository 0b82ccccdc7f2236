"""Class 2 (files) — every file capsa reads goes through one reader that refuses what is
not a regular file and caps what it reads.

`/dev/zero` and `/dev/urandom` never end; a FIFO with no writer blocks whoever opens it.
Each is given in the place of every kind of file; the command must end at once with a
message naming the file. A guard fails the test (instead of hanging the suite) if a read
ever blocks.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from fakeapi import FakeApiServer
from hostile import GOOD_MODEL, WORKERS, assert_clean, assert_unusable, run

from capsa.errors import InputError
from capsa.reader import read_text
from capsa.sources.files import MAX_PROBLEMS_PER_FILE, read_manifests
from capsa.sources.repository import read_governance


class Hung(Exception):
    pass


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """Turn a read that blocks into a failure after 20 s (the whole case takes < 1 s)."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise Hung("a read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    return str(path)


SPECIALS: dict[str, Callable[[Path], str]] = {
    "dev-zero": lambda _tmp: "/dev/zero",
    "dev-urandom": lambda _tmp: "/dev/urandom",
    "fifo": _fifo,
    "directory": lambda tmp: str(tmp),
}


def _manifest(tmp_path: Path) -> str:
    path = tmp_path / "m.yaml"
    path.write_text(WORKERS)
    return str(path)


def _commands(special: str, tmp_path: Path) -> dict[str, list[str]]:
    """For each place a file is read, the command that reads `special` there."""
    manifest = _manifest(tmp_path)
    child = tmp_path / "child.yaml"
    child.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: c}\n"
        f"extends: {special}\n"
    )
    return {
        "model": ["model", "validate", special],
        "extends": ["model", "validate", str(child)],
        "ignore-file": ["scan", manifest, "--ignore-file", special],
        "baseline": ["scan", manifest, "--baseline", special],
        "tracking": ["threats", "--tracking", special],
        "report-from": ["report", "--from", special],
        "diff": ["diff", special, special],
        "kubeconfig": ["scan", "--cluster", "--kubeconfig", special],
        "assess-model": ["assess", manifest, "--model", special, "--out", str(tmp_path / "o")],
        "paths-model": ["paths", manifest, "--model", special],
    }


PLACES = [
    "model",
    "extends",
    "ignore-file",
    "baseline",
    "tracking",
    "report-from",
    "diff",
    "kubeconfig",
    "assess-model",
    "paths-model",
]


CASES = [(p, s) for p in PLACES for s in SPECIALS if s == "fifo" or "model" not in p[:7]]


@pytest.mark.parametrize(("place", "special"), CASES)
def test_a_special_file_is_refused_at_once(tmp_path: Path, special: str, place: str) -> None:
    target = SPECIALS[special](tmp_path)
    started = time.monotonic()
    result = run(*_commands(target, tmp_path)[place])
    assert_unusable(result)
    assert "not a regular file" in result.stderr or "a directory" in result.stderr, result.stderr
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("special", list(SPECIALS))
def test_a_special_vars_file_is_a_located_problem(tmp_path: Path, special: str) -> None:
    target = SPECIALS[special](tmp_path)
    result = run("scan", _manifest(tmp_path), "--vars-file", target, "--format", "json")
    assert_clean(result)
    assert result.exit_code == 1  # the manifest is still scanned
    (error,) = json.loads(result.stdout)["errors"]
    assert "not a regular file" in error["message"] or "a directory" in error["message"]


@pytest.mark.parametrize("special", ["dev-zero", "fifo"])
def test_a_special_manifest_beside_a_good_one(tmp_path: Path, special: str) -> None:
    target = SPECIALS[special](tmp_path)
    result = run("scan", _manifest(tmp_path), target, "--format", "json")
    assert_clean(result)
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert error["path"] == target and "not a regular file" in error["message"]


@pytest.mark.parametrize("field", ["tokenFile", "certificate-authority", "client-certificate"])
@pytest.mark.parametrize("special", ["dev-zero", "fifo"])
def test_files_a_kubeconfig_names_are_checked_first(
    hostile_api: FakeApiServer, tmp_path: Path, field: str, special: str
) -> None:
    target = SPECIALS[special](tmp_path)
    path = hostile_api.write_kubeconfig(tmp_path / "kubeconfig")
    config = json.loads(json.dumps(__import__("yaml").safe_load(path.read_text())))
    if field == "certificate-authority":
        config["clusters"][0]["cluster"] = {"server": hostile_api.url, field: target}
    elif field == "client-certificate":
        config["users"][0]["user"] = {field: target, "client-key": target}
    else:
        config["users"][0]["user"] = {field: target}
    path.write_text(json.dumps(config))
    result = run("scan", "--cluster", "--kubeconfig", str(path))
    assert_unusable(result, "not a regular file")
    assert hostile_api.requests == []


def test_governance_files_of_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    os.mkfifo(repo / "SECURITY_CONTACTS")
    os.symlink("/dev/zero", repo / "OWNERS")
    result = run("assess", _manifest(tmp_path), "--repo", str(repo), "--out", str(tmp_path / "o"))
    assert_clean(result)
    assert result.exit_code == 0
    facts = read_governance(str(repo))
    assert {p.path for p in facts.problems} >= {"SECURITY_CONTACTS", "OWNERS"}
    assert all("not a regular file" in p.message for p in facts.problems)


def test_a_sparse_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    model = tmp_path / "big.yaml"
    with open(model, "wb") as handle:
        handle.truncate(3_000_000_000)
    assert_unusable(run("model", "validate", str(model)), "too large")


def test_the_cap_holds_while_reading_a_file_that_lies_about_its_size() -> None:
    """/proc files report size 0 and hold more: the reader stops at the cap anyway."""
    with pytest.raises(InputError, match="too large"):
        read_text("/proc/self/maps", limit=10)


def test_a_million_tiny_documents_stop_at_the_document_cap(tmp_path: Path) -> None:
    path = tmp_path / "docs.yaml"
    path.write_text("---\na: 1\n" * 1_000_000)
    started = time.monotonic()
    result = read_manifests([str(path)])
    assert time.monotonic() - started < 20
    messages = [p.message for p in result.problems]
    assert any("more than 10000 YAML documents" in m for m in messages)
    assert len(result.problems) == MAX_PROBLEMS_PER_FILE + 1
    assert any("more problems in this file not shown" in m for m in messages)


def test_problems_are_capped_per_file_and_other_files_still_read(tmp_path: Path) -> None:
    (tmp_path / "a-noise.yaml").write_text("---\n- 1\n" * 500)
    (tmp_path / "b-good.yaml").write_text(WORKERS)
    result = read_manifests([str(tmp_path)])
    assert [r.name for r in result.resources] == ["workers"]
    assert len(result.problems) == MAX_PROBLEMS_PER_FILE + 1
    assert result.problems[-1].message == "400 more problems in this file not shown"


def test_a_model_alias_bomb_is_refused(tmp_path: Path) -> None:
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    rows += [f"{c}: &{c} [" + ",".join([f"*{chr(ord(c) - 1)}"] * 9) + "]" for c in "bcdefghi"]
    model = tmp_path / "bomb.yaml"
    model.write_text(GOOD_MODEL.read_text() + "x-bomb:\n" + "\n".join(f"  {r}" for r in rows))
    assert_unusable(run("model", "validate", str(model)), "alias")


def test_an_extends_chain_is_bounded(tmp_path: Path) -> None:
    for index in range(60):
        parent = f"extends: m{index + 1}.yaml\n" if index < 59 else ""
        (tmp_path / f"m{index}.yaml").write_text(
            "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\n"
            f"metadata: {{name: m{index}}}\n{parent}"
        )
    assert_unusable(run("model", "validate", str(tmp_path / "m0.yaml")), "longer than 32")
