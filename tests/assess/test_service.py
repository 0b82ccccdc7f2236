"""assess(): runs the stages in order and folds their output into one Assessment."""

from __future__ import annotations

from pathlib import Path

from assessment_factory import FIXED_TIME, finding
from fake_stages import Recorder

from capsa.assess.model import Assessment, DeploymentStatus
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess


def test_no_input_assesses_the_bundled_example() -> None:
    recorder = Recorder()
    steps: list[str] = []
    result = assess(AssessRequest(now=FIXED_TIME), recorder.stages(), steps.append)
    assert recorder.scanned == [["bundled-example"]]
    assert result.inputs.example is True
    assert steps == ["model", "threats", "scan", "paths", "repository", "assessment"]


def test_given_paths_are_scanned_instead() -> None:
    recorder = Recorder()
    result = assess(AssessRequest(paths=["a.yaml"], now=FIXED_TIME), recorder.stages())
    assert recorder.scanned == [["a.yaml"]]
    assert result.inputs.example is False


def test_statuses_summary_and_round_trip() -> None:
    result = assess(AssessRequest(now=FIXED_TIME), Recorder().stages())
    status = {t.id: t.deployment_status for t in result.threats}
    assert status == {
        "STRIDE-SPOOF-1": DeploymentStatus.VIOLATED,
        # its only check shows part of the mitigation
        "STRIDE-TAMPER-2": DeploymentStatus.PARTLY_VERIFIED,
        "STRIDE-DOS-5": DeploymentStatus.NOT_ASSESSABLE,
    }
    assert result.summary.findings_by_severity["high"] == 1
    assert result.summary.open_paths == 1 and result.summary.cut == ["STRIDE-SPOOF-1.M1"]
    assert result.summary.resources == 3
    assert {c.id: (c.passed, c.failed) for c in result.checks} == {
        "CAPSA-AWS-001": (0, 1),
        "CAPSA-IMG-001": (1, 0),
    }
    assert result.gaps == []  # the fake catalogue has no project-hygiene threat
    assert Assessment.model_validate_json(result.to_json()) == result


def test_variable_values_never_reach_the_assessment() -> None:
    request = AssessRequest(variables={"AWS_B64ENCODED_CREDENTIALS": "c2VjcmV0"}, now=FIXED_TIME)
    text = assess(request, Recorder().stages()).to_json()
    assert "AWS_B64ENCODED_CREDENTIALS" in text
    assert "c2VjcmV0" not in text


def test_suppressed_only_evidence_is_accepted() -> None:
    recorder = Recorder(findings=[finding(suppressed=True)])
    result = assess(AssessRequest(now=FIXED_TIME), recorder.stages())
    spoof = next(t for t in result.threats if t.id == "STRIDE-SPOOF-1")
    assert spoof.deployment_status is DeploymentStatus.ACCEPTED
    assert result.summary.suppressed == 1


OTHER_SYSTEM = (Path(__file__).parents[1] / "data" / "models" / "shop.yaml").read_text()


def test_a_model_of_another_system_is_not_judged_on_the_bundled_example(tmp_path: Path) -> None:
    """The example deploys Cluster API on AWS: evidence about that, not about this model."""
    model = tmp_path / "shop.yaml"
    model.write_text(OTHER_SYSTEM)
    result = assess(AssessRequest(model=str(model), now=FIXED_TIME))
    assert result.inputs.example is False and result.findings == [] and result.passes == []
    assert any("bundled example deploys Cluster API on AWS" in e.message for e in result.errors)
    assert result.summary.paths_not_searched == ["no deployment was scanned"]
    assert result.summary.cut_closes_every_path is False


def test_the_built_in_model_is_judged_on_the_bundled_example() -> None:
    result = assess(AssessRequest(now=FIXED_TIME))
    assert result.inputs.example is True and result.findings
    assert result.summary.paths_not_searched == []


def test_one_shared_id_does_not_make_a_model_about_the_example(tmp_path: Path) -> None:
    """An `internet` actor alone gives an entry point and no target."""
    from capsa.assess.service import describes_the_example
    from capsa.model.loader import load_model

    model = tmp_path / "shop.yaml"
    model.write_text(OTHER_SYSTEM + "  - {id: internet, name: Internet, type: actor}\n")
    assert not describes_the_example(load_model(str(model)))
    assert describes_the_example(load_model("builtin:capi-aws"))


def test_an_assessment_that_judged_nothing_says_so_to_a_gate_and_in_sarif(tmp_path: Path) -> None:
    import json

    from capsa.cli.assess_cmd import FailOn, exit_code
    from capsa.report.assessment_sarif import render_assessment_sarif

    model = tmp_path / "shop.yaml"
    model.write_text(OTHER_SYSTEM)
    result = assess(AssessRequest(model=str(model), now=FIXED_TIME))
    assert result.summary.judged_nothing
    assert exit_code(result, FailOn("none")) == 2
    (invocation,) = json.loads(render_assessment_sarif(result))["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "no check ran" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    example = assess(AssessRequest(now=FIXED_TIME))
    assert not example.summary.judged_nothing and exit_code(example, FailOn("none")) == 0
    (ran,) = json.loads(render_assessment_sarif(example))["runs"][0]["invocations"]
    assert ran["executionSuccessful"] is True
