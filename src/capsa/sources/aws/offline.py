"""Cloud facts found among manifests: clusterawsadm AWSIAMConfiguration objects and
CloudFormation templates (one `CloudFacts` each), so IAM checks run from git alone."""

from __future__ import annotations

from collections.abc import Iterable

from capsa.errors import SHAPE_ERRORS, Problem, left_out
from capsa.sources.aws import cloudformation, iamconfig
from capsa.sources.aws.facts import CloudFacts
from capsa.sources.resource import Resource


def offline_read(resources: Iterable[Resource]) -> tuple[list[CloudFacts], list[Problem]]:
    """The cloud facts of those files, and their problems: fields of a type the tool
    refuses (which the facts leave out) and what clusterawsadm would silently ignore. A
    file whose facts cannot be read at all is a problem of its own, never the end of the
    scan."""
    facts: list[CloudFacts] = []
    problems: list[Problem] = []
    for resource in resources:
        template = (
            resource.kind == cloudformation.KIND
            and resource.api_version == cloudformation.API_VERSION
        )
        if not template and not iamconfig.is_config(resource):
            continue
        try:
            if template:
                problems.extend(cloudformation.shape_problems(resource))
                facts.append(cloudformation.facts_from_template(resource))
            else:
                problems.extend(iamconfig.shape_problems(resource))
                problems.extend(iamconfig.unknown_fields(resource))
                facts.append(iamconfig.facts_from_config(resource))
        except SHAPE_ERRORS:
            where, what = resource.origin, f"{resource.kind}/{resource.name}"
            problems.append(left_out(where.path, where.line, what, "the cloud checks"))
    return facts, problems
