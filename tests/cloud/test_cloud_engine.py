"""What a read gap does to a cloud check's results: never a pass on partial facts;
failures found on what was read count only where the check says they stay true."""

from __future__ import annotations

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import run_checks
from capsa.sources.aws.facts import FACT_KINDS, CloudFacts, Gap, Instance, MetadataOptions

TAGS = {"sigs.k8s.io/cluster-api-provider-aws/cluster/workload": "owned"}


def _check(check_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in cloud_checks() if c.id == check_id)


def _instance(name: str, tokens: str) -> Instance:
    return Instance(
        id=name,
        arn=f"arn:aws:ec2:eu-west-1:111122223333:instance/{name}",
        region="eu-west-1",
        state="running",
        tags=TAGS,
        metadata_options=MetadataOptions(http_tokens=tokens, hop_limit=1),
    )


def test_a_gap_keeps_failures_of_per_resource_checks_but_no_pass() -> None:
    facts = CloudFacts(
        source="t",
        account="111122223333",
        collected=FACT_KINDS,
        instances=(_instance("i-1", "optional"), _instance("i-2", "required")),
        gaps=(
            Gap(
                facts="instances",
                permission="ec2:DescribeInstances",
                reason="AccessDenied",
                region="us-east-1",
            ),
        ),
    )
    results = run_checks([_check("CAPSA-AWS-020")], facts)
    assert [f.resource.name.rsplit("/", 1)[-1] for f in results.findings] == ["i-1"]
    assert results.passes == []
    assert [u.reason for u in results.unknown] == [
        "not assessable: missing permission ec2:DescribeInstances in us-east-1"
    ]


def test_a_gap_leaves_a_whole_account_judgement_undecided() -> None:
    facts = CloudFacts(
        source="t",
        account="111122223333",
        collected=FACT_KINDS,
        gaps=(
            Gap(
                facts="trails",
                permission="cloudtrail:DescribeTrails",
                reason="AccessDenied",
                region="eu-west-1",
            ),
        ),
    )
    results = run_checks([_check("CAPSA-AWS-040")], facts)
    assert results.findings == [] and results.passes == []
    assert len(results.unknown) == 1


def test_facts_a_source_does_not_cover_skip_the_check() -> None:
    facts = CloudFacts(source="template", collected=("roles", "policies", "instanceProfiles"))
    results = run_checks([_check("CAPSA-AWS-020"), _check("CAPSA-AWS-040")], facts)
    assert results.skipped == ["CAPSA-AWS-020", "CAPSA-AWS-040"]
    assert (results.findings, results.passes, results.unknown) == ([], [], [])


def test_a_field_the_api_did_not_return_is_unknown_not_a_pass() -> None:
    missing = _instance("i-3", "required").model_copy(
        update={"metadata_options": MetadataOptions()}
    )
    facts = CloudFacts(source="t", collected=FACT_KINDS, instances=(missing,))
    results = run_checks([_check("CAPSA-AWS-021")], facts)
    assert results.passes == [] and results.findings == []
    assert results.unknown and "undecided" in (results.unknown[0].reason or "")
