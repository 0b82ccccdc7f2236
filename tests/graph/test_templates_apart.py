"""Templates are not one cluster, and internal markers never reach a user.

A folder of unrelated clusterctl templates whose cluster name is the same unresolved
variable holds one cluster per file: evidence from one file never blocks or opens an
edge of the other. Whatever names an unresolved variable shows as `${NAME}` in every
output format, never as the marker capsa uses while scanning.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capsa.cli.main import app
from capsa.graph.deployment import from_topology
from capsa.graph.service import attack_paths, from_scan
from capsa.scan.service import ScanRequest, scan

TEMPLATES = Path(__file__).parent / "fixtures" / "templates"
MARKER = "__CAPSA_"


def test_each_template_file_is_a_cluster_of_its_own() -> None:
    result = scan(ScanRequest(paths=[str(TEMPLATES)]))
    assert result.topology is not None
    keys = [c.key for c in from_topology(result.topology).clusters]
    assert keys == ["default/${CLUSTER_NAME}@hardened.yaml", "default/${CLUSTER_NAME}@plain.yaml"]


def test_evidence_stays_with_the_file_it_came_from() -> None:
    """IMDS is locked down in hardened.yaml only: pods reach the instance role in the
    plain template's cluster, not in the hardened one."""
    found = attack_paths(from_scan(scan(ScanRequest(paths=[str(TEMPLATES)]))))
    graph = found.graph
    imds = {
        graph.nodes[e.source].cluster: e.status
        for e in graph.edges
        if e.technique == "pod-reaches-imds" and graph.nodes[e.source].pool == "control-plane"
    }
    assert imds == {"default/${CLUSTER_NAME}@plain.yaml": "open"}
    blocked = {b.source for b in graph.blocked if b.technique == "pod-reaches-imds"}
    assert blocked == {"default/${CLUSTER_NAME}@hardened.yaml/control-plane:pod-on-node"}


def test_clusters_of_one_identity_still_merge(tmp_path: Path) -> None:
    """Two files naming the same resolved cluster describe one cluster, not two."""
    text = (TEMPLATES / "plain.yaml").read_text().replace("${CLUSTER_NAME}", "prod")
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    result = scan(ScanRequest(paths=[str(tmp_path)]))
    assert result.topology is not None
    assert [c.key for c in from_topology(result.topology).clusters] == ["default/prod"]


def _outputs(tmp_path: Path) -> dict[str, str]:
    runner = CliRunner()
    target = str(TEMPLATES)
    out: dict[str, str] = {}
    for fmt in ("table", "json", "sarif", "md"):
        result = runner.invoke(app, ["scan", target, "--format", fmt], env={"COLUMNS": "300"})
        assert result.exit_code in (0, 1), result.output
        out[f"scan {fmt}"] = result.stdout
    for fmt in ("table", "json", "mermaid", "dot"):
        result = runner.invoke(
            app, ["paths", target, "--format", fmt, "--top", "2"], env={"COLUMNS": "300"}
        )
        assert result.exit_code == 0, result.output
        out[f"paths {fmt}"] = result.stdout
    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.service import assess
    from capsa.cli.assess_cmd import ReportFormat, render

    assessment = assess(AssessRequest(paths=[target], now=datetime(2024, 5, 1, tzinfo=UTC)))
    for fmt in ReportFormat:
        out[f"assess {fmt.value}"] = render(assessment, fmt)
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _outputs(tmp_path_factory.mktemp("outputs"))


@pytest.mark.parametrize(
    "name",
    [
        "scan table",
        "scan json",
        "scan sarif",
        "scan md",
        "paths table",
        "paths json",
        "paths mermaid",
        "paths dot",
        "assess md",
        "assess html",
        "assess sarif",
        "assess json",
    ],
)
def test_unresolved_names_show_as_variables_in_every_format(
    outputs: dict[str, str], name: str
) -> None:
    text = outputs[name]
    assert MARKER not in text, name
    if name.endswith(" md"):  # Markdown escapes `_`; a reader sees the name unescaped
        text = text.replace("\\_", "_")
    assert "${CLUSTER_NAME}" in text, name


def test_json_outputs_parse(outputs: dict[str, str]) -> None:
    for name in ("scan json", "scan sarif", "paths json", "assess json", "assess sarif"):
        json.loads(outputs[name])


def test_evidence_stays_with_its_file_when_cloud_facts_are_read(tmp_path: Path) -> None:
    """An IAM file in the input (offline cloud facts) adds cloud scopes; it must not undo
    the attribution of manifests' results to the file they came from."""
    from tests.cloud.iam_files import iam_template

    shutil.copytree(TEMPLATES, tmp_path / "templates")
    (tmp_path / "iam.yaml").write_text(iam_template("some-role"), encoding="utf-8")
    scanned = from_scan(scan(ScanRequest(paths=[str(tmp_path)])))
    assert scanned.deployment.scopes_at, "per-file placement was dropped"
    graph = attack_paths(scanned).graph
    imds = {
        graph.nodes[e.source].cluster: e.status
        for e in graph.edges
        if e.technique == "pod-reaches-imds" and graph.nodes[e.source].pool == "control-plane"
    }
    assert imds == {"default/${CLUSTER_NAME}@plain.yaml": "open"}


def test_two_templates_in_one_file_are_told_apart_by_line(tmp_path: Path) -> None:
    """No part of the path separates clusters of one file: their document lines do, and
    the key keeps the file's name alone, never its path from the root."""
    both = (
        (TEMPLATES / "plain.yaml").read_text() + "---\n" + (TEMPLATES / "hardened.yaml").read_text()
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "both.yaml").write_text(both)
    result = scan(ScanRequest(paths=[str(tmp_path)]))
    assert result.topology is not None
    keys = [c.key for c in from_topology(result.topology).clusters]
    assert len(keys) == 2 and len(set(keys)) == 2
    for key in keys:
        assert key.startswith("default/${CLUSTER_NAME}@") and "//" not in key
        assert "@both.yaml:" in key  # the file tells nothing apart: the line does
        assert key.rsplit(":", 1)[1].isdigit()
