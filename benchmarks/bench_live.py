"""Live reading at scale: 10,000 Cluster API objects served by the fake API server.

Measures read_cluster (discovery + paged lists over real HTTP) and capsa.live.analyse, counts
requests (pages, not one per object) and compares with only serialising and parsing the
same JSON in-process, the floor any HTTP client has to pay.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "live"))

from fakeapi import FakeApiServer, load_fixture_objects  # noqa: E402

from capsa.live import analyse  # noqa: E402
from capsa.sources.cluster import read_cluster  # noqa: E402

CLUSTERS = 1000  # x 10 objects each = 10,000 Cluster API objects
PAGE_SIZE = 500
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def _cluster_objects(i: int) -> list[dict[str, Any]]:
    ns, name = f"tenant-{i % 50:02d}", f"c{i:04d}"
    created = "2026-02-01T00:00:00Z"
    objs: list[dict[str, Any]] = [
        {
            "apiVersion": "cluster.x-k8s.io/v1beta2",
            "kind": "Cluster",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": created},
            "spec": {
                "controlPlaneRef": {"kind": "KubeadmControlPlane", "name": f"{name}-cp"},
                "infrastructureRef": {"kind": "AWSCluster", "name": name},
            },
            "status": {"conditions": [{"type": "RemoteConnectionProbe", "status": "True"}]},
        },
        {
            "apiVersion": "controlplane.cluster.x-k8s.io/v1beta2",
            "kind": "KubeadmControlPlane",
            "metadata": {"name": f"{name}-cp", "namespace": ns},
            "spec": {"replicas": 3, "version": "v1.31.4"},
        },
        {
            "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
            "kind": "AWSCluster",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"region": "eu-west-1"},
        },
        {
            "apiVersion": "cluster.x-k8s.io/v1beta2",
            "kind": "MachineDeployment",
            "metadata": {"name": f"{name}-md", "namespace": ns},
            "spec": {"clusterName": name, "replicas": 3},
        },
    ]
    for m in range(3):
        machine = f"{name}-m{m}"
        objs.append(
            {
                "apiVersion": "cluster.x-k8s.io/v1beta2",
                "kind": "Machine",
                "metadata": {"name": machine, "namespace": ns, "creationTimestamp": created},
                "spec": {"clusterName": name},
                "status": {"nodeRef": {"name": f"ip-{i}-{m}"}},
            }
        )
        objs.append(
            {
                "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta2",
                "kind": "KubeadmConfig",
                "metadata": {
                    "name": machine,
                    "namespace": ns,
                    "ownerReferences": [{"kind": "Machine", "name": machine, "uid": "u"}],
                },
            }
        )
    return objs


def _parse_floor(objects: list[dict[str, Any]]) -> float:
    """Seconds to serialise and parse the same objects as PAGE_SIZE-item JSON lists."""
    start = time.perf_counter()
    for i in range(0, len(objects), PAGE_SIZE):
        page = {"kind": "List", "metadata": {}, "items": objects[i : i + PAGE_SIZE]}
        json.loads(json.dumps(page).encode())
    return time.perf_counter() - start


def main() -> None:
    capi = [o for i in range(CLUSTERS) for o in _cluster_objects(i)]
    fixtures = load_fixture_objects(sorted((ROOT / "tests" / "live" / "fixtures").glob("*.yaml")))
    server = FakeApiServer(capi + fixtures)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kubeconfig = server.write_kubeconfig(Path(tmp) / "kubeconfig")
            start = time.perf_counter()
            result = read_cluster(str(kubeconfig), None, page_size=PAGE_SIZE)
            read_s = time.perf_counter() - start
        start = time.perf_counter()
        report = analyse(result.resources, NOW)
        analyse_s = time.perf_counter() - start
    finally:
        server.stop()
    methods = {r.method for r in server.requests}
    lists = [p for _, p in result.requests if "limit=" in p]
    floor = _parse_floor(capi + fixtures)
    total = read_s + analyse_s
    print(f"objects served        {len(capi)} Cluster API + {len(fixtures)} fixture objects")
    print(f"resources read        {len(result.resources)}  (problems: {len(result.problems)})")
    print(
        f"requests              {len(result.requests)}  ({len(lists)} list pages of <= {PAGE_SIZE}, methods: {sorted(methods)})"
    )
    print(
        f"read (HTTP)           {read_s:.3f} s  ({len(result.resources) / read_s:,.0f} objects/s)"
    )
    print(f"analyse (live checks) {analyse_s:.3f} s  ({len(report.findings)} findings)")
    print(f"total                 {total:.3f} s  ({len(result.resources) / total:,.0f} objects/s)")
    print(f"JSON dump+parse floor {floor:.3f} s  -> read+analyse is {total / floor:.1f}x the floor")


if __name__ == "__main__":
    main()
