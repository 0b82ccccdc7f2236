"""Cloud facts found among manifests: clusterawsadm AWSIAMConfiguration objects and
CloudFormation templates (one `CloudFacts` each), so IAM checks run from git alone."""

from __future__ import annotations

from collections.abc import Iterable

from capsa.errors import Problem
from capsa.sources.aws import cloudformation, iamconfig
from capsa.sources.aws.facts import CloudFacts
from capsa.sources.resource import Resource


def offline_facts(resources: Iterable[Resource]) -> list[CloudFacts]:
    out: list[CloudFacts] = []
    for resource in resources:
        if (
            resource.kind == cloudformation.KIND
            and resource.api_version == cloudformation.API_VERSION
        ):
            out.append(cloudformation.facts_from_template(resource))
        elif iamconfig.is_config(resource):
            out.append(iamconfig.facts_from_config(resource))
    return out


def offline_problems(resources: Iterable[Resource]) -> list[Problem]:
    """What in those files clusterawsadm would silently ignore."""
    return [p for r in resources if iamconfig.is_config(r) for p in iamconfig.unknown_fields(r)]
