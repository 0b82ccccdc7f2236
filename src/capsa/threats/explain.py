"""Why a threat was derived and what change to the model would remove it.

Everything comes from the rule and the model, nothing is written per rule: `applicable`
and `mitigatedWhen` are split into their top-level conditions, each is evaluated on the
threat's subject with the facts it reads, and candidate edits of the attributes those
conditions read are tried by deriving the threat again from an edited copy of the model.
Computed facts (who can reach what) are explained by the lists of ids behind them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic.alias_generators import to_camel

from capsa.model.types import AssetLifetime, AuthMethod, Breadth, Exposure, SystemModel
from capsa.threats.cel_text import outside_strings, split_top
from capsa.threats.engine import GeneratedThreat, generate
from capsa.threats.relations import Relations
from capsa.threats.rules import CompiledRule
from capsa.threats.subjects import (
    DEFAULT_AFFECTS,
    VARIABLES,
    AppliesTo,
    Subject,
    subjects_of,
)

_PATH = re.compile(r"\b(element|flow|source|target|asset|placement|boundary)((?:\.[a-z_]+)+)")

# what each computed fact is derived from, and the subject list that shows the evidence
COMPUTED: dict[str, tuple[str, str | None]] = {
    "untrusted_callers": (
        "untrusted elements that can connect to it: its exposure or reachableFrom, "
        "and flows from untrusted elements",
        "callers",
    ),
    "internet_exposed": ("exposure internet, or reachable from an internet boundary", None),
    "influenced_inputs": (
        "assets it takes in that untrusted or exposed parties may have written",
        "influenced",
    ),
    "influenced_callers": ("untrusted or exposed elements that send it requests", "forwarders"),
    "untrusted_input": ("it has untrusted callers or takes influenced input", "callers"),
    "exposed": ("it has untrusted callers or is internet-exposed", "callers"),
    "authority_rank": (
        "3 when privileged or a policy decision point, else the breadth of what it holds",
        "held",
    ),
    "compromise_authority_rank": (
        "the broadest authority compromising it yields: its own, and the credentials it "
        "and what it controls hold",
        "gained_authority",
    ),
    "max_held_authority": ("the broadest credential it holds", "held"),
    "colocated_untrusted": (
        "untrusted elements sharing a weakly isolated boundary (a node) with it",
        "colocated_untrusted",
    ),
    "host_controllers": (
        "elements that can take over its node: untrusted ones with hostAccess, shells "
        "into privileged elements there",
        "host_controllers",
    ),
    "unverified_artifacts": (
        "artifacts it runs that no store verifies (artifactIntegrityVerified)",
        "artifacts",
    ),
    "decision_consumers": ("callers that act on its answers", "decision_consumers"),
    "logins_with_mfa": ("every authenticating flow it starts sets mfa: true", None),
    "crossing_count": ("boundaries the flow leaves or enters (from boundary nesting)", "crossings"),
    "on_path_untrusted": (
        "untrusted elements inside the innermost boundary around both ends",
        "on_path",
    ),
    "untrusted_end": ("one end of the flow is untrusted", None),
    "target_chosen_by": ("configuration named in targetChosenBy", "chosen_by"),
    "target_chosen_by_untrusted": ("untrusted writers of that configuration", "chooser_writers"),
    "target_chosen_by_lesser": (
        "writers of that configuration with less authority than the caller",
        "chooser_writers",
    ),
    "source_needs": (
        "the caller gets back a short-lived credential it holds, or an asset whose "
        "availability is rated high",
        None,
    ),
    "target_needs": ("the target receives a short-lived credential it holds", None),
    "reachable_by_untrusted": ("untrusted elements reach it through flows", "reachers"),
    "reachable_by_compromise": (
        "exploiting an element that takes untrusted input yields it",
        "compromised",
    ),
    "untrusted_writers": ("untrusted elements that may write it", "untrusted_writers"),
    "lesser_writers": (
        "writers with less authority than what it steers (configuredBy, runsArtifacts)",
        "lesser_writers",
    ),
    "consumer_count": ("elements it steers (configuredBy, runsArtifacts)", "consumers"),
    "impersonators": (
        "holders it does not identify, and holders of keys that issue it",
        "impersonators",
    ),
    "stores_audited": ("every store keeps an audit log (auditLogging, managed)", "stores"),
    "writer_count": ("elements that may write it", "writers"),
    "identities_shared": (
        "identitiesShared, unset meaning true for a namespace",
        None,
    ),
    "grants_privileged": ("some element it identifies is privileged", "grants"),
    "max_sensitivity": ("the most sensitive asset the flow carries or returns", "assets"),
    "max_integrity": ("the highest integrity rating of what the flow carries", "assets"),
    "max_stored_sensitivity": ("the most sensitive asset it stores", "stored"),
    "max_stored_integrity": ("the highest integrity rating of what it stores", "stored"),
    "local": ("the protocol is file, local-exec, signal or unix-socket", None),
    "untrusted": ("trusted: false, or runsUntrustedWorkloads", None),
    "is_credential": ("kind credential or key-material", None),
    "wide_scope": ("scope cluster, account, tenant, project, trust-domain or wider", None),
    "sensitivity_rank": ("sensitivity, public 1 … critical 5", None),
    "integrity_rank": ("integrity rating, low 1 … critical 4 (0 unrated)", None),
    "store_count": ("elements that store it", "stores"),
    "returns_data": ("something may come back to the caller (direction, returns)", None),
    "sends_data": ("the caller sends something (direction not pull)", None),
    "creator_count": ("workloadCreators of the boundary", "creators"),
    "max_credential_authority": (
        "the broadest credential held inside the boundary",
        "credentials",
    ),
}


@dataclass(frozen=True)
class Fact:
    """A value a condition reads, and where it comes from."""

    path: str
    value: str
    origin: str


@dataclass(frozen=True)
class Condition:
    text: str
    holds: bool
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Change:
    """An edit of the model, tried by deriving the threat again."""

    where: str
    edit: str
    effect: str  # "removes it" | "marks it mitigated"


@dataclass(frozen=True)
class Explanation:
    threat: GeneratedThreat
    rule: CompiledRule
    subject_kind: str
    applicable: tuple[Condition, ...]
    mitigated_when: tuple[Condition, ...]
    evidence: tuple[tuple[str, tuple[str, ...]], ...]
    changes: tuple[Change, ...]


# ---- splitting and reading expressions -----------------------------------------------


def _value_at(bindings: Mapping[str, Any], path: str) -> Any:
    current: Any = bindings
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return None
        current = current[step]
    return current


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return "unset"
    if isinstance(value, list):
        names = [v["name"] if isinstance(v, Mapping) and "name" in v else str(v) for v in value]
        return "[" + ", ".join(names) + "]"
    return str(value)


def _origin(path: str, subject: Subject, relations: Relations) -> str:
    """Where a fact lives in the model, or how it is computed."""
    root, *rest = path.split(".")
    field = rest[-1] if rest else root
    owner = {
        "element": subject.id,
        "source": _end(subject, relations, "source"),
        "target": _end(subject, relations, "target"),
    }.get(root)
    if rest[:1] == ["attributes"] and owner is not None and len(rest) == 2:
        return f"element {owner} attributes.{to_camel(field)}"
    if root == "flow" and field in _RAW_FLOW_FIELDS:
        return f"data flow {subject.id} {to_camel(field)}"
    if root == "asset" and field in _RAW_ASSET_FIELDS:
        return f"asset {subject.id} {to_camel(field)}"
    if root in ("element", "source", "target") and field == "type" and owner is not None:
        return f"element {owner} type"
    if field in COMPUTED:
        return "computed: " + COMPUTED[field][0]
    return "computed from the model"


def _end(subject: Subject, relations: Relations, end: str) -> str | None:
    flow = relations.index.data_flows.get(subject.id)
    if flow is None or subject.kind not in (AppliesTo.FLOW, AppliesTo.CROSSING):
        return None
    return flow.source if end == "source" else flow.target


_RAW_FLOW_FIELDS = frozenset(
    {
        "protocol",
        "authentication",
        "encrypted",
        "server_authenticated",
        "signed",
        "mfa",
        "direction",
    }
)
_RAW_ASSET_FIELDS = frozenset({"kind", "sensitivity", "lifetime", "scope", "breadth"})


def _conditions(
    expression: str, kind: AppliesTo, subject: Subject, relations: Relations
) -> tuple[Condition, ...]:
    from capsa.cel import CelEnvironment, CelError

    environment = CelEnvironment(VARIABLES[kind])
    out = []
    for part in split_top(expression, "&&"):
        try:
            holds = environment.compile(part).evaluate(subject.bindings) is True
        except CelError:  # a part that does not stand alone is shown as not holding
            holds = False
        paths = dict.fromkeys(
            m.group(1) + m.group(2) for m in _PATH.finditer(outside_strings(part))
        )
        facts = tuple(
            Fact(p, _show(_value_at(subject.bindings, p)), _origin(p, subject, relations))
            for p in paths
        )
        out.append(Condition(part, holds, facts))
    return tuple(out)


# ---- trying changes --------------------------------------------------------------------


# the attributes that describe a control, and the values that mean "the control is there";
# what an element or asset is (its kind, protocol, sensitivity) is not offered as a fix
_SAFER: dict[str, tuple[Any, ...]] = {
    "encrypted": (True,),
    "server_authenticated": (True,),
    "signed": (True,),
    "mfa": (True,),
    "authentication": (
        AuthMethod.MTLS,
        AuthMethod.OIDC,
        AuthMethod.BEARER_TOKEN,
        AuthMethod.API_KEY,
        AuthMethod.AWS_SIGV4,
    ),
    "encrypted_at_rest": (True,),
    "audit_logging": (True,),
    "rate_limited": (True,),
    "fail_open": (False,),
    "artifact_integrity_verified": (True,),
    "creation_bounded": (True,),
    "host_access": (False,),
    "privileged": (False,),
    "runs_untrusted_workloads": (False,),
    "single_point_of_failure": (False,),
    "authorization_client_side_only": (False,),
    "lifetime": (AssetLifetime.SHORT,),
    "breadth": (Breadth.NARROW,),
}
_NARROWER = (
    Exposure.INTERNET,
    Exposure.VPC,
    Exposure.CLUSTER,
    Exposure.NAMESPACE,
    Exposure.NODE_LOCAL,
    Exposure.LINK_LOCAL,
    Exposure.POD_LOCAL,
    Exposure.NONE,
)


def _field_candidates(name: str, current: Any) -> list[Any]:
    """Values of a control attribute that would put the control in place."""
    if name == "exposure":
        if current is None:
            return [Exposure.NONE]
        return list(_NARROWER[_NARROWER.index(current) + 1 :])
    return [v for v in _SAFER.get(name, ()) if v != current]


# computed facts of an element and the element's own attributes that drive them
_DRIVERS: dict[str, tuple[str, ...]] = {
    "untrusted_callers": ("exposure",),
    "internet_exposed": ("exposure",),
    "exposed": ("exposure",),
    "untrusted_input": ("exposure",),
}


def _edits(
    path: str, subject: Subject, relations: Relations
) -> Iterator[tuple[str, str, str, Any]]:
    """(section, id, field, value) edits of the control attributes a fact path reads."""
    root, *rest = path.split(".")
    index = relations.index
    if root in ("element", "source", "target") and len(rest) == 1 and rest[0] in _DRIVERS:
        for driver in _DRIVERS[rest[0]]:
            yield from _edits(f"{root}.attributes.{driver}", subject, relations)
        return
    if rest[:1] == ["attributes"] and len(rest) == 2:
        owner = subject.id if root == "element" else _end(subject, relations, root)
        element = index.elements.get(owner or "")
        if element is not None:
            current = getattr(element.attributes, rest[1], None)
            for value in _field_candidates(rest[1], current):
                yield ("attributes", element.id, rest[1], value)
    elif root == "flow" and rest and rest[0] in _RAW_FLOW_FIELDS:
        flow = index.data_flows.get(subject.id)
        if flow is not None:
            for value in _field_candidates(rest[0], getattr(flow, rest[0])):
                yield ("dataFlows", flow.id, rest[0], value)
    elif root == "asset" and rest and rest[0] in _RAW_ASSET_FIELDS:
        asset = index.assets.get(subject.id)
        if asset is not None:
            for value in _field_candidates(rest[0], getattr(asset, rest[0])):
                yield ("assets", asset.id, rest[0], value)


def _apply(model: SystemModel, section: str, item_id: str, field: str, value: Any) -> SystemModel:
    if section == "attributes":
        elements = [
            e.model_copy(update={"attributes": e.attributes.model_copy(update={field: value})})
            if e.id == item_id
            else e
            for e in model.elements
        ]
        return model.model_copy(update={"elements": elements})
    if section == "dataFlows":
        flows = [
            f.model_copy(update={field: value}) if f.id == item_id else f for f in model.data_flows
        ]
        return model.model_copy(update={"data_flows": flows})
    assets = [a.model_copy(update={field: value}) if a.id == item_id else a for a in model.assets]
    return model.model_copy(update={"assets": assets})


def _changes(
    model: SystemModel,
    rule: CompiledRule,
    threat: GeneratedThreat,
    subject: Subject,
    relations: Relations,
    conditions: tuple[Condition, ...],
) -> tuple[Change, ...]:
    found: dict[tuple[str, str], list[str]] = {}
    effects: dict[tuple[str, str], str] = {}
    tried: set[tuple[str, str, str, str]] = set()
    for condition in conditions:
        for fact in condition.facts:
            for section, item_id, field, value in _edits(fact.path, subject, relations):
                shown = value.value if isinstance(value, Enum) else _show(value)
                key = (section, item_id, field, shown)
                if key in tried:
                    continue
                tried.add(key)
                after = [
                    t
                    for t in generate(_apply(model, section, item_id, field, value), [rule])
                    if t.id == threat.id
                ]
                if after and (threat.mitigated or not after[0].mitigated):
                    continue
                noun = {"attributes": "element", "dataFlows": "data flow", "assets": "asset"}
                prefix = "attributes." if section == "attributes" else ""
                where = f"{noun[section]} {item_id} {prefix}{to_camel(field)}"
                effect = "removes it" if not after else "marks it mitigated"
                found.setdefault((where, effect), []).append(shown)
                effects[(where, effect)] = effect
    return tuple(
        Change(where, " or ".join(values), effect) for (where, effect), values in found.items()
    )


# ---- entry point -------------------------------------------------------------------------


def explain(model: SystemModel, rules: list[CompiledRule], threat_id: str) -> Explanation | None:
    """The explanation of one generated threat, or None when no rule derives it."""
    rule_id, _, subject_id = threat_id.partition("@")
    rule = next((r for r in rules if r.spec.id == rule_id), None)
    if rule is None:
        return None
    relations = Relations(model)
    threat = next((t for t in generate(model, [rule], relations) if t.id == threat_id), None)
    if threat is None:
        return None
    kind = rule.spec.applies_to
    subject = next(s for s in subjects_of(relations, kind) if s.id == subject_id)
    applicable = _conditions(rule.spec.applicable, kind, subject, relations)
    mitigated_when = _conditions(rule.spec.mitigated_when, kind, subject, relations)
    relevant = set(rule.spec.affects or DEFAULT_AFFECTS[kind])
    for condition in (*applicable, *mitigated_when):
        for fact in condition.facts:
            listed = COMPUTED.get(fact.path.rsplit(".", 1)[-1], ("", None))[1]
            if listed:
                # a flow's ends have their own lists (target_callers)
                owned = f"{fact.path.split('.')[0]}_{listed}"
                relevant.add(owned if owned in subject.lists else listed)
    evidence = tuple((name, ids) for name, ids in subject.lists.items() if ids and name in relevant)
    changes = _changes(model, rule, threat, subject, relations, (*applicable, *mitigated_when))
    return Explanation(threat, rule, kind.value, applicable, mitigated_when, evidence, changes)
