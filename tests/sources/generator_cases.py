"""An add-on shipped the kustomize way, shared by the generator, grouped-scan and cache
tests: the add-on's manifests (RBAC, a Deployment, a Secret holding a fake key), a
ClusterResourceSet naming a ConfigMap, and Clusters with and without its label."""

from __future__ import annotations

CLUSTER = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata: {name: prod}\n"

LABELLED_CLUSTER = """\
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: prod, labels: {addon: "true"}}
"""

ADDON = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: addon-everything}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: addon-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: addon-everything}
subjects: [{kind: ServiceAccount, name: addon, namespace: kube-system}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: addon, namespace: kube-system}
spec:
  template:
    spec:
      containers:
        - name: addon
          image: example.com/addon:v1.2.3
---
apiVersion: v1
kind: Secret
metadata: {name: addon-cloud, namespace: kube-system}
stringData: {access_key: example-not-a-real-key}
"""


def resource_set(name: str) -> str:
    """A ClusterResourceSet for Clusters labelled addon=true that carries ConfigMap `name`."""
    return f"""\
apiVersion: addons.cluster.x-k8s.io/v1beta2
kind: ClusterResourceSet
metadata: {{name: addon-set}}
spec:
  clusterSelector: {{matchLabels: {{addon: "true"}}}}
  resources: [{{kind: ConfigMap, name: {name}}}]
"""
