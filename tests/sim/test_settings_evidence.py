"""Deployment settings read from a scan: per cluster and machine role, and the token TTL
from the live check that reads it; defaults stand as assumed without evidence."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from capsa.examples import demo_path
from capsa.live.catalog import example_findings, live_checks
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sim.evidence import NO_EVIDENCE, scopes, token_ttl
from capsa.sim.settings import load_settings


@cache
def _demo() -> ScanResult:
    return scan(ScanRequest(paths=[str(demo_path())]))


def _settings(name: str, role: str) -> dict[str, tuple[object, str]]:
    found = scopes(_demo(), load_settings())
    scope = next(s for s in found if s.name == name and s.role == role)
    return {k: (v.value, v.source) for k, v in scope.settings.items()}


def test_without_a_scan_every_setting_is_the_assumed_default() -> None:
    (only,) = scopes(None, load_settings())
    assert only.name == NO_EVIDENCE and only.role is None
    assert {k: (v.value, v.source) for k, v in only.settings.items()} == {
        "machine-health-check": (False, "assumed"),
        "node-startup-timeout": (600, "assumed"),
        "remediation-capped": (False, "assumed"),
        "bootstrap-token-ttl": (900, "assumed"),
    }


def test_a_capped_health_check_with_a_timeout_covers_the_prod_workers() -> None:
    assert _settings("team-payments/payments-prod", "worker") == {
        "machine-health-check": (True, "evidence"),
        "node-startup-timeout": (600, "evidence"),
        "remediation-capped": (True, "evidence"),
        "bootstrap-token-ttl": (900, "assumed"),
    }


def test_the_sandbox_health_check_sets_no_cap() -> None:
    settings = _settings("team-sandbox/sandbox", "worker")
    assert settings["machine-health-check"] == (True, "evidence")
    assert settings["remediation-capped"] == (False, "evidence")


def test_no_health_check_selects_control_plane_machines() -> None:
    settings = _settings("team-sandbox/sandbox", "control-plane")
    assert settings["machine-health-check"] == (False, "absent")
    assert settings["remediation-capped"] == (False, "absent")


def test_a_kcp_max_retry_caps_control_plane_remediation() -> None:
    settings = _settings("team-payments/payments-prod", "control-plane")
    assert settings["remediation-capped"] == (True, "evidence")


def test_evidence_cites_the_object_and_its_line() -> None:
    found = scopes(_demo(), load_settings(), lambda p: Path(p).name)
    scope = next(s for s in found if s.name == "team-payments/payments-prod" and s.role == "worker")
    assert scope.settings["machine-health-check"].basis == (
        "MachineHealthCheck team-payments/payments-prod-md-0 (workers.yaml:66)"
    )


def test_a_health_check_selecting_the_control_plane_label_covers_it(tmp_path: Path) -> None:
    manifest = (demo_path() / "prod" / "workers.yaml").read_text()
    manifest = manifest.replace(
        "      cluster.x-k8s.io/deployment-name: payments-prod-md-0\n  checks:",
        '      cluster.x-k8s.io/control-plane: ""\n  checks:',
    )
    assert 'control-plane: ""' in manifest
    for name in ("cluster.yaml", "control-plane.yaml", "namespace.yaml"):
        (tmp_path / name).write_text((demo_path() / "prod" / name).read_text())
    (tmp_path / "workers.yaml").write_text(manifest)
    found = scopes(scan(ScanRequest(paths=[str(tmp_path)])), load_settings())
    worker = next(s for s in found if s.role == "worker")
    control = next(s for s in found if s.role == "control-plane")
    assert worker.settings["machine-health-check"].value is False
    assert control.settings["machine-health-check"].value is True


def test_the_token_ttl_comes_from_the_live_check() -> None:
    check = live_checks()["CAPSA-LIVE-004"]
    findings = example_findings(check, check.examples.fail[0])
    ttl = token_ttl(findings)
    assert ttl is not None and (ttl.value, ttl.source) == (3600, "evidence")
    assert token_ttl(example_findings(check, check.examples.pass_[0])) is None


def test_templates_of_one_unresolved_name_are_scopes_apart() -> None:
    """Named as the attack graph names clusters: two template files whose Cluster is
    `${CLUSTER_NAME}` are two scopes, each with its file, not one name twice."""
    fixture = Path(__file__).parents[1] / "graph" / "fixtures" / "templates"
    result = scan(ScanRequest(paths=[str(fixture)], keep_topology=False, keep_clusters=True))
    names = {s.name for s in scopes(result, load_settings())}
    assert names == {
        "default/${CLUSTER_NAME}@hardened.yaml",
        "default/${CLUSTER_NAME}@plain.yaml",
    }


def test_the_example_s_clusters_keep_their_names() -> None:
    names = {s.name for s in scopes(_demo(), load_settings())}
    assert names and not any("@" in n for n in names)
