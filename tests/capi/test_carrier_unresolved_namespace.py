"""A ClusterResourceSet carrier in an unresolved `${NAMESPACE}` still hands its parsed
objects to the set (`ResourceIndex.carried_by`): their origin names the carrier as shown,
`${NAMESPACE}`, and the lookup must name it the same way."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from capsa.checks.catalog import load_checks
from capsa.scan.service import ScanRequest, scan

INNER = base64.b64encode(
    b"apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: kube-system}\n"
    b"stringData: {password: hunter2}\n"
).decode()
TEMPLATE = f"""\
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata: {{name: crs, namespace: '${{NAMESPACE}}'}}
spec:
  clusterSelector: {{matchLabels: {{cni: x}}}}
  resources:
  - {{kind: Secret, name: carrier}}
---
apiVersion: v1
kind: Secret
metadata: {{name: carrier, namespace: '${{NAMESPACE}}'}}
type: addons.cluster.x-k8s.io/resource-set
data:
  creds.yaml: {INNER}
"""


@pytest.mark.parametrize("variables", [{}, {"NAMESPACE": "team-a"}])
def test_a_secret_carried_in_an_unresolved_namespace_is_judged(
    tmp_path: Path, variables: dict[str, str]
) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE, encoding="utf-8")
    checks = tuple(c for c in load_checks() if c.id == "CAPSA-TOPO-006")
    result = scan(ScanRequest(paths=[str(tmp_path)], variables=variables, checks=checks))
    assert [f.check_id for f in result.findings] == ["CAPSA-TOPO-006"]
    assert not result.not_applicable
