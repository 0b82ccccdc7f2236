"""A field of the wrong type costs that field (or object), never the run.

An audit found small wrong-typed fields (`patches: 5`, `roleRef: [x]`, `containers: 5`,
a selector's `values: 5`, CloudFormation `Properties: [1, 2]`, a PolicyDocument nested
100,000 deep, `${A:-${A:-...}}` 500 deep, `metadata.name: [a, b]`) that ended every
scan in "internal error", losing every other file's findings. Each case here is scanned
beside a good manifest: the good file's findings must all be there, with a problem at
the broken field's file and line, and the exit code of any other input error. The
backstops (an analysis that still meets a shape it cannot read leaves that object out,
with a problem) are forced with monkeypatch. A property test mutates field types of a
valid manifest set.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile import assert_clean, bounded, run
from hypothesis import given
from hypothesis import strategies as st

GOOD_TEXT = """apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata:
  name: sandbox-md-0
  namespace: team-sandbox
  annotations:
    cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size: "1"
spec:
  clusterName: sandbox
  replicas: 2
  selector:
    matchLabels: null
  template:
    spec:
      clusterName: sandbox
      version: ${KUBERNETES_VERSION:=v1.31.4}
      bootstrap:
        configRef:
          apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
          kind: KubeadmConfigTemplate
          name: sandbox-md-0
      infrastructureRef:
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
        kind: AWSMachineTemplate
        name: sandbox-md-0
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: sandbox-md-0
  namespace: team-sandbox
spec:
  template:
    spec:
      instanceType: t3.large
      iamInstanceProfile: nodes.cluster-api-provider-aws.sigs.k8s.io
      instanceMetadataOptions:
        httpEndpoint: enabled
        httpTokens: optional
        httpPutResponseHopLimit: 2
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfigTemplate
metadata:
  name: sandbox-md-0
  namespace: team-sandbox
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration:
          name: '{{ ds.meta_data.local_hostname }}'
          kubeletExtraArgs:
            cloud-provider: external
      users:
        - name: ops
          sudo: ALL=(ALL) NOPASSWD:ALL
          sshAuthorizedKeys:
            - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbcdefghijklmnopqrstuvwxyz0123456789ABCDEF ops@example.com
      preKubeadmCommands:
        - curl -fsSL https://tools.example.com/node-agent/install.sh | bash
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineHealthCheck
metadata:
  name: sandbox-md-0
  namespace: team-sandbox
spec:
  clusterName: sandbox
  selector:
    matchLabels:
      cluster.x-k8s.io/deployment-name: sandbox-md-0
  unhealthyConditions:
    - type: Ready
      status: Unknown
      timeout: 300s
"""
"""A valid manifest with 9 findings (a pool, its template, bootstrap and health check)."""

BINDING = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {kind: ClusterRole, name: r, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: ServiceAccount, name: x, namespace: default}]
"""


def _role(rest: str) -> str:
    head = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
    return head + rest + "---\n" + BINDING


def _crb(field: str) -> str:
    return (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        f"metadata: {{name: b}}\n{field}\n"
    )


def _cfn(resource: str) -> str:
    return f'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  R:\n{resource}'


DEEP_JSON = '"{\\"Statement\\":' + "[" * 100_000 + "]" * 100_000 + '}"'

# name: ({file: text}, (file, line, words of the problem))
CASES: dict[str, tuple[dict[str, str], tuple[str, int, str]]] = {
    **{
        f"kustomization-{key}-{value}": (
            {"kz/kustomization.yaml": f"resources: [a.yaml]\n{key}: {value}\n"},
            ("kz/kustomization.yaml", 2, f"{key} must be a list"),
        )
        for key, value in [
            ("patches", "5"),
            ("patches", "true"),
            ("patches", "1.5"),
            ("patchesStrategicMerge", "5"),
            ("patchesJson6902", "5"),
            ("configMapGenerator", "5"),
            ("secretGenerator", "5"),
            ("resources", "5"),
        ]
    },
    **{
        f"kustomization-{key}-files": (
            {"kz/kustomization.yaml": f"resources: [a.yaml]\n{key}:\n- name: x\n  files: 5\n"},
            ("kz/kustomization.yaml", 4, f"{key}[0].files must be a list"),
        )
        for key in ("configMapGenerator", "secretGenerator")
    },
    **{
        f"roleRef-{name}": (
            {"rb.yaml": _crb(f"roleRef: {value}")},
            ("rb.yaml", 4, "roleRef must be a mapping"),
        )
        for name, value in [("list", "[x]"), ("text", '"x"'), ("int", "5"), ("bool", "true")]
    },
    "subjects-int": (
        {"rb.yaml": _crb("roleRef: {kind: ClusterRole, name: r}\nsubjects: 5")},
        ("rb.yaml", 5, "subjects must be a list"),
    ),
    "rules-int": ({"r.yaml": _role("rules: 5\n")}, ("r.yaml", 4, "rules must be a list")),
    "rule-apiGroups-bool": (
        {"r.yaml": _role("rules:\n- apiGroups: true\n  resources: ['*']\n  verbs: ['*']\n")},
        ("r.yaml", 5, "rules[0].apiGroups must be a list of strings"),
    ),
    "aggregationRule-selectors-bool": (
        {"r.yaml": _role("aggregationRule: {clusterRoleSelectors: true}\n")},
        ("r.yaml", 4, "aggregationRule.clusterRoleSelectors must be a list"),
    ),
    "containers-int-beside-a-binding": (
        {
            "d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
            "  template:\n    spec:\n      containers: 5\n",
            "rb.yaml": BINDING,
        },
        ("d.yaml", 7, "spec.template.spec.containers must be a list"),
    ),
    "selector-values-int": (
        {
            "sel.yaml": "apiVersion: addons.cluster.x-k8s.io/v1beta1\nkind: ClusterResourceSet\n"
            "metadata: {name: crs, namespace: default}\nspec:\n  clusterSelector:\n"
            "    matchExpressions: [{key: env, operator: In, values: 5}]\n"
            "  resources: [{kind: ConfigMap, name: cm}]\n---\n"
            "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\n"
            "metadata: {name: c, namespace: default, labels: {env: x}}\n"
        },
        ("sel.yaml", 6, "values must be a list of strings"),
    ),
    "cfn-managed-policy-properties-list": (
        {"cfn.yaml": _cfn("    Type: AWS::IAM::ManagedPolicy\n    Properties: [1, 2]\n")},
        ("cfn.yaml", 5, "Properties must be a mapping"),
    ),
    "cfn-role-properties-text": (
        {"cfn.yaml": _cfn('    Type: AWS::IAM::Role\n    Properties: "str"\n')},
        ("cfn.yaml", 5, "Properties must be a mapping"),
    ),
    "cfn-roles-int": (
        {"cfn.yaml": _cfn("    Type: AWS::IAM::InstanceProfile\n    Properties: {Roles: 5}\n")},
        ("cfn.yaml", 5, "Properties.Roles must be a list"),
    ),
    "cfn-role-policies-int": (
        {"cfn.yaml": _cfn("    Type: AWS::IAM::Role\n    Properties: {Policies: 3}\n")},
        ("cfn.yaml", 5, "Properties.Policies must be a list"),
    ),
    "cfn-policy-document-nested-deep": (
        {
            "cfn.yaml": _cfn(
                f"    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: {DEEP_JSON}\n"
            )
        },
        ("cfn.yaml", 6, "PolicyDocument must be a policy document"),
    ),
    "iamconfig-extraStatements-int": (
        {
            "iam.yaml": "apiVersion: bootstrap.aws.infrastructure.cluster.x-k8s.io/v1beta1\n"
            "kind: AWSIAMConfiguration\nspec:\n  nodes: {extraStatements: 5}\n"
        },
        ("iam.yaml", 4, "spec.nodes.extraStatements must be a list"),
    ),
    "clusterctl-defaults-nested-500-deep": (
        {
            "v.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata:\n  a: "
            + '"'
            + "${A:-" * 500
            + "x"
            + "}" * 500
            + '"\n'
        },
        ("v.yaml", 5, "nested more than 50 levels deep"),
    ),
    **{
        f"metadata-{name}": (
            {
                "m.yaml": "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\n"
                f"kind: AWSMachineTemplate\n{meta}spec: {{template: {{spec: {{}}}}}}\n"
            },
            ("m.yaml", 3 if meta else 1, "metadata.name must be a non-empty string"),
        )
        for name, meta in [
            ("missing", ""),
            ("name-list", "metadata: {name: [a, b]}\n"),
            ("name-int", "metadata: {name: 12}\n"),
            ("name-empty", 'metadata: {name: ""}\n'),
        ]
    },
}


def _write(folder: Path, files: dict[str, str]) -> list[str]:
    out = []
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.append(str(path))
    return out


def _scan(*paths: str, strict: bool = False) -> tuple[int, dict[str, Any], str]:
    args = ["scan", *paths, "-f", "json", "--jobs", "1", *(["--strict"] if strict else [])]
    result = run(*args)
    assert_clean(result)
    assert "internal error" not in result.stderr, result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


def _found(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["check"], json.dumps(f["resource"], sort_keys=True)) for f in report["findings"]}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _write(tmp_path_factory.mktemp("good"), {"good.yaml": GOOD_TEXT})[0]


@pytest.fixture(scope="module")
def baseline(
    good: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[set[tuple[str, str]], int]:
    """The good file's findings alone, and the exit code of a scan beside an input error
    (a file that is not YAML)."""
    _, alone, _ = _scan(good)
    assert len(alone["findings"]) == 9
    broken = _write(tmp_path_factory.mktemp("broken"), {"bad.yaml": "a: [\n"})
    code, beside, _ = _scan(good, *broken)
    assert beside["summary"]["errors"] == 1
    return _found(alone), code


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_wrong_typed_field_is_a_located_problem_beside_good_findings(
    name: str, tmp_path: Path, good: str, baseline: tuple[set[tuple[str, str]], int]
) -> None:
    files, (where, line, words) = CASES[name]
    found, code = baseline
    exit_code, report, _ = _scan(good, *_write(tmp_path, files))
    assert found <= _found(report)
    located = [
        (e["path"], e["line"], e["message"])
        for e in report["errors"]
        if e["path"].endswith(where) and words in e["message"]
    ]
    assert located, report["errors"]
    assert located[0][1] == line, located
    assert report["summary"]["errors"] >= 1
    assert exit_code == code


@pytest.mark.parametrize("name", ["kustomization-patches-5", "roleRef-list", "cfn-roles-int"])
def test_with_strict_a_wrong_typed_field_is_exit_2(name: str, tmp_path: Path, good: str) -> None:
    files, _ = CASES[name]
    exit_code, report, _ = _scan(good, *_write(tmp_path, files), strict=True)
    assert exit_code == 2
    assert len(report["findings"]) >= 9


def test_deep_nesting_in_a_config_map_value_costs_nothing_else(
    tmp_path: Path, good: str, baseline: tuple[set[tuple[str, str]], int]
) -> None:
    """A value nested past PyYAML's recursion (read for the vSphere insecure flag) is no
    vSphere configuration: nothing is read from it, and nothing else is lost."""
    deep = "[" * 5000 + "]" * 5000
    text = f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: vs, namespace: a}}\ndata:\n  x: "{deep}"\n'
    _, report, _ = _scan(good, *_write(tmp_path, {"vs.yaml": text}))
    assert baseline[0] <= _found(report)


# -- backstops: an analysis meeting a shape it cannot read leaves that object out --------


def _raise_for(name: str, real: Any) -> Any:
    def fake(resource: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(resource, "name", None) == name:
            raise TypeError("a shape the boundary checks missed")
        return real(resource, *args, **kwargs)

    return fake


def test_rbac_analysis_leaves_out_a_binding_it_cannot_read(
    tmp_path: Path,
    good: str,
    monkeypatch: pytest.MonkeyPatch,
    baseline: tuple[set[tuple[str, str]], int],
) -> None:
    from capsa.capi import access

    monkeypatch.setattr(access, "_subjects", _raise_for("b", access._subjects))
    other = BINDING.replace("name: b}", "name: other}").replace("name: x,", "name: y,")
    paths = _write(tmp_path, {"rb.yaml": BINDING, "other.yaml": other})
    exit_code, report, _ = _scan(good, *paths)
    assert baseline[0] <= _found(report)
    (problem,) = [e for e in report["errors"] if "left out of the RBAC analysis" in e["message"]]
    assert problem["path"].endswith("rb.yaml") and problem["line"] == 1
    assert "ClusterRoleBinding/b has a field of a type capsa cannot read" in problem["message"]
    assert exit_code == baseline[1]


def test_topology_leaves_out_a_cluster_it_cannot_resolve(
    tmp_path: Path,
    good: str,
    monkeypatch: pytest.MonkeyPatch,
    baseline: tuple[set[tuple[str, str]], int],
) -> None:
    from capsa.capi import clusters

    real = clusters._build_view

    def fake(builder: Any, cluster: Any, *args: Any) -> Any:
        if cluster.name == "broken":
            raise AttributeError("a shape the boundary checks missed")
        return real(builder, cluster, *args)

    monkeypatch.setattr(clusters, "_build_view", fake)
    text = "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: broken}\n"
    _, report, _ = _scan(good, *_write(tmp_path, {"c.yaml": text}))
    assert baseline[0] <= _found(report)
    assert any(
        e["path"].endswith("c.yaml") and "left out of the topology" in e["message"]
        for e in report["errors"]
    ), report["errors"]


def test_cloud_facts_leave_out_a_template_they_cannot_read(
    tmp_path: Path,
    good: str,
    monkeypatch: pytest.MonkeyPatch,
    baseline: tuple[set[tuple[str, str]], int],
) -> None:
    from capsa.sources.aws import cloudformation

    def fake(resource: Any) -> Any:
        raise KeyError("a shape the boundary checks missed")

    monkeypatch.setattr(cloudformation, "facts_from_template", fake)
    text = _cfn("    Type: AWS::IAM::Role\n    Properties: {}\n")
    _, report, _ = _scan(good, *_write(tmp_path, {"cfn.yaml": text}))
    assert baseline[0] <= _found(report)
    assert any("left out of the cloud checks" in e["message"] for e in report["errors"])


# -- property: any field of a valid set given another type -----------------------------

VALID: list[dict[str, Any]] = list(
    yaml.safe_load_all(
        """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r, labels: {agg: "yes"}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [s]}]
aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: "yes"}}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: default}
roleRef: {kind: ClusterRole, name: r, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: ServiceAccount, name: x, namespace: default}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: default}
spec:
  template:
    spec:
      containers: [{name: c, image: registry.k8s.io/cluster-api/m:v1, command: [/manager]}]
---
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata: {name: crs, namespace: default}
spec:
  clusterSelector: {matchExpressions: [{key: env, operator: In, values: [x]}]}
  resources: [{kind: ConfigMap, name: cm}]
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: c, namespace: default, labels: {env: x}}
---
apiVersion: bootstrap.aws.infrastructure.cluster.x-k8s.io/v1beta1
kind: AWSIAMConfiguration
spec: {nodes: {extraStatements: [{Effect: Allow, Action: ["s3:*"], Resource: ["*"]}]}}
---
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  R:
    Type: AWS::IAM::Role
    Properties: {RoleName: r, Policies: [{PolicyName: p, PolicyDocument: {Statement: []}}]}
"""
    )
)
KUSTOMIZATION: dict[str, Any] = {
    "resources": ["a.yaml"],
    "patches": [{"path": "p.yaml"}],
    "configMapGenerator": [{"name": "g", "files": ["f.yaml"]}],
}
ODD = st.sampled_from([None, 5, 1.5, True, "", "x", [], {}, [None], [1, "a"], {"a": None}, [[]]])


def _paths(tree: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at] if at else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _paths(value, (*at, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            out += _paths(value, (*at, index))
    return out


def _set(tree: Any, at: tuple[Any, ...], value: Any) -> None:
    for step in at[:-1]:
        tree = tree[step]
    tree[at[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> list[Any]:
    """The valid set (and a kustomization) with one to three fields given another type."""
    docs: list[Any] = [copy.deepcopy(d) for d in VALID] + [copy.deepcopy(KUSTOMIZATION)]
    for _ in range(draw(st.integers(1, 3))):
        doc = draw(st.integers(0, len(docs) - 1))
        paths = [p for p in _paths(docs[doc]) if p[0] not in ("kind", "apiVersion")]
        if paths:
            _set(docs[doc], draw(st.sampled_from(paths)), draw(ODD))
    return docs


@bounded(12)
@given(docs=mutated())
def test_mutated_field_types_never_lose_the_good_findings(
    tmp_path_factory: pytest.TempPathFactory,
    good: str,
    baseline: tuple[set[tuple[str, str]], int],
    docs: list[Any],
) -> None:
    folder = tmp_path_factory.mktemp("mutated")
    files = {
        "set.yaml": yaml.safe_dump_all(docs[:-1]),
        "kustomization.yaml": yaml.safe_dump(docs[-1]),
    }
    _, report, _ = _scan(good, *_write(folder, files))
    assert baseline[0] <= _found(report)
