"""capsa assess / report / diff through typer's runner, with crafted pipeline stages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assessment_factory import finding
from fake_stages import Recorder
from typer.testing import CliRunner

import capsa.assess.service
from capsa.cli.assess_cmd import FILE_OF, OUTPUT_FILES, ReportFormat, app, files_of

runner = CliRunner()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(capsa.assess.service, "default_stages", recorder.stages)
    return recorder


def _assess(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "report"
    result = runner.invoke(app, ["assess", "-o", str(out), *args])
    return result.exit_code, result.output, out


def test_assess_writes_four_files_and_a_summary(tmp_path: Path, fake: Recorder) -> None:
    code, output, out = _assess(tmp_path)
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert len(OUTPUT_FILES) == 14  # md and html: the main report and five companions each
    assert "open attack paths" in output and "STRIDE-SPOOF-1.M1" in output
    assert "+ companions: threats, paths, findings, system, fmea" in output
    data = json.loads((out / "assessment.json").read_text())
    assert data["schema"] == "capsa/v1" and data["inputs"]["example"] is True


def test_fail_on_threshold_sets_exit_code(tmp_path: Path, fake: Recorder) -> None:
    assert _assess(tmp_path, "--fail-on", "high")[0] == 1
    assert _assess(tmp_path, "--fail-on", "critical")[0] == 0


def test_suppressed_findings_do_not_fail_the_run(tmp_path: Path, fake: Recorder) -> None:
    fake.findings = [finding(suppressed=True)]
    assert _assess(tmp_path, "--fail-on", "low")[0] == 0


def test_var_values_are_passed_on_but_malformed_ones_exit_2(tmp_path: Path, fake: Recorder) -> None:
    code, _, _ = _assess(tmp_path, "--var", "AWS_REGION=eu-west-1", "--var", "X=a=b")
    assert code == 0
    assert dict(fake.requests[-1].variables) == {"AWS_REGION": "eu-west-1", "X": "a=b"}
    assert _assess(tmp_path, "--var", "no-equals")[0] == 2


def test_kubeconfig_without_cluster_is_a_usage_error(tmp_path: Path, fake: Recorder) -> None:
    assert _assess(tmp_path, "--context", "kind-mgmt")[0] == 2


def test_report_from_json_re_renders_identically(tmp_path: Path, fake: Recorder) -> None:
    _, _, out = _assess(tmp_path)
    source = str(out / "assessment.json")
    again = tmp_path / "again"
    again.mkdir()
    for fmt in ReportFormat:
        name = FILE_OF[fmt]
        result = runner.invoke(
            app, ["report", "--from", source, "--format", fmt.value, "-o", str(again / name)]
        )
        assert result.exit_code == 0, result.output
        for written in files_of(fmt):  # the main report and its companions, beside it
            assert (again / written).read_text() == (out / written).read_text(), written
    assert sorted(p.name for p in again.iterdir()) == sorted(OUTPUT_FILES)


def test_report_names_companions_after_its_file(tmp_path: Path, fake: Recorder) -> None:
    _, _, out = _assess(tmp_path)
    target = tmp_path / "audit.md"
    result = runner.invoke(
        app, ["report", "--from", str(out / "assessment.json"), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("audit*")) == sorted(
        files_of(ReportFormat.MD, "audit")
    )
    assert "](audit-threats.md#threat-" in target.read_text()
    shown = runner.invoke(app, ["report", "--from", str(out / "assessment.json")])
    assert shown.exit_code == 0 and shown.stdout == (out / "assessment.md").read_text()
    assert "write it with -o FILE to get them beside it" in shown.stderr


def test_report_rejects_a_file_that_is_not_an_assessment(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "capsa/v1", "kind": "Findings"}')
    result = runner.invoke(app, ["report", "--from", str(bad)])
    assert result.exit_code == 2
    missing = runner.invoke(app, ["report", "--from", str(tmp_path / "none.json")])
    assert missing.exit_code == 2


def test_diff_lists_new_fixed_and_status_changes(tmp_path: Path, fake: Recorder) -> None:
    _, _, old = _assess(tmp_path / "old")
    fake.findings = [
        finding(fingerprint="c" * 64, check_id="CAPSA-IMG-001", mitigation="STRIDE-TAMPER-2.M1")
    ]
    _, _, new = _assess(tmp_path / "new")
    args = ["diff", str(old / "assessment.json"), str(new / "assessment.json")]
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert [f["fingerprint"] for f in data["new"]] == ["c" * 64]
    assert [f["fingerprint"] for f in data["fixed"]] == ["f" * 64]
    changes = {(c["kind"], c["id"]): c["new"] for c in data["statusChanges"]}
    assert changes[("threat", "STRIDE-TAMPER-2")] == "violated"
    table = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert table.exit_code == 0 and "fixed" in table.output and "new" in table.output
    assert "…" not in table.output, "at 80 columns no id or location is cut"
    assert max(len(line) for line in table.output.splitlines()) <= 80
    same = runner.invoke(app, ["diff", str(old / "assessment.json"), str(old / "assessment.json")])
    assert "no difference" in same.output


def test_report_from_a_scan_json_says_what_it_expected(tmp_path: Path) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text('{"schema": "capsa/v1", "kind": "ScanReport", "findings": [], "summary": {}}')
    result = runner.invoke(app, ["report", "--from", str(scan)])
    assert result.exit_code == 2
    assert "this is a capsa ScanReport, expected an assessment.json" in result.stderr
    assert "output of `capsa scan`: run `capsa assess`" in result.stderr


def test_diff_fail_on_new_gates_on_new_open_findings(tmp_path: Path, fake: Recorder) -> None:
    _, _, old = _assess(tmp_path / "old")
    args = ["diff", str(old / "assessment.json")]
    same = runner.invoke(app, [*args, str(old / "assessment.json"), "--fail-on", "new"])
    assert same.exit_code == 0, same.output
    fake.findings = [
        finding(fingerprint="c" * 64, check_id="CAPSA-IMG-001", mitigation="STRIDE-TAMPER-2.M1")
    ]
    _, _, new = _assess(tmp_path / "new")
    later = [*args, str(new / "assessment.json")]
    assert runner.invoke(app, [*later, "--fail-on", "NEW"]).exit_code == 1
    assert runner.invoke(app, [*later]).exit_code == 0  # default: none
    assert runner.invoke(app, [*later, "--fail-on", "critical"]).exit_code == 0
    assert runner.invoke(app, [*later, "--fail-on", "low"]).exit_code == 1


def test_assess_formats_chooses_the_reports_written(tmp_path: Path, fake: Recorder) -> None:
    code, output, out = _assess(tmp_path, "--formats", "SARIF,json")
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == ["assessment.json", "results.sarif"]
    code, output, html = _assess(tmp_path / "html", "--formats", "html")
    assert code == 0, output
    assert sorted(p.name for p in html.iterdir()) == sorted(files_of(ReportFormat.HTML))
    bad = runner.invoke(app, ["assess", "-o", str(tmp_path / "x"), "--formats", "pdf"])
    assert bad.exit_code == 2 and "'pdf' is not one of md, html, sarif, json" in bad.stderr
