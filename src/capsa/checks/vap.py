"""Export an object-level check as a ValidatingAdmissionPolicy and its binding, so the
management cluster rejects what the scanner would flag.

The CEL goes in verbatim: object checks are written in the admission-policy convention
(variable `object`, true when compliant, named `variables` read as `variables.<name>`)
and use only functions Kubernetes also has, so the check's variables become the
policy's `spec.variables` in the same order. A check's `appliesWhen` (the object holds
what the check looks at) becomes a `matchCondition`, so the policy leaves other objects
alone as the scan calls them not applicable; match conditions cannot read policy
variables, so one that does is folded into the validation instead
(`!(appliesWhen) || expression`). Topology checks (they need `context`) and checks
using capsa-only functions are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from capsa.cel_k8s import uses_capsa_functions
from capsa.checks.model import Check
from capsa.checks.variables import referenced_names

API_VERSION = "admissionregistration.k8s.io/v1"


class NotExportable(ValueError):
    """The check cannot run inside a ValidatingAdmissionPolicy."""


def plural(kind: str) -> str:
    """The resource (plural) name Kubernetes derives for a kind, as controller-gen does."""
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in {"a", "e", "i", "o", "u"}:
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def exportable(check: Check) -> str | None:
    """Why a check cannot be exported, or None when it can."""
    if check.scope != "object":
        return f"{check.id} is a {check.scope}-scope check: it needs other objects"
    texts = (*(v.expression for v in check.variables), check.expression)
    if check.applies_when is not None:
        texts = (*texts, check.applies_when)
    used = sorted({name for text in texts for name in uses_capsa_functions(text)})
    if used:
        return f"{check.id} uses capsa-only functions: {', '.join(used)}"
    return None


def _rules(check: Check) -> list[dict[str, Any]]:
    rules: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for kind in check.match.kinds:
        versions = tuple(kind.versions) if kind.versions else ("*",)
        resources = rules.setdefault((kind.group, versions), [])
        name = plural(kind.kind)
        if name not in resources:
            resources.append(name)
    return [
        {
            "apiGroups": [group],
            "apiVersions": list(versions),
            "operations": ["CREATE", "UPDATE"],
            "resources": resources,
        }
        for (group, versions), resources in rules.items()
    ]


def export_policy(check: Check, actions: Sequence[str] = ("Deny",)) -> list[dict[str, Any]]:
    """[ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding] for an object check.

    Raises NotExportable for topology checks and checks using capsa-only functions.
    `actions` are the binding's validationActions (Deny, Warn, Audit).
    """
    reason = exportable(check)
    if reason is not None:
        raise NotExportable(reason)
    name = check.id.lower()
    labels = {"app.kubernetes.io/managed-by": "capsa"}
    annotations = {
        "capsa.dev/check": check.id,
        "capsa.dev/severity": check.severity.value,
        "capsa.dev/threats": ",".join(check.threats),
        "capsa.dev/mitigation": check.mitigation,
    }
    message = f"{check.id}: {' '.join(check.title.split())}"
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": _rules(check)},
    }
    validation = check.expression
    applies = check.applies_when
    if applies is not None and not referenced_names(applies):
        spec["matchConditions"] = [{"name": "applies", "expression": " ".join(applies.split())}]
    elif applies is not None:
        validation = f"!({applies}) || ({check.expression})"
    if check.variables:
        spec["variables"] = [{"name": v.name, "expression": v.expression} for v in check.variables]
    spec["validations"] = [{"expression": validation, "message": message, "reason": "Invalid"}]
    policy = {
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": spec,
    }
    binding = {
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": labels},
        "spec": {"policyName": name, "validationActions": list(actions)},
    }
    return [policy, binding]
