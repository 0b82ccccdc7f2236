"""The assessment says when clusters run on providers the built-in AWS model does not
describe: their AWS attack steps are the model's assumptions, not read from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from capsa.assess.providers import AWS_MODEL, provider_note
from capsa.capi.clusters import ClusterView
from capsa.cli.main import app
from capsa.scan.service import ScanRequest, scan

CLUSTER = """apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {{name: {name}, namespace: team}}
spec:
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: {kind}
    name: {name}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: {kind}
metadata: {{name: {name}, namespace: team}}
spec: {{}}
"""


def _clusters(tmp_path: Path, *kinds: str) -> tuple[ClusterView, ...] | None:
    for n, kind in enumerate(kinds):
        (tmp_path / f"c{n}.yaml").write_text(CLUSTER.format(name=f"c{n}", kind=kind))
    request = ScanRequest(paths=[str(tmp_path)], keep_topology=False, keep_clusters=True)
    return scan(request).clusters


def test_clusters_on_another_provider_are_named_with_what_the_model_assumes(
    tmp_path: Path,
) -> None:
    note = provider_note(AWS_MODEL, _clusters(tmp_path, "AzureCluster", "AzureCluster"))
    assert note is not None
    assert note.startswith("no cluster runs on AWS (infrastructure: AzureCluster (2))")
    assert "instance metadata" in note and "--model" in note


def test_a_mix_counts_the_clusters_the_model_does_not_describe(tmp_path: Path) -> None:
    clusters = _clusters(tmp_path, "AWSCluster", "DockerCluster", "AWSManagedCluster")
    note = provider_note(AWS_MODEL, clusters)
    assert note is not None and note.startswith("1 of 3 clusters run on other providers")
    assert "DockerCluster (1)" in note


@pytest.mark.parametrize(
    ("model", "kinds"),
    [
        (AWS_MODEL, ("AWSCluster", "AWSManagedCluster", "ROSACluster")),
        ("my-model.yaml", ("AzureCluster",)),
        (AWS_MODEL, ()),
    ],
)
def test_nothing_is_said_on_aws_under_another_model_or_without_clusters(
    model: str, kinds: tuple[str, ...], tmp_path: Path
) -> None:
    assert provider_note(model, _clusters(tmp_path, *kinds)) is None


def test_the_assessment_says_it_first_in_every_report(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "c.yaml").write_text(CLUSTER.format(name="dev", kind="DockerCluster"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["assess", str(source), "-o", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code in (0, 1), result.output
    assert "no cluster runs on AWS" in " ".join(result.stdout.split())
    markdown = (out / "assessment.md").read_text()
    summary = markdown.split("## 2.")[0]
    assert "**Providers:** no cluster runs on AWS (infrastructure: DockerCluster (1))" in summary
    html = (out / "assessment.html").read_text()
    assert html.index('id="provider-note"') < html.index('class="counts"')
    assert '"providerNote": "no cluster runs on AWS' in (out / "assessment.json").read_text()


def test_a_kind_waiting_on_a_variable_or_no_infrastructure_is_said_never_named(
    tmp_path: Path,
) -> None:
    """A kind that is an unresolved variable might be AWSCluster: it is not counted as
    another provider, and capsa's marker is never shown; a cluster naming no
    infrastructure is counted apart."""
    clusters = _clusters(tmp_path, "AWSCluster", "${INFRA_KIND}")
    note = provider_note(AWS_MODEL, clusters)
    assert note is not None and note.startswith("1 of 2 clusters name no infrastructure")
    assert "__CAPSA_" not in note and "other providers" not in note
