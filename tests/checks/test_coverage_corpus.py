"""The coverage checks on the real upstream manifests (../shared/corpus, skipped when
absent): they fire where upstream defaults are unsafe and stay silent on the providers'
own controllers."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from capsa.capi.topology import build_topology
from capsa.checks.catalog import load_checks
from capsa.checks.engine import EvaluationResult, evaluate

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
NEW = ("CAPSA-RBAC-", "CAPSA-BOOT-005", "CAPSA-IDENT-005", "CAPSA-IDENT-006", "CAPSA-EKS-",
       "CAPSA-AZ-", "CAPSA-VSP-", "CAPSA-GC-")  # fmt: skip


@cache
def _result() -> EvaluationResult:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")
    from capsa.sources.files import read_manifests

    resources = list(read_manifests([str(CORPUS)]).resources)
    topology = build_topology(resources)
    checks = [c for c in load_checks() if c.id.startswith(NEW)]
    return evaluate(topology.evaluation_resources(resources), checks, topology.context_for)


def test_new_checks_run_on_the_corpus_without_problems() -> None:
    assert _result().problems == []


def test_unsafe_eks_and_capa_defaults_fire() -> None:
    fired = Counter(f.check_id for f in _result().findings)
    # No EKS template in the corpus sets endpointAccess, encryptionConfig or the
    # authenticator log; the e2e EKS templates run on a static identity.
    for check_id in ("CAPSA-EKS-001", "CAPSA-EKS-002", "CAPSA-EKS-003", "CAPSA-EKS-005"):
        assert fired[check_id] > 0, check_id
    # CAPA's manager ships AutoControllerIdentityCreator=${...:=true}.
    assert fired["CAPSA-IDENT-005"] == 1


def test_controllers_own_bindings_and_defaults_stay_silent() -> None:
    result = _result()
    flagged = {(f.check_id, f.resource.name) for f in result.findings}
    assert ("CAPSA-RBAC-001", "manager-rolebinding") not in flagged
    passed = {(p.check_id, p.location.path.rsplit("/", 1)[-1]) for p in result.passes}
    # ${KUBEADM_BOOTSTRAP_TOKEN_TTL:=15m} and ExternalResourceGC=${...:=true}
    assert ("CAPSA-BOOT-005", "bootstrap__kubeadm__config__manager__manager.yaml") in passed
    assert ("CAPSA-GC-001", "config__manager__manager.yaml") in passed
    assert not any(f.check_id == "CAPSA-BOOT-005" for f in result.findings)
