"""The assessment's chains on real manifests: found on upstream CAPA defaults, gone once
the remediations are applied (where the scanner has checks to show it), and the cut on
defaults is small and verifiable."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest
from graph_support import evidence

from capsa.checks.catalog import checks_by_mitigation
from capsa.graph.build import build_graph
from capsa.graph.deployment import generic
from capsa.graph.search import AttackPath, find_paths
from capsa.graph.service import PathsResult, attack_paths, scan_manifests
from capsa.graph.techniques import load_techniques

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGUE = load_techniques()


@cache
def _run(folder: str) -> PathsResult:
    return attack_paths(scan_manifests([str(FIXTURES / folder)]), top=20)


def _has(paths: Sequence[AttackPath], *techniques: str, entry: str | None = None) -> bool:
    """Some path uses `techniques` in this order (not necessarily adjacent)."""
    for path in paths:
        if entry is not None and path.entry != entry:
            continue
        shape = iter(path.shape)
        if all(t in shape for t in techniques):
            return True
    return False


# chain -> (entry, techniques in order, mitigation whose checks must exist to show it gone;
# None: nothing a deployment can set closes it, the assessment's fix is not implemented)
CHAINS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "host-mount-cloud-credentials": (
        "pod-create",
        ("host-mount", "read-cloud-credentials-file", "use-cloud-credentials-file"),
        "STRIDE-INFODISCLOSE-4.M1",
    ),
    "imds-role-permissions": (
        "pod-create",
        ("pod-reaches-imds", "imds-role-credentials", "control-plane-role-has-controller-policy"),
        "STRIDE-SPOOF-1.M5",
    ),
    "snapshot-management-etcd": (
        "pod-create",
        (
            "snapshot-management-disk",
            "read-etcd-from-disk",
            "etcd-holds-secrets",
            "management-ca-secret",
        ),
        "STRIDE-INFODISCLOSE-1.M3",
    ),
    "lingering-bootstrap-secret": (
        "node-shell",
        (
            "node-role-reads-bootstrap-secrets",
            "read-lingering-bootstrap-secret",
            "bootstrap-data-has-token",
            "join-as-control-plane",
        ),
        None,
    ),
    "control-plane-pod": (
        "pod-create",
        ("schedule-on-control-plane", "host-mount", "control-plane-admin-conf"),
        "STRIDE-EOP-2.M2",
    ),
    "tampered-controller": (
        "maintainer-account",
        (
            "publish-tampered-controller",
            "run-tampered-controller",
            "controllers-read-secrets",
            "management-kubeconfig-secret",
        ),
        "STRIDE-TAMPER-1.M2",
    ),
    "tampered-image": (
        "image-builder-account",
        ("publish-tampered-image", "boot-tampered-image"),
        "STRIDE-TAMPER-2.M2",
    ),
}


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_chain_is_found_on_upstream_defaults(chain: str) -> None:
    entry, techniques, _ = CHAINS[chain]
    assert _has(_run("defaults").report.paths, *techniques, entry=entry)


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_chain_is_gone_once_remediated(chain: str) -> None:
    entry, techniques, mitigation = CHAINS[chain]
    if mitigation is None:
        # Host attestation (STRIDE-SPOOF-4.M1) is not implemented upstream: the chain stays
        # and the cut says no checked mitigation closes it.
        report = _run("hardened").report
        assert _has(report.paths, *techniques, entry=entry)
        assert (entry, "admin-kubeconfig") in report.cut.uncuttable
        return
    if not checks_by_mitigation().get(mitigation):
        pytest.skip(f"no check evidences {mitigation} yet, so the scan cannot show it applied")
    assert not _has(_run("hardened").report.paths, *techniques, entry=entry)


def test_namespace_secret_chain_found_and_closed() -> None:
    # Needs RBAC evidence (live scan), so the remediation is shown with synthetic evidence.
    deployment = generic()
    steps = ("namespace-grants-secret-read", "namespace-kubeconfig-secret")
    before = find_paths(build_graph(CATALOGUE, deployment), ["namespace-user"], top=10)
    assert _has(before, *steps)
    held = build_graph(CATALOGUE, deployment, evidence(deployment, holds=["STRIDE-SPOOF-1.M5"]))
    assert not _has(find_paths(held, ["namespace-user"], top=10), *steps)


@pytest.mark.parametrize("chain", sorted(c for c, v in CHAINS.items() if v[2] is not None))
def test_chain_is_closed_by_its_mitigation(chain: str) -> None:
    entry, techniques, mitigation = CHAINS[chain]
    assert mitigation is not None
    deployment = generic()
    held = build_graph(CATALOGUE, deployment, evidence(deployment, holds=[mitigation]))
    assert _has(find_paths(build_graph(CATALOGUE, deployment), [entry], top=20), *techniques)
    assert not _has(find_paths(held, [entry], top=20), *techniques)


def test_secrets_manager_default_blocks_reading_user_data() -> None:
    if not checks_by_mitigation().get("STRIDE-INFODISCLOSE-2.M1"):
        pytest.skip("no check evidences STRIDE-INFODISCLOSE-2.M1 yet")
    blocked = _run("defaults").graph.blocked
    assert any(
        b.technique == "console-reads-userdata" and b.mitigation == "STRIDE-INFODISCLOSE-2.M1"
        for b in blocked
    )
    assert not _has(_run("defaults").report.paths, "console-reads-userdata")


def test_defaults_show_violations_as_open_edges() -> None:
    paths = _run("defaults").report.paths
    statuses = {s.technique: s.status for p in paths for s in p.steps}
    assert statuses["read-cloud-credentials-file"] == "open"
    assert statuses["control-plane-role-has-controller-policy"] == "open"


def test_cut_on_defaults_is_small_and_checked() -> None:
    # One mitigation per independent route: supply chain (controller images, machine
    # images and boot downloads), SSH, Pod Security, IMDS, credentials on disk.
    cut = _run("defaults").report.cut
    assert 1 <= len(cut.mitigations) <= 6
    assert all(item.checks for item in cut.mitigations)
    known = checks_by_mitigation()
    assert all(set(item.checks) <= set(known[item.mitigation]) for item in cut.mitigations)
