"""IAM files in git decide edges of the clusters whose machines name their instance
profile: a clusterawsadm-style CloudFormation template with the controllers' powers on
the control plane's role opens the edge a custom profile alone had closed."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cloud.iam_files import SUFFIX, iam_template

from capsa.graph.service import attack_paths, scan_manifests

FIXTURES = Path(__file__).parent / "fixtures"
TECHNIQUE = "control-plane-role-has-controller-policy"

# The role behind the fixture's control-plane profile (prod-control-plane), named as
# clusterawsadm names a control-plane role with namePrefix "prod-", may launch instances
# and pass them the controllers role.
ROLE = f"prod-control-plane{SUFFIX}"
TEMPLATE = iam_template(ROLE, profile="prod-control-plane")


def _statuses(paths: list[str]) -> dict[str, set[str]]:
    graph = attack_paths(scan_manifests(paths)).graph
    out: dict[str, set[str]] = {"open": set(), "blocked": set()}
    for edge in graph.edges:
        if edge.technique == TECHNIQUE:
            out.setdefault(edge.status, set()).update(r.resource for r in edge.refs)
    for blocked in graph.blocked:
        if blocked.technique == TECHNIQUE:
            out["blocked"].update(r.resource for r in blocked.refs)
    return {k: v for k, v in out.items() if v or k in ("open", "blocked")}


def test_a_template_naming_the_profile_decides_the_control_plane_edge(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "hardened", tmp_path / "cluster")
    alone = _statuses([str(tmp_path / "cluster")])
    # a custom profile (CAPSA-IDENT-004 passes): what it may do is not seen, edge closed
    assert alone["open"] == set()
    assert any("AWSMachineTemplate" in r for r in alone["blocked"])

    (tmp_path / "iam.yaml").write_text(TEMPLATE, encoding="utf-8")
    both = _statuses([str(tmp_path / "cluster"), str(tmp_path / "iam.yaml")])
    role = "arn:aws:iam::${AWS::AccountId}:role/prod-control-plane.cluster-api-provider-aws.sigs.k8s.io"
    assert both["open"] == {f"IAMRole {role}"}


def test_a_template_for_other_profiles_changes_nothing(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "hardened", tmp_path / "cluster")
    (tmp_path / "iam.yaml").write_text(
        iam_template(ROLE, profile="other"),
        encoding="utf-8",
    )
    found = _statuses([str(tmp_path / "cluster"), str(tmp_path / "iam.yaml")])
    assert found["open"] == set()
