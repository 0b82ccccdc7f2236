"""IAM checks CEL cannot state: they follow policy attachments and match actions and
ARNs with IAM's own rules (`capsa.cloud.iam`). Each result names the role or user by ARN
and, when it fails, the policies that grant what it found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from capsa.cloud import capa
from capsa.cloud.iam import (
    Grant,
    allows_action,
    grants,
    missing_policies,
    policies_of,
    unresolved_patterns,
    unscoped_writes,
)
from capsa.cloud.registry import CloudInput, Outcome, absent, cloud_check
from capsa.display import listed
from capsa.sources.aws.facts import (
    CloudFacts,
    Policy,
    Principal,
    Secret,
    account_of_arn,
    cluster_of,
)

ROLE = "IAMRole"
USER = "IAMUser"


def _kind(principal: Principal) -> str:
    return ROLE if principal.kind == "role" else USER


def _names(found: Sequence[Grant]) -> str:
    return ", ".join(dict.fromkeys(g.policy.arn for g in found))


def _unknown_policies(principal: Principal, facts: CloudFacts) -> Outcome | None:
    missing = missing_policies(principal, facts)
    if not missing:
        return None
    return Outcome(
        "unknown",
        _kind(principal),
        principal.arn,
        f"undecided: the documents of {', '.join(missing)} were not read",
        principal.where,
    )


def _decide(
    principal: Principal, facts: CloudFacts, found: Sequence[Grant], detail: str
) -> Outcome:
    """fail on an unconditional grant; unknown on conditional ones only or when some
    attached policy could not be read; pass otherwise."""
    kind = _kind(principal)
    hard = [g for g in found if not g.conditional]
    if hard:
        return Outcome(
            "fail", kind, principal.arn, f"{detail} (through {_names(hard)}).", principal.where
        )
    if found:
        text = f"undecided: only conditional grants ({_names(found)}); capsa does not evaluate conditions"
        return Outcome("unknown", kind, principal.arn, text, principal.where)
    return _unknown_policies(principal, facts) or Outcome(
        "pass", kind, principal.arn, "", principal.where
    )


@cloud_check("CAPSA-AWS-001")
def control_plane_has_controller_powers(inp: CloudInput) -> Iterator[Outcome]:
    facts = inp.facts
    judged = False
    for role, kinds in capa.capa_roles(facts):
        if "control-plane" not in kinds:
            continue
        judged = True
        policies = policies_of(role, facts)
        launch = capa.launches(facts, policies)
        passing = [
            g
            for arn in capa.controllers_role_arns(facts)
            for g in grants(policies, "iam:PassRole", arn)
        ]
        both = [*launch, *passing] if launch and passing else []
        yield _decide(
            role,
            facts,
            both,
            "The control-plane role may launch instances and pass the controllers role to them",
        )
    if not judged:
        yield absent(facts, "control-plane role (by clusterawsadm's name or a running instance)")


@cloud_check("CAPSA-AWS-002")
def reads_every_bootstrap_secret(inp: CloudInput) -> Iterator[Outcome]:
    """Through the role's own policies (a probe of another cluster's secret and
    parameter) and through the resource policies of the secrets read (a real secret of
    a cluster none of the role's instances belongs to). A resource-policy grant fails
    only when no Deny applies: an unconditional Deny in the secret's policy (naming the
    role, its account or everyone) or in the role's own policies cancels it; a Deny
    under a Condition, or own policies not read, leave it undecided."""
    facts = inp.facts
    roles = capa.capa_roles(facts)
    if not roles:
        yield absent(facts, "CAPA role (by clusterawsadm's name or a running instance)")
    uses = capa.role_uses(facts)
    for role, _kinds in roles:
        found = capa.bootstrap_reads(facts, policies_of(role, facts))
        own = uses[role.arn].clusters if role.arn in uses else frozenset()
        shared = capa.resource_policy_reads(facts, role, own)
        if [g for g in found if not g.conditional] or not shared:
            outcome = _decide(
                role,
                facts,
                found,
                "This role may read the bootstrap data of every cluster in the account",
            )
            if outcome.verdict == "pass" and "secretPolicies" not in facts.collected:
                outcome = replace(
                    outcome,
                    detail="its own policies only: this source holds no secret resource policies",
                )
            yield outcome
            continue
        hard = list(dict.fromkeys(r.secret.arn for r in shared if not r.conditional))
        unread = missing_policies(role, facts)
        if hard and unread:
            secrets = listed([_secret_text(r.secret) for r in shared if r.secret.arn in hard], 3)
            text = (
                f"undecided: the resource policies of {secrets} let this role read them, "
                f"but its policies {listed(unread, 3)} were not read, and a Deny there "
                "would cancel that"
            )
            yield Outcome("unknown", ROLE, role.arn, text, role.where)
            continue
        if hard:
            secrets = listed([_secret_text(r.secret) for r in shared if r.secret.arn in hard], 3)
            text = f"The resource policies of another cluster's bootstrap secrets let this role read them: {secrets}."
            yield Outcome("fail", ROLE, role.arn, text, role.where)
            continue
        secrets = listed(list(dict.fromkeys(_secret_text(r.secret) for r in shared)), 3)
        denies = list(dict.fromkeys(d.policy.arn for r in shared for d in r.denied_under_condition))
        parts = []
        if any(r.grant.conditional for r in shared):
            parts.append("grant it GetSecretValue only under a condition")
        else:
            parts.append("grant it GetSecretValue")
        if denies:
            parts.append(f"a Deny under a condition in {listed(denies, 3)} may cancel that")
        text = (
            f"undecided: the resource policies of {secrets} {'; '.join(parts)}; capsa does "
            "not evaluate conditions"
        )
        yield Outcome("unknown", ROLE, role.arn, text, role.where)


def _secret_text(secret: Secret) -> str:
    return f"{secret.arn} ({cluster_of(secret.tags) or 'no CAPA cluster'})"


@cloud_check("CAPSA-AWS-003")
def unscoped_write_actions(inp: CloudInput) -> Iterator[Outcome]:
    facts = inp.facts
    roles = capa.capa_roles(facts)
    if not roles:
        yield absent(facts, "CAPA role (by clusterawsadm's name or a running instance)")
    services = ("ec2", "elasticloadbalancing", "secretsmanager")
    for role, _kinds in roles:
        policies = policies_of(role, facts)
        found = list(unscoped_writes(policies, services))
        unresolved = list(unresolved_patterns(policies, services))
        if found:
            actions = sorted({a for a, _ in found})
            sources = ", ".join(dict.fromkeys(p.arn for _, p in found))
            text = f'{len(actions)} write action(s) on Resource "*": {listed(actions, 5)} (through {sources}).'
            if unresolved:
                text += f" {_undecided(unresolved)}"
            yield Outcome("fail", ROLE, role.arn, text, role.where)
        elif unresolved:
            yield Outcome("unknown", ROLE, role.arn, _undecided(unresolved), role.where)
        else:
            yield _unknown_policies(role, facts) or Outcome("pass", ROLE, role.arn, "", role.where)


def _undecided(unresolved: Sequence[tuple[str, Policy]]) -> str:
    patterns = sorted({p for p, _ in unresolved})
    sources = ", ".join(dict.fromkeys(policy.arn for _, policy in unresolved))
    return (
        f'undecided: {len(patterns)} action pattern(s) on Resource "*" name no action '
        f"capsa's IAM action table knows: {listed(patterns, 5)} (through {sources}); check "
        "them against the AWS Service Authorization Reference"
    )


@cloud_check("CAPSA-AWS-004")
def pass_role_reaches_controllers(inp: CloudInput) -> Iterator[Outcome]:
    facts = inp.facts
    targets = capa.controllers_role_arns(facts)
    # the controllers role passing itself gains nothing it does not hold already
    principals = tuple(p for p in (*facts.roles, *facts.users) if p.arn not in targets)
    judged = False
    for principal in principals:
        policies = policies_of(principal, facts)
        passing = [g for arn in targets for g in grants(policies, "iam:PassRole", arn)]
        if not allows_action(policies, "iam:PassRole"):
            continue  # passes no role at all: judged below, with the others
        judged = True
        launch = capa.launches(facts, policies)
        found = [*passing, *launch] if passing and launch else []
        yield _decide(
            principal,
            facts,
            found,
            "May launch an instance and pass it the controllers role "
            f"({', '.join(targets)}), so it can act with the controllers' permissions",
        )
    if not principals:
        yield absent(facts, "IAM role or user besides the controllers role")
    elif not judged:
        missing = [p.arn for p in principals if missing_policies(p, facts)]
        if missing:
            text = f"undecided: the policies of {', '.join(missing[:3])} were not all read"
            yield Outcome("unknown", "AWSAccount", _account_arn(facts), text)
        else:
            text = f"none of the {len(principals)} roles and users may pass a role"
            yield Outcome("pass", "AWSAccount", _account_arn(facts), text)


def _account_arn(facts: CloudFacts) -> str:
    return f"arn:aws:iam::{facts.account or 'unknown'}:root"


@cloud_check("CAPSA-AWS-005")
def roles_shared_between_clusters(inp: CloudInput) -> Iterator[Outcome]:
    """A role is the cluster's own when every instance running with it belongs to that
    one cluster: an instance of another cluster, or one CAPA did not tag (a management
    cluster CAPA did not create, a tool), shares its credentials."""
    facts = inp.facts
    uses = capa.role_uses(facts)
    judged = False
    for role in facts.roles:
        use = uses.get(role.arn)
        if use is None or not use.clusters:
            continue
        judged = True
        clusters = ", ".join(sorted(use.clusters))
        if len(use.clusters) > 1:
            text = f"Instances of clusters {clusters} run with this role."
            yield Outcome("fail", ROLE, role.arn, text, role.where)
        elif use.outsiders:
            shown = ", ".join(sorted(use.outsiders)[:3])
            text = (
                f"Instances of cluster {clusters} and instances of no CAPA cluster "
                f"({shown}) run with this role."
            )
            yield Outcome("fail", ROLE, role.arn, text, role.where)
        else:
            yield Outcome("pass", ROLE, role.arn, f"used by cluster {clusters} only", role.where)
    if not judged:
        yield absent(facts, "role that CAPA-tagged instances run with")


@cloud_check("CAPSA-AWS-006")
def clusters_share_the_account(inp: CloudInput) -> Iterator[Outcome]:
    facts = inp.facts
    clusters = sorted({c for i in facts.instances if (c := cluster_of(i.tags)) is not None})
    arn = _account_arn(facts)
    if not clusters:
        yield absent(facts, "CAPA-tagged instance")
    elif len(clusters) > 1:
        yield Outcome(
            "fail", "AWSAccount", arn, f"Clusters {', '.join(clusters)} run in this account."
        )
    else:
        yield Outcome("pass", "AWSAccount", arn, f"only cluster {clusters[0]} runs in this account")


def _trust_match(role: Principal, principal: Principal, trusted: tuple[str, ...]) -> str | None:
    """How `trusted` (a role's trust policy principals) covers `principal`: "named" when
    it names its ARN, "account" when it trusts its account (or everyone), else None."""
    if principal.arn in trusted:
        return "named"
    account = account_of_arn(principal.arn)
    partition = principal.arn.split(":")[1] if principal.arn.count(":") > 1 else "aws"
    forms = {"*", *([account, f"arn:{partition}:iam::{account}:root"] if account else [])}
    return "account" if forms & set(trusted) else None


def _foreign(facts: CloudFacts, trusted: str) -> bool:
    """Whether a trust policy's AWS principal (an ARN or a bare account id) is of
    another account than the one read; "*" is everyone, not another account."""
    if trusted == "*":
        return False
    owner = trusted if trusted.isdigit() else account_of_arn(trusted)
    if owner is None or owner.startswith("${"):  # offline: ${AWS::AccountId} is this one
        return False
    return owner != facts.account


def _trusts_outsiders(facts: CloudFacts, role: Principal) -> Outcome | None:
    """What the trust policy of a controllers role says on its own: anyone may assume
    it (fail), or principals capsa cannot see may (undecided, naming them and, for a
    Condition, the keys it rests on)."""
    if "*" in role.trusted_accounts:
        text = (
            'Its trust policy lets any AWS principal of any account assume it (Principal "*" '
            'or {"AWS": "*"} with no Condition): the principal\'s own account grants the '
            "sts:AssumeRole it also needs."
        )
        return Outcome("fail", ROLE, role.arn, text, role.where)
    others = [a for a in role.trusted_accounts if _foreign(facts, a)]
    guarded = [a for a in role.trusted_under_condition if a == "*" or _foreign(facts, a)]
    parts = []
    if others:
        parts.append(
            f"its trust policy names principals of other accounts ({listed(others, 3)}), "
            "whose policies capsa does not read"
        )
    if guarded:
        keys = ", ".join(role.trust_condition_keys) or "keys not read"
        parts.append(
            f"it trusts {listed(guarded, 3)} under a condition on {keys}, which capsa does "
            "not evaluate: who may assume it rests on that condition"
        )
    if not parts:
        return None
    return Outcome("unknown", ROLE, role.arn, f"undecided: {'; '.join(parts)}", role.where)


@cloud_check("CAPSA-AWS-007")
def assumes_the_controllers_role(inp: CloudInput) -> Iterator[Outcome]:
    """IAM's rule for a role in the same account: a trust policy naming the principal's
    ARN lets it assume the role on its own; one trusting the account needs
    sts:AssumeRole in the principal's own policies as well. One trusting everyone
    ("*") lets any principal of any account assume it (its own account grants the
    rest), so the role itself fails; other accounts' principals, and "*" under a
    Condition, are undecided on the role."""
    facts = inp.facts
    controllers = [r for r in facts.roles if capa.named_kind(r) == "controllers"]
    if not controllers:
        yield absent(facts, "controllers role (by clusterawsadm's name)")
        return
    decided = False
    for role in controllers:
        if (outcome := _trusts_outsiders(facts, role)) is not None:
            yield outcome
            decided = True
    for principal in (*facts.roles, *facts.users):
        if principal in controllers:
            continue
        policies = policies_of(principal, facts)
        for role in controllers:
            how = _trust_match(role, principal, role.trusted_accounts)
            if how == "named":
                text = f"The trust policy of {role.arn} names it."
                yield Outcome("fail", _kind(principal), principal.arn, text, principal.where)
                decided = True
                break
            conditional = _trust_match(role, principal, role.trusted_under_condition)
            if how is None and conditional is None:
                continue
            found = grants(policies, "sts:AssumeRole", role.arn)
            if how is None:  # trusted only under a condition capsa does not evaluate
                found = [g for g in found if g.conditional] or found
                if found:
                    text = (
                        f"undecided: {role.arn} trusts it only under a condition, and it "
                        "holds sts:AssumeRole on the role; capsa does not evaluate conditions"
                    )
                    yield Outcome("unknown", _kind(principal), principal.arn, text, principal.where)
                    decided = True
                    break
                continue
            if found:
                yield _decide(
                    principal,
                    facts,
                    found,
                    f"May assume {role.arn}, whose trust policy trusts its account",
                )
                decided = True
                break
    if not decided:
        trusting = [r.arn for r in controllers if r.trusted_accounts or r.trusted_under_condition]
        unread = [p.arn for p in (*facts.roles, *facts.users) if missing_policies(p, facts)]
        if trusting and unread:
            text = f"undecided: the policies of {', '.join(unread[:3])} were not all read"
            yield Outcome("unknown", "AWSAccount", _account_arn(facts), text)
        else:
            shown = (
                "its trust policy trusts" if len(controllers) == 1 else "their trust policies trust"
            )
            text = (
                f"no role or user may assume {', '.join(r.arn for r in controllers)} "
                f"({shown} {'services only' if not trusting else 'no principal here that may'})"
            )
            yield Outcome("pass", "AWSAccount", _account_arn(facts), text)
