"""Run cloud checks over one source's facts: findings, passes and unknowns, in the same
types manifest checks produce, each naming the cloud resource by its ARN.

Per check:
- a needed kind of fact the source did not cover → the check does not run (no evidence
  given; the scan says so once, not per check);
- a gap in a needed kind, or in one that brings subjects into scope (`scopedBy`) → one
  unknown result on the account: "not assessable: missing permission X" (and the check
  still runs on what was read, e.g. other regions);
- otherwise its CEL runs on every matching fact (true = compliant; a field the facts
  lack = unknown, never a pass), or its registered function decides;
- nothing for it to judge (no cluster instance, no API load balancer in the facts read)
  → one "not applicable" result on the account, never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from capsa.cel import CelEnvironment, CelError, CompiledExpression
from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, fingerprint
from capsa.cloud.model import CloudCheck, CloudMatch
from capsa.cloud.registry import CloudInput, CloudOptions, Outcome, absent, registered
from capsa.sources.aws.facts import (
    CloudFacts,
    SecurityGroup,
    Where,
    cluster_of,
    eks_node_of,
    role_of,
)

API_VERSION = "aws/v1"
ACCOUNT_KIND = "AWSAccount"
_MISSING = ("Key not found", "No such key", "no such key")


@dataclass
class CloudResults:
    findings: list[Finding] = field(default_factory=list)
    passes: list[CheckResult] = field(default_factory=list)
    unknown: list[CheckResult] = field(default_factory=list)
    not_applicable: list[CheckResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checks with no evidence given


@cache
def environment() -> CelEnvironment:
    return CelEnvironment(["object", "account"])


def compiled(check: CloudCheck) -> CompiledExpression:
    assert check.expression is not None
    return _compile(check.expression)


@cache
def _compile(expression: str) -> CompiledExpression:
    return environment().compile(expression)


def account_arn(facts: CloudFacts) -> str:
    return f"arn:aws:iam::{facts.account or 'unknown'}:root"


def location(facts: CloudFacts, where: Where | None, region: str | None = None) -> Location:
    if where is not None:
        return Location(where.path, where.line)
    path = f"aws://{facts.account or 'unknown'}"
    return Location(f"{path}/{region}" if region else path, None)


# --- subjects ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    kind: str
    arn: str
    region: str | None
    body: dict[str, Any]
    #: Why the subject may or may not be CAPA's (an EKS node group instance): a failure
    #: on it is undecided, never a finding; a pass says so.
    maybe_capa: str | None = None


def _dump(model: Any, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _kept(match: CloudMatch, tags: dict[str, str] | None, owned: bool) -> bool:
    if match.cluster_owned and not owned:
        return False
    return not (match.roles and role_of(tags) not in match.roles)


def cluster_groups(facts: CloudFacts) -> Iterator[SecurityGroup]:
    """Security groups of a CAPA cluster: CAPA-tagged, or used by a CAPA instance."""
    used = {g for i in facts.instances if cluster_of(i.tags) for g in i.security_groups}
    for group in facts.security_groups:
        if cluster_of(group.tags) is not None or group.id in used:
            yield group


def subjects(facts: CloudFacts, match: CloudMatch) -> Iterator[Subject]:
    """The facts a CEL check is evaluated on, each as a plain mapping for CEL (with its
    CAPA `cluster` and `role` from the tags, when it has them)."""
    kind = match.facts
    if kind == "account":
        body = {"id": facts.account or "", "trails": [_dump(t) for t in facts.trails]}
        yield Subject(ACCOUNT_KIND, account_arn(facts), None, body)
    elif kind == "instances":
        for item in facts.instances:
            owned = cluster_of(item.tags) is not None
            if match.states and item.state not in match.states:
                continue
            if _kept(match, item.tags, owned):
                extra = {"cluster": cluster_of(item.tags), "role": role_of(item.tags)}
                yield Subject("EC2Instance", item.arn, item.region, _dump(item, **extra))
            elif match.cluster_owned and not match.roles and (node := eks_node_of(item.tags)):
                why = (
                    f"an instance of node group {node[1]} of EKS cluster {node[0]}, with no "
                    "CAPA tag: CAPA tags an AWSManagedMachinePool's node group only with "
                    "kubernetes.io/cluster/<name>, and capsa does not read EKS clusters, so "
                    "whether CAPA manages it is unknown"
                )
                extra = {"cluster": node[0]}
                body = _dump(item, **extra)
                yield Subject("EC2Instance", item.arn, item.region, body, maybe_capa=why)
    elif kind == "securityGroups":
        owned_groups = {g.id for g in cluster_groups(facts)}
        for group in facts.security_groups:
            owned = group.id in owned_groups
            if _kept(match, group.tags, owned):
                extra = {"cluster": cluster_of(group.tags)}
                yield Subject("SecurityGroup", group.arn, group.region, _dump(group, **extra))
    elif kind == "loadBalancers":
        for lb in facts.load_balancers:
            if _kept(match, lb.tags, cluster_of(lb.tags) is not None):
                extra = {"cluster": cluster_of(lb.tags), "role": role_of(lb.tags)}
                yield Subject("LoadBalancer", lb.arn, lb.region, _dump(lb, **extra))
    elif kind == "quotas":
        for quota in facts.quotas:
            arn = f"arn:aws:servicequotas:{quota.region}:{facts.account or ''}:{quota.service}/{quota.code}"
            yield Subject("ServiceQuota", arn, quota.region, _dump(quota))
    else:  # roles, secrets: judged by registered functions only
        return


# --- running checks ---------------------------------------------------------------------


_NOUNS = {
    "instances": "instance",
    "securityGroups": "security group",
    "loadBalancers": "load balancer",
    "quotas": "service quota",
}


def _subject_text(match: CloudMatch) -> str:
    noun = _NOUNS.get(match.facts, match.facts)
    parts = [f"{'/'.join(match.roles)} " if match.roles else "", noun]
    if match.cluster_owned:
        parts.insert(0, "CAPA-tagged ")
    if match.states:
        parts.append(f" in state {' or '.join(match.states)}")
    return "".join(parts)


def _evaluate(check: CloudCheck, inp: CloudInput) -> Iterator[Outcome]:
    program = compiled(check)
    account = {
        "id": inp.facts.account or "",
        "imageOwners": [
            *inp.options.image_owners,
            *([inp.facts.account] if inp.facts.account else []),
        ],
        "maxInstanceVcpus": inp.options.max_instance_vcpus,
    }
    judged = False
    for subject in subjects(inp.facts, check.match):
        judged = True
        where = Where(path=location(inp.facts, None, subject.region).path)
        try:
            value = program.evaluate({"object": subject.body, "account": account})
        except CelError as error:
            text = str(error)
            reason = (
                "a field it reads was not returned" if any(m in text for m in _MISSING) else text
            )
            yield Outcome("unknown", subject.kind, subject.arn, f"undecided: {reason}", where)
            continue
        if value is True:
            yield Outcome("pass", subject.kind, subject.arn, subject.maybe_capa or "", where)
        elif value is False and subject.maybe_capa:
            text = f"undecided: it fails this check, and it is {subject.maybe_capa}"
            yield Outcome("unknown", subject.kind, subject.arn, text, where)
        elif value is False:
            yield Outcome("fail", subject.kind, subject.arn, "", where)
        else:
            yield Outcome("unknown", subject.kind, subject.arn, f"expression gave {value!r}", where)
    if not judged:
        yield absent(inp.facts, _subject_text(check.match))


def outcomes(check: CloudCheck, inp: CloudInput) -> list[Outcome]:
    """What `check` concludes on `inp`, gaps included (see the module docstring)."""
    facts = inp.facts
    if not set(check.needs) <= set(facts.collected):
        return []
    if check.function:
        found = list(registered()[check.id].function(inp))
    else:
        found = list(_evaluate(check, inp))
    gaps = facts.gaps_for([*check.needs, *check.scoped_by])
    if not gaps:
        return found
    text = "; ".join(dict.fromkeys(g.text for g in gaps))
    kept = [o for o in found if o.verdict == "fail"] if check.on_gap == "keep-failures" else []
    gap = Outcome("unknown", ACCOUNT_KIND, account_arn(facts), f"not assessable: {text}")
    return [gap, *kept]


def run_checks(
    checks: Iterable[CloudCheck], facts: CloudFacts, options: CloudOptions | None = None
) -> CloudResults:
    inp = CloudInput(facts, options or CloudOptions())
    results = CloudResults()
    for check in checks:
        if not set(check.needs) <= set(facts.collected):
            results.skipped.append(check.id)
            continue
        for outcome in outcomes(check, inp):
            ref = ResourceRef(API_VERSION, outcome.kind, None, outcome.arn)
            where = location(facts, outcome.where) if outcome.where else location(facts, None)
            if outcome.verdict == "fail":
                message = f"{check.message} {outcome.detail}".strip()
                results.findings.append(
                    Finding(
                        fingerprint=fingerprint(check.id, ref, check.match.facts),
                        check_id=check.id,
                        title=check.title,
                        severity=check.severity,
                        threats=check.threats,
                        mitigation=check.mitigation,
                        resource=ref,
                        location=where,
                        message=message,
                        remediation=check.remediation,
                        references=check.references,
                    )
                )
            elif outcome.verdict == "pass":
                results.passes.append(CheckResult(check.id, ref, where, outcome.detail or None))
            elif outcome.verdict == "not-applicable":
                result = CheckResult(check.id, ref, where, outcome.detail or None)
                results.not_applicable.append(result)
            else:
                results.unknown.append(CheckResult(check.id, ref, where, outcome.detail or None))
    return results
