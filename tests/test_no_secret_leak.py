"""No Secret value reaches any output: every command and format capsa has, run over Secrets
that carry canary values inline and inside ClusterResourceSet carriers (plain and base64,
`data` and `stringData`, a clusterctl variable substituted into a Secret), and checked
byte for byte — stdout, stderr and every file written."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capsa.cli.assess_cmd import OUTPUT_FILES
from capsa.cli.main import app

RUNNER = CliRunner()

CANARIES = (
    "CANARY-INLINE-DATA-4b1d0e",
    "CANARY-INLINE-STRING-9c1e77",
    "CANARY-CRS-DATA-INNER-51aa",
    "CANARY-CRS-STRING-INNER-2f",
    "CANARY-CONFIGMAP-CARRIED-8d",
    "CANARY-BROKEN-PAYLOAD-3e6c",
    "CANARY-VARIABLE-VALUE-7a0b",
    "CANARY-VSPHERE-CONF-PASSWORD-19be",
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _needles() -> list[str]:
    """Each canary, its base64 form, and the base64 of the payloads that carry it."""
    out = [*CANARIES, *(_b64(c) for c in CANARIES)]
    out += [_b64(_inner_secret("CANARY-CRS-DATA-INNER-51aa"))]
    return out


def _inner_secret(value: str) -> str:
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: carried\n  namespace: kube-system\n"
        f"stringData:\n  aws_secret_access_key: {value}\n"
        f"data:\n  token: {_b64(value)}\n"
    )


def _indent(text: str, by: int) -> str:
    pad = " " * by
    return "".join(pad + line + "\n" for line in text.splitlines())


def _manifests() -> str:
    """One Cluster with a ClusterResourceSet whose carriers hold Secrets, plus inline ones."""
    carried_in_data = _b64(_inner_secret("CANARY-CRS-DATA-INNER-51aa"))
    string_payload = _indent(_inner_secret("CANARY-CRS-STRING-INNER-2f"), 4)
    configmap_payload = _indent(_inner_secret("CANARY-CONFIGMAP-CARRIED-8d"), 4)
    broken = _indent(
        "apiVersion: v1\nkind: Secret\nstringData:\n\tkey: CANARY-BROKEN-PAYLOAD-3e6c : [\n", 4
    )
    return f"""apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {{name: leaky, namespace: team-s, labels: {{addons: leaky}}}}
spec:
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
    kind: AWSCluster
    name: leaky
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata: {{name: leaky, namespace: team-s}}
spec: {{region: eu-west-1}}
---
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata: {{name: leaky-addons, namespace: team-s}}
spec:
  clusterSelector: {{matchLabels: {{addons: leaky}}}}
  resources:
    - {{kind: Secret, name: carrier-data}}
    - {{kind: Secret, name: carrier-string}}
    - {{kind: ConfigMap, name: carrier-configmap}}
    - {{kind: Secret, name: carrier-broken}}
---
apiVersion: v1
kind: Secret
metadata: {{name: carrier-data, namespace: team-s}}
type: addons.cluster.x-k8s.io/resource-set
data:
  inner.yaml: {carried_in_data}
---
apiVersion: v1
kind: Secret
metadata: {{name: carrier-string, namespace: team-s}}
type: addons.cluster.x-k8s.io/resource-set
stringData:
  inner.yaml: |
{string_payload}---
apiVersion: v1
kind: ConfigMap
metadata: {{name: carrier-configmap, namespace: team-s}}
data:
  inner.yaml: |
{configmap_payload}---
apiVersion: v1
kind: Secret
metadata: {{name: carrier-broken, namespace: team-s}}
type: addons.cluster.x-k8s.io/resource-set
stringData:
  broken.yaml: |
{broken}---
apiVersion: v1
kind: Secret
metadata: {{name: inline, namespace: team-s}}
type: Opaque
data:
  password: {_b64("CANARY-INLINE-DATA-4b1d0e")}
stringData:
  credentials: |
    [default]
    aws_secret_access_key = CANARY-INLINE-STRING-9c1e77
  from-variable: ${{LEAKY_SECRET}}
---
apiVersion: v1
kind: Secret
metadata: {{name: vsphere-config, namespace: team-s}}
stringData:
  csi-vsphere.conf: |
    [Global]
    insecure-flag = "true"
    [VirtualCenter "vcenter.example.invalid"]
    password = "CANARY-VSPHERE-CONF-PASSWORD-19be"
"""


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaky")
    (root / "deployment.yaml").write_text(_manifests(), encoding="utf-8")
    return root


def _texts(out_dir: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        yield str(path), path.read_text(encoding="utf-8")


def _assert_clean(label: str, text: str) -> None:
    for needle in _needles():
        assert needle not in text, f"{label} leaks {needle}"


def _run(args: list[str], label: str) -> None:
    result = RUNNER.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), label
    assert result.exit_code in (0, 1), f"{label}: {result.output}"
    _assert_clean(f"{label} stdout", result.stdout)
    _assert_clean(f"{label} stderr", result.stderr)


VAR = ["--var", "LEAKY_SECRET=CANARY-VARIABLE-VALUE-7a0b"]


def test_the_fixture_really_carries_the_canaries(manifests: Path) -> None:
    """Guard: the needles are in the input, so their absence from outputs means something."""
    text = (manifests / "deployment.yaml").read_text()
    plain = [
        "CANARY-INLINE-STRING-9c1e77",
        "CANARY-CRS-STRING-INNER-2f",
        "CANARY-CONFIGMAP-CARRIED-8d",
        "CANARY-BROKEN-PAYLOAD-3e6c",
        "CANARY-VSPHERE-CONF-PASSWORD-19be",
    ]
    assert all(c in text for c in plain)
    assert _b64("CANARY-INLINE-DATA-4b1d0e") in text
    assert _b64(_inner_secret("CANARY-CRS-DATA-INNER-51aa")) in text


def test_the_carried_secrets_are_scanned(manifests: Path) -> None:
    """Every carrier's Secret is read as a resource and the broken one is reported (else the
    leak checks below would prove little)."""
    import json

    result = RUNNER.invoke(app, ["scan", str(manifests), "--format", "json", *VAR])
    doc = json.loads(result.stdout)
    carriers = {
        f["location"].get("carrier", "").split(":")[0]
        for f in doc["findings"]
        if f["resource"]["name"] == "carried"
    }
    assert carriers == {
        "Secret/team-s/carrier-data",
        "Secret/team-s/carrier-string",
        "ConfigMap/team-s/carrier-configmap",
    }
    assert any("carrier-broken" in e["message"] for e in doc["errors"])
    # the vSphere configuration's insecure flag was read (its password beside it never is)
    assert [f["resource"]["name"] for f in doc["findings"] if f["check"] == "CAPSA-VSP-003"] == [
        "vsphere-config"
    ]


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "md"])
def test_scan_outputs(manifests: Path, tmp_path: Path, fmt: str) -> None:
    _run(["scan", str(manifests), "--format", fmt, *VAR], f"scan {fmt}")
    out = tmp_path / f"scan.{fmt}"
    _run(["scan", str(manifests), "--format", fmt, "--output", str(out), *VAR], f"scan {fmt} -o")
    _assert_clean(str(out), out.read_text(encoding="utf-8"))


def test_assess_outputs_and_rerendering(manifests: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    _run(["assess", str(manifests), "--out", str(out), *VAR], "assess")
    written = dict(_texts(out))
    assert len(written) == len(OUTPUT_FILES) == 14  # md and html with their companions
    for path, text in written.items():
        _assert_clean(path, text)
    saved = str(out / "assessment.json")
    for fmt in ("md", "html", "sarif", "json"):
        _run(["report", "--from", saved, "--format", fmt], f"report {fmt}")
        again = tmp_path / "again" / fmt
        again.mkdir(parents=True)
        target = str(again / f"assessment.{fmt}")
        _run(["report", "--from", saved, "--format", fmt, "-o", target], f"report {fmt} -o")
        for path, text in _texts(again):  # the companions written beside it too
            _assert_clean(path, text)
    _run(["diff", saved, saved, "--format", "json"], "diff")


@pytest.mark.parametrize("fmt", ["table", "json", "mermaid", "dot"])
def test_paths_outputs(manifests: Path, fmt: str) -> None:
    _run(["paths", str(manifests), "--format", fmt], f"paths {fmt}")


def test_policy_export(tmp_path: Path) -> None:
    out = tmp_path / "policies"
    _run(["policy", "export", "-o", str(out)], "policy export")
    for path, text in _texts(out):
        _assert_clean(path, text)


BROKEN_KUBECONFIGS = {
    "unquoted": "    token: CANARY-KUBECONFIG-TOKEN-5d: x: [\n",
    "unterminated-quote": '    token: "CANARY-KUBECONFIG-TOKEN-5d\n',
}


@pytest.mark.parametrize("tail", BROKEN_KUBECONFIGS.values(), ids=list(BROKEN_KUBECONFIGS))
@pytest.mark.parametrize("command", [["scan", "--format", "json"], ["paths"]], ids=" ".join)
def test_broken_kubeconfig_is_reported_without_its_token(
    tmp_path: Path, tail: str, command: list[str]
) -> None:
    """PyYAML's error text quotes the offending line; a kubeconfig's line may be a token."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n" + tail)
    result = RUNNER.invoke(app, [*command, "--cluster", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 2
    assert "kubeconfig cannot be used: not valid YAML at line" in result.output
    assert "CANARY-KUBECONFIG-TOKEN-5d" not in result.output
