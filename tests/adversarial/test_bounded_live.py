"""Class 2 (live) and the live half of class 3 — a hostile API server cannot make the read
hang, exhaust memory, crash it, or pass for a clean cluster.

The fake API server misbehaves on demand: answers that trickle a byte at a time (body or
headers), never end, inflate from kilobytes to gigabytes, loop on continue tokens, ask
for waits of a day or of `nan` seconds, fail forever, or are not Kubernetes answers at
all. Limits are set small so the whole file runs in seconds; every fault is endless, so
the outcome does not depend on how fast the machine is.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FOREVER, FakeApiServer, Fault, Request, endless_chunks, gzip_bomb, trickle
from hostile import assert_clean, assert_unusable, run

from capsa.sources.cluster import read_cluster
from capsa.sources.cluster_http import LiveLimits, retry_after_seconds

CLUSTERS = "/apis/cluster.x-k8s.io/v1beta2/clusters"
FAST = LiveLimits(
    deadline=20.0,
    request_timeout=1.0,
    idle_timeout=1.0,
    max_response_bytes=1 << 20,
    max_pages=5,
    exec_timeout=0.5,
)


def is_list(path: str) -> bool:
    """A collection URL (not a discovery document)."""
    parts = path.strip("/").split("/")
    return len(parts) >= (3 if parts[0] == "api" else 4)


def _read(kubeconfig: Path, limits: LiveLimits = FAST, **options: Any) -> Any:
    slept: list[float] = []
    started = time.monotonic()
    result = read_cluster(str(kubeconfig), None, limits=limits, sleep=slept.append, **options)
    return result, slept, time.monotonic() - started


def _kinds(result: Any) -> set[str]:
    return {r.kind for r in result.resources}


def _why(result: Any, kind: str) -> str:
    return " ".join(why for k, why in result.not_assessable if k == kind)


# --- continue tokens ---------------------------------------------------------------------


def _page(token: str) -> dict[str, Any]:
    return {"kind": "ClusterList", "apiVersion": "cluster.x-k8s.io/v1beta2", "items": [],
            "metadata": {"continue": token}}  # fmt: skip


def test_the_same_continue_token_again_is_a_loop(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    hostile_api.inject(CLUSTERS, Fault(200, times=FOREVER, json=_page("again")))
    result, _, _ = _read(kubeconfig)
    assert "repeated a continue token" in _why(result, "Cluster")
    assert sum(r.path == CLUSTERS for r in hostile_api.requests) == 2
    assert "Machine" in _kinds(result)


def test_a_new_continue_token_forever_stops_at_the_page_cap(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    counter = itertools.count()
    fault = Fault(200, times=FOREVER, json=lambda _r: _page(f"t{next(counter)}"))
    hostile_api.inject(CLUSTERS, fault)
    result, _, _ = _read(kubeconfig)
    assert "more than 5 pages" in _why(result, "Cluster")
    assert sum(r.path == CLUSTERS for r in hostile_api.requests) == FAST.max_pages
    assert "Machine" in _kinds(result)


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_trickled_answer_ends_at_the_request_limit(
    hostile_api: FakeApiServer, kubeconfig: Path, in_headers: bool
) -> None:
    """One byte every 0.2 s keeps every socket read under the 1 s idle timeout; only the
    request's own time limit can end it."""
    payload = json.dumps(_page("")).encode() * 1000
    hostile_api.inject(CLUSTERS, Fault(200, wire=trickle(payload, 0.2, in_headers=in_headers)))
    result, _, elapsed = _read(kubeconfig)
    assert "Timeout" in _why(result, "Cluster")
    assert "Machine" in _kinds(result)
    assert elapsed < 10


def test_a_slow_server_is_bounded_by_the_deadline(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    hostile_api.inject_where(is_list, Fault(200, times=FOREVER, delay=30))
    limits = LiveLimits(deadline=2.0, request_timeout=30.0, idle_timeout=30.0)
    result, _, elapsed = _read(kubeconfig, limits)
    assert elapsed < 8
    assert result.stopped is not None
    assert result.unusable
    assert any("stopped early" in p.message for p in result.problems)


def test_a_server_failing_forever_is_given_up_on(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    hostile_api.inject_where(is_list, Fault(503, times=FOREVER))
    result, slept, _ = _read(kubeconfig)
    assert result.unusable and result.stopped is not None
    assert "3 requests in a row failed" in result.stopped
    assert len([r for r in hostile_api.requests if is_list(r.path)]) <= 3 * 5
    assert sum(slept) <= FAST.max_wait_total


@pytest.mark.parametrize(
    "retry_after",
    ["86400", "nan", "inf", "-1", "1e400", "Fri, 01 Jan 2100 00:00:00 GMT", "soon", ""],
)
def test_retry_after_is_capped_and_validated(
    hostile_api: FakeApiServer, kubeconfig: Path, retry_after: str
) -> None:
    hostile_api.inject_where(is_list, Fault(429, times=FOREVER, retry_after=retry_after))
    result, slept, _ = _read(kubeconfig)
    assert result.unusable
    assert slept and all(0 <= s <= 10 for s in slept)
    assert sum(slept) <= FAST.max_wait_total


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("7", None, now) == 7.0
    assert retry_after_seconds("Fri, 01 Jan 2100 00:00:00 GMT", None, now) > 10**9
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", None, now) == 0.0
    for bad in ("nan", "inf", "-inf", "-1", "1e400", "soon", "", "Mon, 99 Foo 2100"):
        assert retry_after_seconds(bad, None, now) is None, bad


# --- memory ---------------------------------------------------------------------------------


def test_a_gzip_bomb_stops_at_the_decompressed_cap(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    hostile_api.inject(CLUSTERS, Fault(200, wire=gzip_bomb(64 << 20)))
    result, _, _ = _read(kubeconfig)
    assert "over 1048576 bytes" in _why(result, "Cluster")
    assert "Machine" in _kinds(result)


def test_an_endless_chunked_answer_stops_at_the_cap(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    hostile_api.inject(CLUSTERS, Fault(200, wire=endless_chunks()))
    result, _, _ = _read(kubeconfig)
    assert "over 1048576 bytes" in _why(result, "Cluster")


def test_a_declared_length_over_the_cap_is_not_read(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    big = json.dumps(_page("")).encode() + b" " * (2 << 20)
    hostile_api.inject(CLUSTERS, Fault(200, json=big))
    result, _, _ = _read(kubeconfig)
    assert "over 1048576 bytes" in _why(result, "Cluster")


# --- answers that are not what Kubernetes sends ---------------------------------------------


def _list_with(items: Any, **extra: Any) -> dict[str, Any]:
    return {"kind": "ClusterList", "apiVersion": "cluster.x-k8s.io/v1beta2", "items": items,
            "metadata": {}, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"a":' * 300 + b"1" + b"}" * 300, "nested deeper than 200"),
        (_list_with(5), "items is not a list"),
        (_list_with("x"), "items is not a list"),
        (_list_with([], metadata={"continue": 5}), "continue token is not text"),
        (b"<html>hello</html>", "not JSON"),
        ([1, 2], "not a JSON object"),
    ],
    ids=["deep-200000", "deep-300", "items-5", "items-str", "token-int", "html", "array"],
)
def test_malformed_list_answers(
    hostile_api: FakeApiServer, kubeconfig: Path, answer: Any, words: str
) -> None:
    hostile_api.inject(CLUSTERS, Fault(200, json=answer))
    result, _, _ = _read(kubeconfig)
    assert words in _why(result, "Cluster")
    assert "Machine" in _kinds(result)


@pytest.mark.parametrize(
    "items",
    [
        [{"metadata": "str"}],
        [{"metadata": {"name": 5}}],
        [{"metadata": {"name": "x", "namespace": ["a"]}}],
        [5, "x", None],
        [{"metadata": {"name": "ok", "namespace": "a", "labels": "x", "annotations": {"a": 1}}}],
    ],
    ids=["metadata-str", "name-int", "namespace-list", "not-objects", "labels-str"],
)
def test_objects_with_unusable_metadata_are_skipped_and_counted(
    hostile_api: FakeApiServer, kubeconfig: Path, items: list[Any]
) -> None:
    hostile_api.inject(CLUSTERS, Fault(200, json=_list_with(items)))
    result, _, _ = _read(kubeconfig)
    clusters = [r for r in result.resources if r.kind == "Cluster"]
    assert all(isinstance(r.body["metadata"].get("labels", {}), dict) for r in clusters)
    usable = [i for i in items if isinstance(i, dict) and i["metadata"] == items[-1]["metadata"]]
    if clusters:
        assert [c.name for c in clusters] == ["ok"] and usable
    elif any(isinstance(i, dict) for i in items):
        assert any("without a usable name" in p.message for p in result.problems)


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/api", {"versions": 5}),
        ("/api", {"versions": ["../../x", "v1?"]}),
        ("/api", b"not json"),
        ("/api", b"[" * 200_000),
        ("/apis", {"groups": 5}),
        ("/apis", {"groups": [{"name": "../x", "versions": [{"version": "v1"}]}, 7]}),
        ("/api/v1", {"resources": "x"}),
        ("/api/v1", {"resources": [{"name": 5}, {"name": "secrets", "kind": "S/x", "verbs": 1}]}),
    ],
)
def test_malformed_discovery_never_crashes(
    hostile_api: FakeApiServer, kubeconfig: Path, path: str, answer: Any
) -> None:
    hostile_api.inject(path, Fault(200, times=FOREVER, json=answer))
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--format", "json")
    assert_clean(result)
    assert result.exit_code in (0, 1, 2)
    if path == "/api":
        assert result.exit_code == 2 and "cannot discover the API" in result.stderr


# --- an unreadable cluster is not a clean one -------------------------------------------------


@pytest.mark.parametrize(
    ("status", "command"),
    [(401, "scan"), (403, "scan"), (404, "scan"), (403, "paths"), (403, "assess")],
)  # 5xx forever: see the retry tests above
def test_every_list_failing_is_exit_2_saying_what_could_not_be_read(
    hostile_api: FakeApiServer, kubeconfig: Path, tmp_path: Path, status: int, command: str
) -> None:
    hostile_api.inject_where(is_list, Fault(status, times=FOREVER))
    extra = ["--out", str(tmp_path / "o")] if command == "assess" else []
    result = run(command, "--cluster", "--kubeconfig", str(kubeconfig), *extra)
    assert_unusable(result, "nothing could be read from the cluster")
    assert "No open findings" not in result.stdout


def test_garbage_discovery_is_exit_2(hostile_api: FakeApiServer, kubeconfig: Path) -> None:
    hostile_api.inject_where(lambda p: not is_list(p), Fault(200, times=FOREVER, json=b"{}"))
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig))
    assert_unusable(result, "cannot discover the API")


def test_a_partial_read_says_what_is_missing(hostile_api: FakeApiServer, kubeconfig: Path) -> None:
    hostile_api.inject(CLUSTERS, Fault(403, times=FOREVER))
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--format", "json")
    assert_clean(result)
    assert result.exit_code in (0, 1)
    errors = [e["message"] for e in json.loads(result.stdout)["errors"]]
    assert any(m.startswith("partial read, not assessed: Cluster (not allowed") for m in errors)


def test_the_cli_deadline_ends_a_stalled_read(hostile_api: FakeApiServer, kubeconfig: Path) -> None:
    hostile_api.inject_where(is_list, Fault(200, times=FOREVER, delay=60))
    started = time.monotonic()
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--timeout", "1")
    assert time.monotonic() - started < 8
    assert_unusable(result, "time limit (1 s, --timeout)")


def test_server_messages_are_shortened_and_made_safe(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    status = {"kind": "Status", "reason": "\x1b]0;owned\x07", "message": "\x1b[2J" + "m" * 5000}
    hostile_api.inject(CLUSTERS, Fault(400, times=FOREVER, json=status))
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig))
    assert_clean(result)
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "m" * 400 not in result.output


# --- the exec credential plugin -------------------------------------------------------------


def _exec_kubeconfig(api: FakeApiServer, tmp_path: Path, code: str) -> Path:
    path = api.write_kubeconfig(tmp_path / "kubeconfig")
    config = json.loads(json.dumps(__import__("yaml").safe_load(path.read_text())))
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-c", code],
        }
    }
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize(
    "code",
    [
        "import time; time.sleep(60)",
        "import subprocess, sys; subprocess.Popen(['sleep', '60']); time = 0; sys.stdout.flush()",
        "import os, time; os.fork() or time.sleep(60); time.sleep(60)",
    ],
    ids=["sleeps", "leaves-a-child-holding-stdout", "forks"],
)
def test_an_exec_plugin_that_never_returns_is_stopped(
    hostile_api: FakeApiServer, tmp_path: Path, code: str
) -> None:
    kubeconfig = _exec_kubeconfig(hostile_api, tmp_path, code)
    result, _, elapsed = _read(kubeconfig)
    assert elapsed < 10
    assert result.unusable
    text = " ".join(p.message for p in result.problems)
    assert (
        "did not finish within 0.5 s" in text or "exited with code" in text or "no status" in text
    )


def test_requests_are_logged_and_only_gets(hostile_api: FakeApiServer, kubeconfig: Path) -> None:
    result, _, _ = _read(kubeconfig)
    assert result.requests and all(method == "GET" for method, _ in result.requests)
    assert {r.method for r in hostile_api.requests} == {"GET"}
    assert isinstance(hostile_api.requests[0], Request)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0.5"])
@pytest.mark.parametrize("command", ["scan", "paths", "assess"])
def test_a_timeout_that_would_never_end_is_refused(value: str, command: str) -> None:
    result = run(command, "--cluster", "--timeout", value)
    assert result.exit_code == 2
    assert "give a number of seconds" in result.output
