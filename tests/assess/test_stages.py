"""The real stages' own logic: variables, display paths, and the example scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.assess.service import AssessRequest
from capsa.assess.stages import _variables, scan_stage, short_path
from capsa.errors import InputError
from capsa.examples import demo_path


def test_vars_file_is_overridden_by_var(tmp_path: Path) -> None:
    vars_file = tmp_path / "vars.yaml"
    vars_file.write_text("AWS_REGION: eu-west-1\nKUBERNETES_VERSION: v1.30.0\nEMPTY:\n")
    request = AssessRequest(vars_file=str(vars_file), variables={"AWS_REGION": "us-east-1"})
    assert _variables(request) == {
        "AWS_REGION": "us-east-1",
        "KUBERNETES_VERSION": "v1.30.0",
        "EMPTY": "",
    }


@pytest.mark.parametrize("text", ["- a\n- b\n", "key: [unclosed\n"])
def test_unusable_vars_file_is_an_input_error(tmp_path: Path, text: str) -> None:
    vars_file = tmp_path / "vars.yaml"
    vars_file.write_text(text)
    with pytest.raises(InputError) as caught:
        _variables(AssessRequest(vars_file=str(vars_file)))
    assert caught.value.problems[0].path == str(vars_file)


def test_short_path_is_relative_to_the_first_matching_root(tmp_path: Path) -> None:
    inside = tmp_path / "a" / "b.yaml"
    assert short_path(f"{inside}:3", [tmp_path]) == "a/b.yaml:3"
    assert short_path("/elsewhere/c.yaml", [tmp_path]) == "/elsewhere/c.yaml"
    assert short_path("cluster://kind-mgmt/api", [tmp_path]) == "cluster://kind-mgmt/api"


def test_example_scan_has_findings_passes_and_every_check(tmp_path: Path) -> None:
    stage = scan_stage(AssessRequest(), [str(demo_path())])
    assert stage.resources > 10
    assert stage.findings and stage.passes
    assert {f.check_id for f in stage.findings} <= {c.id for c in stage.checks}
    assert stage.raw is not None
