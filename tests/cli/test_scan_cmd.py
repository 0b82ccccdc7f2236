"""`capsa scan`, `capsa checks` and `capsa policy export` as a user runs them: exit codes,
formats, files written, and no tracebacks or secret values in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from cli_support import IMDS_OPEN
from typer.testing import CliRunner

from capsa.cli import scan_cmd
from capsa.cli.guard import SafeGroup

runner = CliRunner()

IMDSV1 = IMDS_OPEN
HARDENED = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: hardened, namespace: team-a}
spec:
  template:
    spec:
      instanceMetadataOptions: {httpTokens: "${TOKENS:=required}", httpPutResponseHopLimit: 1}
"""
SECRET_VALUE = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
SECRET = f"""apiVersion: v1
kind: Secret
metadata: {{name: cloud-credentials, namespace: team-a}}
type: Opaque
stringData:
  credentials: |
    [default]
    aws_secret_access_key = {SECRET_VALUE}
"""


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer(cls=SafeGroup, pretty_exceptions_enable=False)
    scan_cmd.register(root)
    return root


@pytest.fixture
def imds_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scan with the IMDS checks alone, so exit codes do not move as checks are added."""
    from capsa.checks.catalog import load_checks
    from capsa.scan import service

    only = [c for c in load_checks() if c.id.startswith("CAPSA-IMDS-")]
    monkeypatch.setattr(service, "load_checks", lambda: only)


def _imds(stdout: str) -> list[dict[str, object]]:
    return [f for f in json.loads(stdout)["findings"] if str(f["check"]).startswith("CAPSA-IMDS")]


def _file(tmp_path: Path, name: str, *docs: str) -> str:
    path = tmp_path / name
    path.write_text("---\n".join(docs), encoding="utf-8")
    return str(path)


@pytest.mark.usefixtures("imds_only")
def test_exit_codes_follow_fail_on(app: typer.Typer, tmp_path: Path) -> None:
    bad = _file(tmp_path, "bad.yaml", IMDSV1)
    assert runner.invoke(app, ["scan", bad]).exit_code == 1
    assert runner.invoke(app, ["scan", bad, "--fail-on", "critical"]).exit_code == 0
    good = _file(tmp_path, "good.yaml", HARDENED)
    clean = runner.invoke(app, ["scan", good])
    assert clean.exit_code == 0, clean.output
    assert "No open findings." in clean.stdout


def test_json_to_stdout_and_sarif_to_a_file(app: typer.Typer, tmp_path: Path) -> None:
    bad = _file(tmp_path, "bad.yaml", IMDSV1)
    result = runner.invoke(app, ["scan", bad, "--format", "json"])
    data = json.loads(result.stdout)
    assert data["schema"] == "capsa/v1"
    assert any(f["check"] == "CAPSA-IMDS-001" for f in data["findings"])
    out = tmp_path / "out.sarif"
    sarif = runner.invoke(app, ["scan", bad, "-f", "sarif", "-o", str(out)])
    assert sarif.exit_code == 1 and sarif.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    md = runner.invoke(app, ["scan", bad, "-f", "md"])
    assert md.stdout.startswith("# capsa scan")


@pytest.mark.usefixtures("imds_only")
def test_variables_and_usage_errors(app: typer.Typer, tmp_path: Path) -> None:
    templated = _file(tmp_path, "t.yaml", HARDENED)
    assert runner.invoke(app, ["scan", templated, "--var", "TOKENS=optional"]).exit_code == 1
    vars_file = tmp_path / "vars.env"
    vars_file.write_text("TOKENS=optional\n")
    assert runner.invoke(app, ["scan", templated, "--vars-file", str(vars_file)]).exit_code == 1
    assert runner.invoke(app, ["scan", templated]).exit_code == 0  # the default is required
    wrong = runner.invoke(app, ["scan", templated, "--var", "no-equals"])
    assert wrong.exit_code == 2 and "NAME=value" in wrong.output
    assert runner.invoke(app, ["scan", templated, "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["scan"]).exit_code == 2


@pytest.mark.usefixtures("imds_only")
def test_unusable_input_exits_2_only_when_strict_or_nothing_read(
    app: typer.Typer, tmp_path: Path
) -> None:
    good = _file(tmp_path, "good.yaml", HARDENED)
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: x\n\tspec: 1\n")
    lenient = runner.invoke(app, ["scan", good, str(broken), "-f", "json"])
    assert lenient.exit_code == 0
    assert f"{broken}:2" in lenient.stderr
    assert json.loads(lenient.stdout)["errors"][0]["line"] == 2
    assert runner.invoke(app, ["scan", good, str(broken), "--strict"]).exit_code == 2
    missing = runner.invoke(app, ["scan", str(tmp_path / "absent.yaml")])
    assert missing.exit_code == 2 and "absent.yaml: no such file or directory" in missing.stderr
    assert missing.stdout == ""  # no table saying "No open findings" before the error
    assert "Traceback" not in missing.output


def test_a_broken_ignore_file_is_a_usage_error_with_its_line(
    app: typer.Typer, tmp_path: Path
) -> None:
    bad = _file(tmp_path, "bad.yaml", IMDSV1)
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text("apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n- x\n")
    result = runner.invoke(app, ["scan", bad, "--ignore-file", str(ignore)])
    assert result.exit_code == 2
    assert f"{ignore}:4" in result.stderr and "Traceback" not in result.output


def test_the_ignore_file_in_the_current_directory_is_used(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _file(tmp_path, "bad.yaml", IMDSV1)
    (tmp_path / ".capsa-ignore.yaml").write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        "  - {check: CAPSA-IMDS-*, reason: lab, expires: 2999-01-01, approver: sec}\n"
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scan", bad, "-f", "json"])
    found = _imds(result.stdout)
    assert found and all(f["suppressed"] for f in found)


@pytest.mark.usefixtures("imds_only")
def test_baseline_hides_known_findings(app: typer.Typer, tmp_path: Path) -> None:
    bad = _file(tmp_path, "bad.yaml", IMDSV1)
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["scan", bad, "-f", "json", "-o", str(baseline)])
    again = runner.invoke(app, ["scan", bad, "-f", "json", "--baseline", str(baseline)])
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert _imds(again.stdout) == [] and data["summary"]["baseline"] >= 1


def test_stdin_is_read_with_a_dash(app: typer.Typer) -> None:
    result = runner.invoke(app, ["scan", "-", "-f", "json"], input=IMDSV1)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"][0]["location"]["path"] == "-"


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "md"])
def test_secret_values_never_reach_any_output(app: typer.Typer, tmp_path: Path, fmt: str) -> None:
    crs = """apiVersion: addons.cluster.x-k8s.io/v1beta2
kind: ClusterResourceSet
metadata: {name: creds, namespace: team-a}
spec:
  clusterSelector: {}
  resources: [{kind: Secret, name: cloud-credentials}]
"""
    path = _file(tmp_path, "crs.yaml", crs, SECRET, IMDSV1)
    result = runner.invoke(app, ["scan", path, "-f", fmt])
    assert result.exit_code in (0, 1), result.output
    assert SECRET_VALUE not in result.output


def test_checks_list_and_show(app: typer.Typer) -> None:
    listed = runner.invoke(app, ["checks", "list", "--format", "json"])
    assert listed.exit_code == 0
    document = json.loads(listed.stdout)
    assert (document["schema"], document["kind"]) == ("capsa/v1", "CheckList")
    checks = {c["id"]: c for c in document["checks"]}
    imds = checks["CAPSA-IMDS-001"]
    assert imds["severity"] == "high" and imds["exportable"] is True
    assert [v["name"] for v in imds["variables"]] == ["machineSpec"]
    table = runner.invoke(app, ["checks", "list"])
    assert table.exit_code == 0 and "CAPSA-IMDS-001" in table.stdout
    shown = runner.invoke(app, ["checks", "show", "capsa-imds-001"])
    assert shown.exit_code == 0
    assert "mitigation:  STRIDE-SPOOF-1.M5" in shown.stdout
    assert "httpTokens" in shown.stdout
    assert "variables.machineSpec = object.?spec" in shown.stdout
    # when the manifests cannot decide (a pool CAPA leaves to the AMI and the account)
    assert "undecided from manifests when:" in shown.stdout
    assert "AWSManagedMachinePool" in shown.stdout
    by_default = runner.invoke(app, ["checks", "show", "CAPSA-IMDS-002"])
    assert "passes by default when:" in by_default.stdout
    assert "CAPA sets httpPutResponseHopLimit 1" in by_default.stdout
    applies = runner.invoke(app, ["checks", "show", "CAPSA-RBAC-001"])
    assert "applies when (otherwise not applicable):" in applies.stdout
    unknown = runner.invoke(app, ["checks", "show", "CAPSA-IMDS-01"])
    assert unknown.exit_code == 2 and "did you mean CAPSA-IMDS-001" in unknown.stderr


def test_policy_export_writes_a_policy_and_binding_per_object_check(
    app: typer.Typer, tmp_path: Path
) -> None:
    out = tmp_path / "policies"
    result = runner.invoke(app, ["policy", "export", "-o", str(out), "--action", "Warn"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert "capsa-imds-001.yaml" in written
    policy, binding = yaml.safe_load_all((out / "capsa-imds-001.yaml").read_text())
    assert policy["kind"] == "ValidatingAdmissionPolicy"
    assert binding["spec"] == {"policyName": "capsa-imds-001", "validationActions": ["Warn"]}
    listed = json.loads(runner.invoke(app, ["checks", "list", "-f", "json"]).stdout)["checks"]
    topology = [c["id"] for c in listed if c["scope"] == "topology"]
    for check_id in topology:
        assert f"{check_id.lower()}.yaml" not in written
        assert f"skipped: {check_id}" in result.stderr
    assert f"wrote {len(written)} policy file(s)" in result.stdout


def test_policy_export_of_one_check_and_an_unknown_one(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "one"
    one = runner.invoke(app, ["policy", "export", "-o", str(out), "--check", "CAPSA-IMDS-001"])
    assert one.exit_code == 0 and [p.name for p in out.iterdir()] == ["capsa-imds-001.yaml"]
    bad = runner.invoke(app, ["policy", "export", "-o", str(out), "--check", "CAPSA-NOPE-001"])
    assert bad.exit_code == 2 and "CAPSA-NOPE-001" in bad.stderr


def test_an_internal_failure_is_a_message_not_a_traceback(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from capsa.scan import service as scan_service

    def broken(request: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scan_service, "scan", broken)
    result = runner.invoke(app, ["scan", _file(tmp_path, "m.yaml", IMDSV1)])
    assert result.exit_code == 2
    assert "internal error (RuntimeError)" in result.stderr
    assert "Traceback" not in result.output
