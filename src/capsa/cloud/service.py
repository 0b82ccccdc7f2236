"""Cloud evidence for a scan: every source's facts through every cloud check, as the
same findings, passes and unknowns manifest checks give, plus what to say once when no
cloud evidence was given at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capsa.checks.findings import CheckResult, Finding
    from capsa.cloud.model import CloudCheck
    from capsa.cloud.registry import CloudOptions
    from capsa.sources.aws.facts import CloudFacts

NO_CLOUD_EVIDENCE = (
    "not assessable: no cloud evidence given (use --aws to read an AWS account, or scan "
    "clusterawsadm AWSIAMConfiguration / CloudFormation files); the cloud checks did not run"
)


@dataclass(frozen=True)
class CloudEvidence:
    findings: tuple[Finding, ...] = ()
    passes: tuple[CheckResult, ...] = ()
    unknown: tuple[CheckResult, ...] = ()
    not_applicable: tuple[CheckResult, ...] = ()
    checks: tuple[CloudCheck, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None


def cloud_evidence(
    sources: Sequence[CloudFacts], options: CloudOptions | None = None
) -> CloudEvidence:
    """Run the shipped cloud checks over each source; `note` says once when none was
    given (the checks then yield nothing, rather than one "unknown" each)."""
    if not sources:  # nothing to judge: the checks are not even loaded (nor imported)
        return CloudEvidence(note=NO_CLOUD_EVIDENCE)
    from capsa.cloud.catalog import cloud_checks
    from capsa.cloud.engine import run_checks

    checks = cloud_checks()
    findings: list[Finding] = []
    passes: list[CheckResult] = []
    unknown: list[CheckResult] = []
    not_applicable: list[CheckResult] = []
    for facts in sources:
        results = run_checks(checks, facts, options)
        findings.extend(results.findings)
        passes.extend(results.passes)
        unknown.extend(results.unknown)
        not_applicable.extend(results.not_applicable)
    return CloudEvidence(
        tuple(findings),
        tuple(passes),
        tuple(unknown),
        tuple(not_applicable),
        checks,
        tuple(f.source for f in sources),
    )
