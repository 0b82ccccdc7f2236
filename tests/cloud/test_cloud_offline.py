"""IAM findings from git alone: clusterawsadm's AWSIAMConfiguration and the CloudFormation
template it writes are read as manifests, each finding at the file and line to edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cloud.iam_files import SUFFIX, iam_template

from capsa.scan.service import ScanRequest, scan
from capsa.sources.aws import policydoc

CORPUS = (
    Path(__file__).resolve().parents[2]
    / "../shared/corpus/cluster-api-provider-aws/cmd__clusterawsadm__cloudformation__bootstrap__fixtures__default.yaml"
)
TEMPLATE = iam_template(f"control-plane{SUFFIX}", policy="managed")


CONFIG = """\
apiVersion: bootstrap.aws.infrastructure.cluster.x-k8s.io/v1beta1
kind: AWSIAMConfiguration
spec:
{spec}
"""


def _findings(path: Path) -> dict[str, list[tuple[str, str]]]:
    result = scan(ScanRequest(paths=(str(path),)))
    out: dict[str, list[tuple[str, str]]] = {}
    for f in result.findings:
        out.setdefault(f.check_id, []).append(
            (f.resource.name.rsplit("/", 1)[-1], f.location.label)
        )
    return out


def test_cloudformation_template_in_a_scan(tmp_path: Path) -> None:
    path = tmp_path / "bootstrap.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    found = _findings(path)
    # the control-plane role (line 3 of the template) carries the controllers' powers
    assert found["CAPSA-AWS-001"] == [(f"control-plane{SUFFIX}", f"{path}:3")]
    result = scan(ScanRequest(paths=(str(path),)))
    assert result.errors == ()
    assert [f.source for f in result.cloud_sources] == [f"CloudFormation template {path}"]


def test_without_the_attachment_nothing_fires(tmp_path: Path) -> None:
    path = tmp_path / "bootstrap.yaml"
    text = iam_template(f"control-plane{SUFFIX}", policy="managed", attached=False)
    path.write_text(text, encoding="utf-8")
    result = scan(ScanRequest(paths=(str(path),)))
    assert not [f for f in result.findings if f.check_id == "CAPSA-AWS-001"]
    assert [p.check_id for p in result.passes if p.check_id == "CAPSA-AWS-001"] == ["CAPSA-AWS-001"]


@pytest.mark.skipif(not CORPUS.is_file(), reason="shared corpus not present")
def test_clusterawsadm_default_fixture_from_the_corpus() -> None:
    found = _findings(CORPUS)
    assert [r for r, _ in found["CAPSA-AWS-001"]] == [f"control-plane{SUFFIX}"]
    assert sorted(r for r, _ in found["CAPSA-AWS-002"]) == [
        f"control-plane{SUFFIX}",
        f"nodes{SUFFIX}",
    ]
    # clusterawsadm's PassRole on role/*<suffix> lets the control plane (which carries the
    # controllers policy) pass the controllers role; the controllers role passing itself
    # gains nothing and is not reported
    assert [r for r, _ in found["CAPSA-AWS-004"]] == [f"control-plane{SUFFIX}"]


def test_awsiamconfiguration_defaults(tmp_path: Path) -> None:
    path = tmp_path / "iam.yaml"
    path.write_text(CONFIG.format(spec="  namePrefix: ''"), encoding="utf-8")
    found = _findings(path)
    assert [r for r, _ in found["CAPSA-AWS-001"]] == [f"control-plane{SUFFIX}"]
    assert sorted(r for r, _ in found["CAPSA-AWS-002"]) == [
        f"control-plane{SUFFIX}",
        f"nodes{SUFFIX}",
    ]
    assert found["CAPSA-AWS-001"][0][1] == f"{path}:1"


def test_awsiamconfiguration_hardened(tmp_path: Path) -> None:
    path = tmp_path / "iam.yaml"
    spec = """\
  namePrefix: prod-
  secureSecretBackends: [ssm-parameter-store]
  controlPlane:
    disableClusterAPIControllerPolicyAttachment: true
    disableCloudProviderPolicy: true
  clusterAPIControllers:
    allowedEC2InstanceProfiles: [prod-nodes.cluster-api-provider-aws.sigs.k8s.io]"""
    path.write_text(CONFIG.format(spec=spec), encoding="utf-8")
    found = _findings(path)
    assert "CAPSA-AWS-001" not in found
    assert "CAPSA-AWS-004" not in found  # PassRole no longer reaches the controllers role
    # the nodes role still reads every cluster's SSM bootstrap parameters
    assert [r for r, _ in found["CAPSA-AWS-002"]] == [f"prod-nodes{SUFFIX}"]


def test_fields_clusterawsadm_would_ignore_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "iam.yaml"
    # the CAPA book writes `disabled`; the field is `disable`
    spec = """\
  clusterAPIControllers:
    disabled: false
  controlPlane:
    disableClusterAPIControllerPolicyAttachment: true"""
    path.write_text(CONFIG.format(spec=spec), encoding="utf-8")
    result = scan(ScanRequest(paths=(str(path),)))
    assert [(p.line, p.message) for p in result.errors] == [
        (
            5,
            "spec.clusterAPIControllers.disabled is not an AWSIAMConfiguration field: "
            "clusterawsadm ignores it without a word (did you mean 'disable'?)",
        )
    ]
    assert not [f for f in result.findings if f.check_id == "CAPSA-AWS-001"]


TRUST_TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Resources:
  AWSIAMRoleControllers:
    Type: AWS::IAM::Role
    Properties:
      RoleName: controllers{suffix}
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
        - Action: ["sts:AssumeRole"]
          Effect: Allow
          Principal: {{AWS: "*"}}
          Condition: {{StringEquals: 5}}
{more}"""
EVERYONE = """\
        - Action: ["sts:AssumeRole"]
          Effect: Allow
          Principal: {AWS: "*"}
"""


def test_a_malformed_trust_condition_costs_that_statement_not_the_template(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bootstrap.yaml"
    path.write_text(TRUST_TEMPLATE.format(suffix=SUFFIX, more=EVERYONE), encoding="utf-8")
    result = scan(ScanRequest(paths=(str(path),)))
    [error] = result.errors
    assert error.line == 10 and "Statement[0].Condition" in error.message
    assert "left out of the cloud checks" not in error.message
    # the template is still read: its role is judged
    role = f"arn:aws:iam::${{AWS::AccountId}}:role/controllers{SUFFIX}"
    assert role in {p.resource.name for p in result.passes if p.check_id == "CAPSA-AWS-002"}


def test_only_the_malformed_trust_statement_is_left_out() -> None:
    malformed = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"},
                 "Condition": {"StringEquals": 5}}  # fmt: skip
    guarded = {**malformed, "Condition": {"StringEquals": {"aws:PrincipalAccount": "1"}}}
    everyone = {k: v for k, v in malformed.items() if k != "Condition"}
    doc = {"Statement": [malformed, everyone, guarded]}
    assert policydoc.malformed_trust_statements(doc) == [0]
    assert policydoc.trusted(doc) == ((), ("*",))
    assert policydoc.trusted_under_condition(doc) == ("*",)
    assert policydoc.trust_condition_keys(doc) == ("aws:PrincipalAccount",)
    alone = {"Statement": [malformed]}
    assert policydoc.trusted(alone) == ((), ())
    assert policydoc.trusted_under_condition(alone) == ()
    assert policydoc.trust_condition_keys(alone) == ()
