"""Manifests shipped inside ClusterResourceSet ConfigMaps and Secrets, scanned as objects.

A ClusterResourceSet applies whatever YAML its ConfigMaps/Secrets carry to every matching
workload cluster, so those payloads are configuration like any other manifest. Each
embedded object is yielded with the carrier's file, the line of the data key, and
`carrier="<Kind>/<namespace>/<name>:<key>"`. When the payload is a literal block (`|`)
in the carrier file (ConfigMap `data`, Secret `stringData`), the embedded object's field
positions are moved onto the carrier file's lines, so a finding points at the offending
field's own line there (`capsa.checks.engine.field_location`); otherwise (a base64
Secret `data` value, a quoted or folded string) every position is the data key's.

Secret values are never kept: every Secret body (a top-level one and any Secret found
inside a payload) has its `data`/`stringData` values replaced by `"<redacted>"`, keys kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from capsa.errors import Problem
from capsa.sources.classify import Tally, to_resources
from capsa.sources.documents import PayloadMap, load_documents
from capsa.sources.redact import REDACTED, decoded_secret_value, is_secret, redact_secret
from capsa.sources.resource import Origin, Resource
from capsa.sources.value_facts import with_value_facts
from capsa.yamlio import LineDict, Placement, Position

RESOURCE_SET_SECRET_TYPE = "addons.cluster.x-k8s.io/resource-set"  # noqa: S105 - a type name
CRS_GROUP = "addons.cluster.x-k8s.io"
_PAYLOAD_FIELDS = ("data", "stringData")


def _ref_key(kind: str, namespace: str | None, name: str) -> tuple[str, str | None, str]:
    return (kind, namespace, name)


def referenced(resources: Iterable[Resource]) -> set[tuple[str, str | None, str]]:
    refs: set[tuple[str, str | None, str]] = set()
    for res in resources:
        if res.kind != "ClusterResourceSet" or res.group != CRS_GROUP:
            continue
        spec = res.body.get("spec")
        entries = spec.get("resources") if isinstance(spec, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                kind = entry.get("kind") if isinstance(entry.get("kind"), str) else "ConfigMap"
                refs.add(_ref_key(str(kind), res.namespace, entry["name"]))
    return refs


def is_carrier(res: Resource, refs: set[tuple[str, str | None, str]]) -> bool:
    if res.api_version != "v1" or res.kind not in ("ConfigMap", "Secret"):
        return False
    if res.kind == "Secret" and res.body.get("type") == RESOURCE_SET_SECRET_TYPE:
        return True
    if _ref_key(res.kind, res.namespace, res.name) in refs:
        return True
    # a namespace left out on either side (clusterctl templates) still names the same object
    return any(
        k == res.kind and n == res.name and (ns is None or res.namespace is None)
        for k, ns, n in refs
    )


def _payloads(
    carrier: Resource,
) -> Iterable[tuple[str, str | None, Position, Position | None, str | None]]:
    """(key, text, key position, literal start, error) for each payload of a carrier."""
    for field in _PAYLOAD_FIELDS:
        section = carrier.body.get(field)
        if not isinstance(section, LineDict):
            continue
        starts = section.literal_starts if isinstance(section, PayloadMap) else {}
        for key, value in section.items():
            fallback: Position = getattr(carrier.body, "position", (carrier.origin.line or 1, 1))
            key_pos = section.key_position(key) or fallback
            if not isinstance(value, str) or value == REDACTED:
                continue
            if carrier.kind == "Secret" and field == "data":
                text = decoded_secret_value(value)
                if text is None:
                    yield str(key), None, key_pos, None, "not valid base64-encoded UTF-8 text"
                    continue
                yield str(key), text, key_pos, None, None
            else:
                yield str(key), value, key_pos, starts.get(key), None


def _mover(key_pos: Position, literal: Position | None) -> Placement:
    if literal is None:
        return Placement(fixed=key_pos)
    first_line, indent = literal
    return Placement(lines=first_line - 1, columns=indent - 1)


def parse_documents(
    text: str, origin: Origin, placement: Placement
) -> tuple[list[Resource], list[Problem]]:
    """Resources from a payload embedded in a carrier; all share the carrier's origin and
    have their positions placed onto the carrier file by `placement`."""
    label = origin.carrier or ""
    marked: list[bool] = []
    docs, raw_problems = load_documents(text, origin.path, placement, marked)
    tally = Tally()
    moved = [(placement((line, 1))[0], doc) for line, doc in docs]
    to_resources(moved, origin.path, tally, lambda _line: origin, {}, marked)
    problems = [
        Problem(
            p.path,
            placement((p.line, 1))[0] if p.line else origin.line,
            None,
            f"{label}: {p.message}",
        )
        for p in [*raw_problems, *tally.problems]
    ]
    found = [with_value_facts(res) for res in tally.resources]  # before redaction
    for res in found:
        if is_secret(res.body):
            redact_secret(res.body)
    return found, problems


def expand_carrier(carrier: Resource) -> tuple[list[Resource], list[Problem]]:
    """The objects one carrier's payloads hold, and the problems parsing them. Call it
    before the carrier is redacted: a Secret's payloads are read from its values."""
    out: list[Resource] = []
    problems: list[Problem] = []
    seen: set[tuple[str, Origin]] = set()
    for key, text, key_pos, literal, error in _payloads(carrier):
        ns = carrier.namespace or ""
        label = f"{carrier.kind}/{ns}/{carrier.name}:{key}"
        if error is not None or text is None:
            problems.append(Problem(carrier.origin.path, key_pos[0], None, f"{label}: {error}"))
            continue
        origin = Origin(path=carrier.origin.path, line=key_pos[0], carrier=label)
        found, found_problems = parse_documents(text, origin, _mover(key_pos, literal))
        problems.extend(found_problems)
        for res in found:
            if (res.identity, res.origin) not in seen:
                seen.add((res.identity, res.origin))
                out.append(res)
    return out, problems


def expand_embedded(resources: list[Resource]) -> tuple[list[Resource], list[Problem]]:
    """Return `resources` plus the objects embedded in ClusterResourceSet carriers.

    Idempotent: objects already present (same identity and origin) are not added again,
    so running it on output of `read_manifests` (which already expands) changes nothing.
    """
    refs = referenced(resources)
    seen = {(r.identity, r.origin) for r in resources}
    out = list(resources)
    problems: list[Problem] = []
    for carrier in resources:
        if carrier.origin.carrier is not None or not is_carrier(carrier, refs):
            continue
        found, found_problems = expand_carrier(carrier)
        problems.extend(found_problems)
        for res in found:
            if (res.identity, res.origin) not in seen:
                seen.add((res.identity, res.origin))
                out.append(res)
    return out, problems
