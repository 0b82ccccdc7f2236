"""`capsa scan --aws`: cloud findings in every scan format, SARIF valid against the schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from cloud_support import REGION
from motoserver import MotoServer
from seed import seed_default
from typer.testing import CliRunner

from capsa.cli.main import app

SCHEMA = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"


def test_scan_with_aws_only(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    result = CliRunner().invoke(app, ["scan", "--aws", "--aws-region", REGION, "-f", "json"])
    assert result.exit_code == 1, result.output  # high findings open
    report = json.loads(result.stdout)
    checks = {f["check"] for f in report["findings"]}
    assert {"CAPSA-AWS-001", "CAPSA-AWS-010", "CAPSA-AWS-020"} <= checks
    assert moto.recorder.leaks == []


def test_scan_with_aws_writes_valid_sarif(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    result = CliRunner().invoke(app, ["scan", "--aws", "--aws-region", REGION, "-f", "sarif"])
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(SCHEMA.read_text(encoding="utf-8")))
    rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "CAPSA-AWS-002" in rules


def test_scan_without_credentials_says_what_to_do(
    moto: MotoServer, monkeypatch: object, tmp_path: Path
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(app, ["scan", "--aws", "--aws-region", REGION])
    assert result.exit_code == 2
    assert "no AWS credentials found" in result.output
    assert "Traceback" not in result.output


def test_paths_with_aws_only_build_clusters_from_tags(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    result = CliRunner().invoke(app, ["paths", "--aws", "--aws-region", REGION, "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    text = json.dumps(report)
    assert "aws/workload" in text and "aws/mgmt" in text
    # an edge opened by cloud evidence names the instance's ARN
    assert "arn:aws:ec2:eu-west-1:123456789012:instance/" in text
