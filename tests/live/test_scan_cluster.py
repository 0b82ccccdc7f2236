"""`capsa scan --cluster`: live resources run through the same checks as files, plus the
live-only checks; origins are cluster URLs and only GET requests reach the server."""

from __future__ import annotations

import json
from pathlib import Path

from fakeapi import FakeApiServer
from typer.testing import CliRunner

from capsa.cli.main import app


def test_scan_cluster_json(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "scan",
            "--cluster",
            "--kubeconfig",
            str(kubeconfig),
            "--format",
            "json",
            "--fail-on",
            "critical",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    checks = {f["check"] for f in doc["findings"]}
    assert any(c.startswith("CAPSA-LIVE-") for c in checks), checks
    assert any(not c.startswith("CAPSA-LIVE-") for c in checks), checks
    assert all(f["location"]["path"].startswith("cluster://") for f in doc["findings"])
    assert {r.method for r in fake_api.requests} == {"GET"}


def test_namespace_filter_limits_namespaced_kinds(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = CliRunner().invoke(
        app,
        ["scan", "--cluster", "--kubeconfig", str(kubeconfig), "-n", "nowhere", "--format", "json"],
    )
    doc = json.loads(result.stdout)
    assert all(f["resource"]["namespace"] in (None, "", "nowhere") for f in doc["findings"])


def test_no_paths_and_no_cluster_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["scan"])
    assert result.exit_code == 2
    assert "give at least one PATH, or --cluster" in result.stderr
