"""Small manifests the command-line tests scan: one finding of each of two checks."""

from __future__ import annotations

IMDS_OPEN = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec: {instanceType: t3.large}
"""
IDENTITY_OPEN = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterControllerIdentity
metadata: {name: default}
spec:
  allowedNamespaces: {}
"""
