"""`capsa scan` as a CI user drives it: selection (--check, --skip-check, --severity,
--skip-path), several outputs in one run, JUnit and Policy Reports, the messages around
missing and skipped inputs, and the project configuration file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from capsa.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "schemas" / "vendor"
runner = CliRunner()


def _scan(*args: str) -> Any:
    return runner.invoke(app, ["scan", *args])


def _checks(result: Any) -> set[str]:
    return {f["check"] for f in json.loads(result.stdout)["findings"]}


def test_check_and_skip_check_take_ids_and_globs(repo: Path) -> None:
    everything = _checks(_scan("clusters", "-f", "json", "--fail-on", "none"))
    assert {"CAPSA-IMDS-001", "CAPSA-IDENT-001"} <= everything
    only = _checks(_scan("clusters", "-f", "json", "--check", "capsa-imds-*"))
    assert only and all(c.startswith("CAPSA-IMDS-") for c in only)
    skipped = _checks(_scan("clusters", "-f", "json", "--skip-check", "CAPSA-IMDS-*"))
    assert "CAPSA-IDENT-001" in skipped and not any(c.startswith("CAPSA-IMDS") for c in skipped)
    typo = _scan("clusters", "--check", "CAPSA-IMSD-*")
    assert typo.exit_code == 2 and "'CAPSA-IMSD-*' names no check" in typo.stderr


def test_severity_hides_what_is_below_it_and_the_exit_code_follows(repo: Path) -> None:
    low = json.loads(_scan("clusters", "-f", "json", "--fail-on", "none").stdout)
    severities = {f["severity"] for f in low["findings"]}
    assert "high" in severities and severities - {"high", "critical"}
    high = _scan("clusters", "-f", "json", "--severity", "HIGH", "--fail-on", "low")
    shown = json.loads(high.stdout)["findings"]
    assert shown and {f["severity"] for f in shown} <= {"high", "critical"}
    assert high.exit_code == 1
    bad = _scan("clusters", "--severity", "urgent")
    assert bad.exit_code == 2 and "urgent" in bad.stderr


def test_skip_path_leaves_files_unread(repo: Path) -> None:
    kept = json.loads(_scan("clusters", "-f", "json", "--skip-path", "test").stdout)
    assert {f["location"]["path"] for f in kept["findings"]} == {"workers.yaml"}
    assert kept["summary"]["files"] == 1
    by_name = json.loads(_scan("clusters", "-f", "json", "--skip-path", "identity.yaml").stdout)
    assert by_name["summary"]["files"] == 1
    nothing = _scan("clusters", "--skip-path", "*")
    assert nothing.exit_code == 2 and "every file was skipped" in nothing.stderr


def test_several_outputs_in_one_run_and_a_summary_on_stderr(repo: Path) -> None:
    result = _scan("clusters", "-o", "out.sarif", "-o", "json:out.data", "-o", "-")
    assert result.exit_code == 1, result.output
    assert json.loads(Path("out.sarif").read_text())["version"] == "2.1.0"
    assert json.loads(Path("out.data").read_text())["kind"] == "ScanReport"
    assert "CAPSA-IMDS-001" in result.stdout  # the table, on the terminal
    [line] = [x for x in result.stderr.splitlines() if x.startswith("capsa:")]
    assert "open finding(s)" in line and "out.sarif (sarif)" in line and "out.data (json)" in line
    clash = _scan("clusters", "-o", "a.json", "-o", "a.json")
    assert clash.exit_code == 2 and "same place" in clash.stderr
    only_file = _scan("clusters", "-o", "only.json")
    assert only_file.stdout == "" and json.loads(Path("only.json").read_text())["findings"]


def test_junit_lists_failures_skips_and_passes(repo: Path) -> None:
    result = _scan("clusters", "-f", "junit", "--fail-on", "none")
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    imds = suites["CAPSA-IMDS-001"]
    [case] = imds.findall("testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert "workers.yaml" in (failure.text or "")
    total = sum(int(s.get("tests", "0")) for s in suites.values())
    assert int(root.get("tests", "0")) == total
    failures = sum(len(s.findall("testcase/failure")) for s in suites.values())
    assert (
        int(root.get("failures", "0"))
        == failures
        == len(json.loads(_scan("clusters", "-f", "json", "--fail-on", "none").stdout)["findings"])
    )


def _structural(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Keys the schema does not declare (the API server would prune them silently)."""
    problems: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                problems.append(f"{where}.{key}")
            elif key != "metadata":
                problems += _structural(item, schema["properties"][key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += _structural(item, schema["items"], f"{where}[{i}]")
    return problems


def test_policy_reports_validate_against_the_crd_schema(repo: Path) -> None:
    result = _scan("clusters", "-f", "policyreport", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    reports = list(yaml.safe_load_all(result.stdout))
    kinds = {(r["kind"], r["metadata"].get("namespace")) for r in reports}
    assert kinds == {("PolicyReport", "team-a"), ("ClusterPolicyReport", None)}
    for report in reports:
        assert report["apiVersion"] == "wgpolicyk8s.io/v1alpha2"
        schema = json.loads((VENDOR / f"wgpolicyk8s.io_v1alpha2_{report['kind']}.json").read_text())
        jsonschema.Draft7Validator(schema).validate(report)
        assert _structural(report, schema) == []
        results = report["results"]
        assert sum(report["summary"].values()) == len(results)
        for entry in results:
            namespace = entry["resources"][0].get("namespace")
            assert namespace == report["metadata"].get("namespace")
    namespaced = next(r for r in reports if r["kind"] == "PolicyReport")
    failed = [r for r in namespaced["results"] if r["result"] == "fail"]
    assert any(r["policy"] == "CAPSA-IMDS-001" and r["severity"] == "high" for r in failed)
    assert any(r["result"] == "pass" for r in namespaced["results"])


def test_a_missing_path_is_an_error_before_any_report(repo: Path) -> None:
    result = _scan("clusters", "nope/")
    assert result.exit_code == 2 and result.stdout == ""
    assert "error: nope/: no such file or directory" in result.stderr


def test_files_that_are_not_kubernetes_objects_are_notes(repo: Path) -> None:
    Path("clusters/values.yaml").write_text("replicas: 3\n")
    result = _scan("clusters", "-f", "json", "--strict", "--fail-on", "none")
    assert result.exit_code == 0, result.output  # a note is no input error, even --strict
    document = json.loads(result.stdout)
    assert document["errors"] == [] and document["notes"][0]["path"].endswith("values.yaml")
    assert "note: clusters/values.yaml:1: not a Kubernetes object" in result.stderr
    assert "error:" not in result.stderr


def test_an_unresolved_variable_is_named_as_the_cause(repo: Path) -> None:
    Path("clusters/cluster.yaml").write_text(
        "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\n"
        "metadata: {name: c1, namespace: team-a}\n"
        "spec:\n  topology:\n    class: ${CLUSTER_CLASS}\n    version: v1.31.0\n"
    )
    result = _scan("clusters", "--fail-on", "none")
    assert "ClusterClass '${CLUSTER_CLASS}' cannot be resolved" in result.stderr
    assert "the clusterctl variable CLUSTER_CLASS has no value" in result.stderr
    assert "__CAPSA_" not in result.output
    given = _scan("clusters", "--fail-on", "none", "--var", "CLUSTER_CLASS=aws")
    assert "ClusterClass 'aws' is not among the inputs" in given.stderr


# --- configuration ----------------------------------------------------------------------


def test_capsa_yaml_is_found_from_the_scanned_path_upwards(repo: Path) -> None:
    (repo / ".capsa.yaml").write_text(
        "failOn: critical\nskipChecks: [CAPSA-IDENT-*]\nskipPaths: [test]\n"
        "variables: {AWS_REGION: eu-west-1}\n"
    )
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    runner_cwd = Path.cwd()
    try:
        import os

        os.chdir(elsewhere)
        result = _scan(str(repo / "clusters"), "-f", "json")
    finally:
        os.chdir(runner_cwd)
    assert result.exit_code == 0, result.output  # failOn: critical
    assert "CAPSA-IDENT-001" not in _checks(result)
    assert json.loads(result.stdout)["summary"]["files"] == 1
    overridden = _scan("clusters", "-f", "json", "--fail-on", "high")
    assert overridden.exit_code == 1  # the command line wins


def test_pyproject_tool_capsa_and_config_show_provenance(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.capsa]\nfail-on = "medium"\n'
        'skip-checks = ["CAPSA-SSH-*"]\nvariables = { TOKEN = "s3cr3t-value" }\n'
    )
    shown = runner.invoke(app, ["config", "show", "clusters", "--fail-on", "LOW"])
    assert shown.exit_code == 0, shown.output
    lines = {line.split()[0]: line for line in shown.stdout.splitlines()[1:]}
    assert "low" in lines["failOn"] and "(command line)" in lines["failOn"]
    assert (
        "CAPSA-SSH-*" in lines["skipChecks"]
        and "pyproject.toml [tool.capsa]" in lines["skipChecks"]
    )
    assert "(default)" in lines["severity"]
    assert "TOKEN" in lines["variables"] and "s3cr3t-value" not in shown.stdout
    data = json.loads(runner.invoke(app, ["config", "show", "-f", "json"]).stdout)
    assert data["settings"]["failOn"] == {
        "value": "medium",
        "source": "pyproject.toml [tool.capsa]",
    }
    assert data["settings"]["variables"]["value"] == ["TOKEN"]


def test_a_wrong_key_in_the_config_file_names_file_and_line(repo: Path) -> None:
    (repo / ".capsa.yaml").write_text("failOn: high\nskipCheck: [CAPSA-SSH-001]\n")
    result = _scan("clusters")
    assert result.exit_code == 2
    assert ".capsa.yaml:2" in result.stderr and "skipCheck" in result.stderr
    assert "Traceback" not in result.output


SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


def _exfiltrating(repo: Path) -> Path:
    """A manifest whose name takes a variable, and a credential file outside the repo."""
    (repo / "clusters" / "named.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x-${AWS_SECRET_ACCESS_KEY}}\n"
    )
    outside = repo.parent / "outside"
    outside.mkdir()
    (outside / "creds.env").write_text(f"AWS_SECRET_ACCESS_KEY={SECRET}\n")
    return outside / "creds.env"


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ("varsFiles:\n- clusters/../../outside/creds.env\n", "lies outside"),
        ("varsFiles: [linked.env]\n", "lies outside"),  # a symlink out of the tree
        ("varsFiles: [.git/config]\n", "lies inside .git"),
        ("ignoreFile: ../outside/creds.env\n", "lies outside"),
        ("baseline: /etc/passwd\n", "lies outside"),
    ],
)
def test_a_config_file_may_not_name_a_file_outside_its_repository(
    repo: Path, config: str, why: str
) -> None:
    creds = _exfiltrating(repo)
    (repo / "linked.env").symlink_to(creds)
    (repo / ".git" / "config").write_text(f"AWS_SECRET_ACCESS_KEY={SECRET}\n")
    (repo / ".capsa.yaml").write_text("failOn: none\n" + config)
    for fmt in ("table", "sarif", "json"):
        result = _scan("clusters", "-f", fmt)
        assert result.exit_code == 2
        assert SECRET not in result.output
        key = config.split(":")[0]
        line = 3 if "\n-" in config else 2  # a block list's entry has its own line
        assert f".capsa.yaml:{line}: {key}: " in result.stderr and why in result.stderr
        assert "Give it on the command line instead" in result.stderr


def test_the_same_file_given_on_the_command_line_is_read(repo: Path) -> None:
    creds = _exfiltrating(repo)
    (repo / ".capsa.yaml").write_text("failOn: none\nvarsFiles: [clusters/../local.env]\n")
    (repo / "local.env").write_text("OTHER=1\n")
    result = _scan("clusters", "-f", "json", "--vars-file", str(creds))
    assert result.exit_code == 0, result.output
    assert SECRET in result.stdout  # the user's own choice, on the command line


def test_pyproject_paths_are_confined_too(repo: Path) -> None:
    _exfiltrating(repo)
    (repo / "pyproject.toml").write_text('[tool.capsa]\nvars-files = ["../outside/creds.env"]\n')
    result = _scan("clusters")
    assert result.exit_code == 2 and "varsFiles: ../outside/creds.env lies outside" in result.stderr


def test_a_copied_folder_scanned_from_elsewhere_is_unchanged(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locations are relative to the scan root: the same folder, copied to another place
    and scanned from another working directory, gives equal findings, and `diff` sees no
    change and no move."""
    first = json.loads(_scan(str(repo / "clusters"), "-f", "json", "--fail-on", "none").stdout)
    old = tmp_path / "old"
    assert (
        runner.invoke(app, ["-q", "assess", str(repo / "clusters"), "-o", str(old)]).exit_code == 0
    )
    copy = tmp_path / "elsewhere" / "manifests"
    shutil.copytree(repo / "clusters", copy)
    monkeypatch.chdir(tmp_path / "elsewhere")
    second = json.loads(_scan("manifests", "-f", "json", "--fail-on", "none").stdout)
    assert first["findings"]
    assert [(f["fingerprint"], f["location"]) for f in first["findings"]] == [
        (f["fingerprint"], f["location"]) for f in second["findings"]
    ]
    assert {f["location"]["path"] for f in second["findings"]} >= {"workers.yaml"}
    assert (first["root"], second["root"]) == ("clusters", "manifests")
    new = tmp_path / "new"
    assert runner.invoke(app, ["-q", "assess", "manifests", "-o", str(new)]).exit_code == 0
    arguments = [str(old / "assessment.json"), str(new / "assessment.json"), "-f", "json"]
    diff = runner.invoke(app, ["diff", *arguments, "--fail-on", "new"])
    assert diff.exit_code == 0, diff.output
    data = json.loads(diff.stdout)
    assert data["new"] == data["fixed"] == data["changed"] == data["moved"] == []


def test_a_moved_file_is_still_listed_as_moved(repo: Path, tmp_path: Path) -> None:
    """Inside the scan root a file that moves is a real move: diff says so, and no more."""
    old = tmp_path / "old"
    assert runner.invoke(app, ["-q", "assess", "clusters", "-o", str(old)]).exit_code == 0
    (repo / "clusters" / "prod").mkdir()
    (repo / "clusters" / "workers.yaml").rename(repo / "clusters" / "prod" / "workers.yaml")
    new = tmp_path / "new"
    assert runner.invoke(app, ["-q", "assess", "clusters", "-o", str(new)]).exit_code == 0
    arguments = [str(old / "assessment.json"), str(new / "assessment.json"), "-f", "json"]
    data = json.loads(runner.invoke(app, ["diff", *arguments]).stdout)
    assert data["new"] == data["fixed"] == []
    assert {(m["before"]["path"], m["after"]["path"]) for m in data["moved"]} == {
        ("workers.yaml", "prod/workers.yaml")
    }


def test_the_scan_root_of_files_and_of_several_paths(repo: Path) -> None:
    """One file: its folder; several paths: the deepest folder holding them all."""
    one = json.loads(_scan("clusters/workers.yaml", "-f", "json", "--fail-on", "none").stdout)
    assert one["root"] == "clusters"
    assert {f["location"]["path"] for f in one["findings"]} == {"workers.yaml"}
    both = _scan("clusters/workers.yaml", "clusters/test", "-f", "json", "--fail-on", "none")
    data = json.loads(both.stdout)
    assert data["root"] == "clusters"
    assert {f["location"]["path"] for f in data["findings"]} == {
        "workers.yaml",
        "test/identity.yaml",
    }
    table = _scan("clusters", "--fail-on", "none").stdout
    assert "Paths are relative to the scan root clusters/" in table


def test_scan_json_with_suppressions_matches_its_schema(repo: Path) -> None:
    """The suppression parts of the scan contract, filled: an applied and an expired one."""
    Path(".capsa-ignore.yaml").write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        "  - check: CAPSA-IMDS-001\n"
        "    resource: {kind: AWSMachineTemplate, namespace: team-a, name: workers}\n"
        "    reason: legacy AMI\n    expires: 2999-01-01\n    approver: sec@example.com\n"
        "  - check: CAPSA-IDENT-001\n    resource: {kind: AWSClusterControllerIdentity}\n"
        "    reason: old\n    expires: 2001-01-01\n    approver: sec@example.com\n"
    )
    document = json.loads(_scan("clusters", "-f", "json", "--fail-on", "none").stdout)
    suppressed = [f for f in document["findings"] if f["suppressed"]]
    assert suppressed and suppressed[0]["suppression"]["reason"] == "legacy AMI"
    assert document["suppressions"]["expired"][0]["check"] == "CAPSA-IDENT-001"
    schema = json.loads((ROOT / "schemas" / "scan-report.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
