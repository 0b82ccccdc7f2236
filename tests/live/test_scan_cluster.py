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


def test_fingerprints_do_not_depend_on_the_kubeconfig_context_name(
    fake_api: FakeApiServer, tmp_path: Path
) -> None:
    """One cluster reached under two context names gives the same fingerprints, so a
    baseline taken from one still matches from the other."""
    fingerprints = []
    for context in ("admin@mgmt", "ci@mgmt"):
        config = fake_api.write_kubeconfig(tmp_path / context, context=context)
        args = ["scan", "--cluster", "--kubeconfig", str(config), "-f", "json"]
        result = CliRunner().invoke(app, [*args, "--fail-on", "none"])
        assert result.exit_code == 0, result.output
        findings = json.loads(result.stdout)["findings"]
        assert all(f["location"]["path"].startswith(f"cluster://{context}") for f in findings)
        fingerprints.append(sorted(f["fingerprint"] for f in findings))
    assert fingerprints[0] and fingerprints[0] == fingerprints[1]
