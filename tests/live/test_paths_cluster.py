"""`capsa paths --cluster`: live evidence (including subjects that can read kubeconfig
Secrets) feeds the attack graph, and the cluster only ever sees GET requests."""

from __future__ import annotations

import json
from pathlib import Path

from fakeapi import FakeApiServer
from typer.testing import CliRunner

from capsa.cli.main import app


def test_live_subjects_become_entry_points(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = CliRunner().invoke(
        app, ["paths", "--cluster", "--kubeconfig", str(kubeconfig), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "capsa/v1"
    entries = {p["entry"] for p in doc["paths"]}
    # the fixtures grant a non-controller subject read access to Secrets in a namespace
    # holding Clusters: it must appear as an entry point of its own
    assert "rbac-subject" in entries, entries
    assert {r.method for r in fake_api.requests} == {"GET"}


def test_unreachable_cluster_is_reported_not_raised(tmp_path: Path) -> None:
    missing = tmp_path / "absent-kubeconfig"
    result = CliRunner().invoke(app, ["paths", "--cluster", "--kubeconfig", str(missing)])
    assert "Traceback" not in result.output
    assert str(missing) in result.stderr


def test_live_checks_evidence_mitigations_and_are_cut_candidates(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    """With a live scan, a mitigation only live checks evidence can be chosen by the cut
    (manifest-only evidence lists would never offer it)."""
    from capsa.graph.service import evidence_checks
    from capsa.scan.service import ScanRequest, scan

    result = scan(ScanRequest(cluster=True, kubeconfig=str(kubeconfig)))
    assert result.live_checks
    checks = evidence_checks(result)
    assert "CAPSA-LIVE-004" in checks["STRIDE-INFODISCLOSE-2.M1"]
    assert "CAPSA-LIVE-001" in checks["STRIDE-SPOOF-1.M5"]
    without = scan(ScanRequest(paths=[]))
    assert not without.live_checks
