"""IAM policy documents (as AWS returns them, or as a template writes them) reduced to
`Statement` facts, and trust policies to the services and accounts they trust.

Shared by the live reader and the offline CloudFormation/clusterawsadm readers, so a
statement means the same wherever it was read.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from typing import Any

from capsa.sources.aws.facts import Statement


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in _as_list(value) if isinstance(v, str | int | float))


def document(raw: Any) -> dict[str, Any]:
    """A policy document as a dict, whether given as a dict, JSON text or the URL-encoded
    JSON the IAM API uses; {} when it is none of these."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        text = raw if raw.lstrip().startswith("{") else urllib.parse.unquote(raw)
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested past the stack
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def unreadable(raw: Any) -> bool:
    """True when `raw` is given but is no policy document `document` can read (a JSON
    text that is not an object, or nested too deeply to parse), so its statements are
    left out."""
    if raw is None or isinstance(raw, dict):
        return False
    return not isinstance(raw, str) or (bool(raw.strip()) and not document(raw))


def statements(raw: Any) -> tuple[Statement, ...]:
    """The statements of a policy document; malformed statements are skipped."""
    out: list[Statement] = []
    for item in _as_list(document(raw).get("Statement")):
        if not isinstance(item, dict):
            continue
        effect = item.get("Effect")
        if effect not in ("Allow", "Deny"):
            continue
        out.append(
            Statement(
                effect=effect,
                actions=_strings(item.get("Action")),
                not_actions=_strings(item.get("NotAction")),
                resources=_strings(item.get("Resource")),
                not_resources=_strings(item.get("NotResource")),
                conditional=bool(item.get("Condition")),
            )
        )
    return tuple(out)


def resource_statements(raw: Any) -> tuple[Statement, ...]:
    """A resource policy's statements with the AWS principals each applies to ("*" for
    `Principal: "*"` or `{"AWS": "*"}`); statements naming only services are kept with
    no principal, so they apply to no role."""
    out: list[Statement] = []
    for item in _as_list(document(raw).get("Statement")):
        if not isinstance(item, dict) or item.get("Effect") not in ("Allow", "Deny"):
            continue
        principals = _aws_principals(item.get("Principal"))
        not_principals = _aws_principals(item.get("NotPrincipal"))
        if not principals and not not_principals:
            continue
        out.append(
            Statement(
                effect=item["Effect"],
                actions=_strings(item.get("Action")),
                not_actions=_strings(item.get("NotAction")),
                resources=_strings(item.get("Resource")),
                not_resources=_strings(item.get("NotResource")),
                conditional=bool(item.get("Condition")),
                principals=principals,
                not_principals=not_principals,
            )
        )
    return tuple(out)


def _aws_principals(principal: Any) -> tuple[str, ...]:
    if principal == "*":
        return ("*",)
    if isinstance(principal, dict):
        return _strings(principal.get("AWS"))
    return ()


def trusted(raw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(services, AWS principals) an assume-role policy allows to assume the role; AWS
    principals only from statements without a Condition (`trusted_under_condition`)."""
    services: list[str] = []
    accounts: list[str] = []
    for item, principal in _trust_statements(raw):
        if principal == "*":
            if not item.get("Condition"):
                accounts.append("*")
            continue
        services.extend(_strings(principal.get("Service")))
        if not item.get("Condition"):
            accounts.extend(_strings(principal.get("AWS")))
    return _unique(services), _unique(accounts)


def trusted_under_condition(raw: Any) -> tuple[str, ...]:
    """AWS principals an assume-role policy trusts only under a Condition (capsa does not
    evaluate conditions: such a trust is neither granted nor refused)."""
    found: list[str] = []
    for item, principal in _trust_statements(raw):
        if not item.get("Condition"):
            continue
        found.extend(["*"] if principal == "*" else _strings(principal.get("AWS")))
    return _unique(found)


def trust_condition_keys(raw: Any) -> tuple[str, ...]:
    """The condition keys (aws:PrincipalAccount, sts:ExternalId, ...) of the statements
    that trust AWS principals only under a Condition: what such a trust rests on."""
    found: list[str] = []
    for item, principal in _trust_statements(raw):
        condition = item.get("Condition")
        if not condition or not (principal == "*" or _strings(principal.get("AWS"))):
            continue
        for operands in condition.values():  # a mapping of mappings (_trust_statements)
            found.extend(str(k) for k in operands)
    return _unique(found)


def _malformed_condition(item: dict[str, Any]) -> bool:
    """A Condition that is no mapping of operators to mappings of keys (`{StringEquals:
    5}`): IAM refuses such a policy (MalformedPolicyDocument), and capsa cannot say what
    the statement rests on."""
    condition = item.get("Condition")
    if condition is None:
        return False
    return not isinstance(condition, dict) or any(
        not isinstance(operands, dict) for operands in condition.values()
    )


def malformed_trust_statements(raw: Any) -> list[int]:
    """The indexes of an assume-role policy's Allow statements whose Condition is
    malformed: `_trust_statements` leaves each of them out (and only them)."""
    return [
        at
        for at, item in enumerate(_as_list(document(raw).get("Statement")))
        if isinstance(item, dict) and item.get("Effect") == "Allow" and _malformed_condition(item)
    ]


def _trust_statements(raw: Any) -> Iterable[tuple[dict[str, Any], Any]]:
    """The Allow statements of an assume-role policy with their principal ("*" for
    everyone); a statement with a malformed Condition is left out (IAM refuses the
    document; the offline readers report it, `malformed_trust_statements`)."""
    for item in _as_list(document(raw).get("Statement")):
        if not isinstance(item, dict) or item.get("Effect") != "Allow":
            continue
        if _malformed_condition(item):
            continue
        principal = item.get("Principal")
        if "NotPrincipal" in item:  # everyone but those named: at least as wide as "*"
            yield item, "*"
        elif principal == "*" or isinstance(principal, dict):
            yield item, principal


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
