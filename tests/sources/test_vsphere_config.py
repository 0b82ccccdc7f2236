"""The vSphere insecure flag is the one value capsa reads from a cloud-provider or CSI
configuration: firing and silent shapes, undecided when a variable holds it, and no
other value of the Secret in any output."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from capsa.cli.main import app
from capsa.scan.service import ScanRequest, scan
from capsa.sources.vsphere_config import InsecureFlag, insecure_flag

PASSWORD = "CANARY-VSPHERE-PASSWORD-6f2d91"
USER = "CANARY-VSPHERE-USER-0c4e"

INI_INSECURE = f"""[Global]
insecure-flag = "true"
thumbprint = "12:34"

[VirtualCenter "vcenter.example.invalid"]
user = "{USER}"
password = "{PASSWORD}"
"""


@pytest.mark.parametrize(
    ("text", "insecure"),
    [
        ('[Global]\ninsecure-flag = "true"\n', True),
        ("[Global]\ninsecure-flag = 1 ; comment\n", True),
        ("[GLOBAL]\nInsecure-Flag = yes\n", True),
        ('[VirtualCenter "vc"]\ninsecure-flag\n', True),
        ('[Global]\ninsecure-flag = "false"\n[VirtualCenter "vc"]\ninsecure-flag = on\n', True),
        ('[Global]\nthumbprint = "12:34"\n', False),
        ('[Global]\ninsecure-flag = "false"\n', False),
        ("[Global]\ninsecure-flag = maybe\n", False),  # gcfg refuses: nothing starts
        ("global:\n  insecureFlag: true\n", True),
        ("vcenter:\n  vc:\n    insecureFlag: true\n", True),
        ("global: {insecureFlag: false}\nvcenter:\n  vc: {insecureFlag: false}\n", False),
        ("global:\n  insecureFlag: 'true'\n", False),  # a string is no YAML bool
    ],
)
def test_the_flag_in_ini_and_yaml(text: str, insecure: bool) -> None:
    assert insecure_flag(text) == InsecureFlag(insecure)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        "[server]\ninsecure-flag = true\n",  # no vSphere section
        # the AWS cloud provider's config shares the [Global] name, not vSphere's keys
        "[Global]\nZone = eu-west-1a\nKubernetesClusterTag = prod\n",
        "global:\n  zone: eu-west-1a\n",
        # manifests that carry a configuration are not themselves one
        'apiVersion: v1\nkind: ConfigMap\ndata:\n  c: |\n    [VirtualCenter "vc"]\n',
        "just text",
        "a: *unknown\n",
    ],
)
def test_other_text_is_no_vsphere_configuration(text: str) -> None:
    assert insecure_flag(text) is None


def test_an_unresolved_flag_names_its_variable() -> None:
    flag = insecure_flag('[Global]\ninsecure-flag = "__CAPSA_UNRESOLVED_VSPHERE_INSECURE__"\n')
    assert flag == InsecureFlag(False, ("VSPHERE_INSECURE",))


@given(st.text(max_size=400))
def test_nothing_but_a_yes_no_and_variable_names_leaves_the_parser(text: str) -> None:
    flag = insecure_flag(text)
    assert flag is None or isinstance(flag.insecure, bool)
    if flag is not None:
        assert all(f"__CAPSA_UNRESOLVED_{name}__" in text for name in flag.waits_for)


def _secret(name: str, conf: str, *, encoded: bool = False) -> str:
    if encoded:
        value = base64.b64encode(conf.encode()).decode()
        return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}}}\ndata:\n  csi-vsphere.conf: {value}\n"
    body = "".join(f"    {line}\n" for line in conf.splitlines())
    return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}}}\nstringData:\n  csi-vsphere.conf: |\n{body}"


def _outcomes(path: Path, *extra: str) -> dict[str, list[str]]:
    result = scan(ScanRequest(paths=[str(path)]))
    pick = [f.resource.name for f in result.findings if f.check_id == "CAPSA-VSP-003"]
    unknown = [u.reason or "" for u in result.unknown if u.check_id == "CAPSA-VSP-003"]
    passes = [p.resource.name for p in result.passes if p.check_id == "CAPSA-VSP-003"]
    return {"fires": pick, "unknown": unknown, "passes": passes}


def test_a_base64_secret_value_is_read(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(_secret("csi", INI_INSECURE, encoded=True))
    assert _outcomes(tmp_path)["fires"] == ["csi"]


def test_a_flag_waiting_for_a_variable_is_unknown_and_says_which(tmp_path: Path) -> None:
    conf = '[Global]\ninsecure-flag = "${VSPHERE_INSECURE}"\n'
    (tmp_path / "s.yaml").write_text(_secret("csi", conf))
    got = _outcomes(tmp_path)
    assert got["fires"] == [] and got["passes"] == []
    (reason,) = got["unknown"]
    assert "--var VSPHERE_INSECURE=..." in reason


def test_the_variable_set_decides(tmp_path: Path) -> None:
    conf = '[Global]\ninsecure-flag = "${VSPHERE_INSECURE}"\n'
    (tmp_path / "s.yaml").write_text(_secret("csi", conf))
    result = scan(ScanRequest(paths=[str(tmp_path)], variables={"VSPHERE_INSECURE": "true"}))
    assert [f.resource.name for f in result.findings if f.check_id == "CAPSA-VSP-003"] == ["csi"]


def _carried(conf: str) -> str:
    """CAPV's template shape: a resource-set Secret carrying the CSI Secret."""
    inner = _secret("vsphere-config-secret", conf)
    inner = inner.replace(
        "metadata: {name: vsphere-config-secret}",
        "metadata: {name: vsphere-config-secret, namespace: vmware-system-csi}",
    )
    payload = "".join(f"    {line}\n" for line in inner.splitlines())
    return (
        "apiVersion: addons.cluster.x-k8s.io/v1beta1\nkind: ClusterResourceSet\n"
        "metadata: {name: crs, namespace: team-a}\n"
        "spec:\n  clusterSelector: {matchLabels: {csi: vsphere}}\n"
        "  resources: [{kind: Secret, name: vsphere-config-secret}]\n---\n"
        "apiVersion: v1\nkind: Secret\n"
        "metadata: {name: vsphere-config-secret, namespace: team-a}\n"
        "type: addons.cluster.x-k8s.io/resource-set\nstringData:\n  data: |-\n" + payload
    )


def test_a_configuration_carried_by_a_resource_set_is_read(tmp_path: Path) -> None:
    (tmp_path / "crs.yaml").write_text(_carried(INI_INSECURE))
    result = scan(ScanRequest(paths=[str(tmp_path)]))
    (finding,) = [f for f in result.findings if f.check_id == "CAPSA-VSP-003"]
    assert finding.resource.namespace == "vmware-system-csi"
    assert finding.location.carrier == "Secret/team-a/vsphere-config-secret:data"


def test_capv_template_shape_without_the_flag_passes(tmp_path: Path) -> None:
    conf = '[Global]\nthumbprint = "12:34"\n\n[VirtualCenter "vc"]\npassword = "x"\n'
    (tmp_path / "crs.yaml").write_text(_carried(conf))
    got = _outcomes(tmp_path)
    assert got["fires"] == [] and got["passes"] == ["vsphere-config-secret"]


RUNNER = CliRunner()


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_no_value_beside_the_flag_reaches_any_output(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "plain.yaml").write_text(_secret("csi-plain", INI_INSECURE))
    (tmp_path / "encoded.yaml").write_text(_secret("csi-encoded", INI_INSECURE, encoded=True))
    (tmp_path / "crs.yaml").write_text(_carried(INI_INSECURE))
    assert PASSWORD in (tmp_path / "plain.yaml").read_text()  # the canary is really there
    out = tmp_path / f"out.{fmt}"
    for args in (
        ["scan", str(tmp_path), "--format", fmt],
        ["scan", str(tmp_path), "--format", fmt, "--output", str(out)],
    ):
        result = RUNNER.invoke(app, args)
        assert result.exit_code == 1, result.output  # the flag fires
        for text in (result.stdout, result.stderr):
            assert PASSWORD not in text and USER not in text
    written = out.read_text(encoding="utf-8")
    assert PASSWORD not in written and USER not in written
    assert "CAPSA-VSP-003" in written
    if fmt == "json":
        fired = [f for f in json.loads(written)["findings"] if f["check"] == "CAPSA-VSP-003"]
        assert len(fired) == 3


def _nested(levels: int, leaf: str) -> str:
    """A YAML configuration whose flag sits `levels` mappings deep."""
    return "".join(f"{'  ' * i}l{i}:\n" for i in range(levels)) + "  " * levels + leaf + "\n"


def test_a_configuration_too_deep_to_read_is_unknown_not_passed(tmp_path: Path) -> None:
    """capsa refuses to build it (`yamlio.refusal`); naming the flag, it is undecided."""
    deep = "global:\n  insecureFlag: false\n" + _nested(250, "insecureFlag: true")
    assert insecure_flag(deep) == InsecureFlag(False, unreadable=True)
    (tmp_path / "s.yaml").write_text(_secret("csi", deep))
    got = _outcomes(tmp_path)
    assert got["fires"] == [] and got["passes"] == []
    (reason,) = got["unknown"]
    assert "nests too deeply" in reason and "check its insecure flag by hand" in reason


def test_a_deep_text_that_never_names_the_flag_is_no_configuration() -> None:
    assert insecure_flag(_nested(250, "value: 1")) is None


def test_a_deep_text_naming_the_flag_only_in_a_comment_is_no_configuration() -> None:
    """Only the flag written as a key makes an unreadable text undecided."""
    assert insecure_flag("# insecureFlag: true\n" + _nested(250, "value: 1")) is None
    assert insecure_flag("note: insecure-flag = 1\n" + _nested(250, "value: 1")) is None


@pytest.mark.parametrize("value", ["!!int abc", "!!timestamp 2024-02-30", "!!float x"])
def test_a_flag_beside_a_value_its_tag_cannot_hold_is_unknown_not_an_error(
    tmp_path: Path, value: str
) -> None:
    """Building such a value raised out of the parser and stopped the scan."""
    conf = f"global:\n  insecureFlag: true\n  thumbprint: {value}\n"
    assert insecure_flag(conf) == InsecureFlag(False, unreadable=True)
    (tmp_path / "s.yaml").write_text(_secret("csi", conf))
    got = _outcomes(tmp_path)
    assert got["fires"] == [] and got["passes"] == [] and len(got["unknown"]) == 1
