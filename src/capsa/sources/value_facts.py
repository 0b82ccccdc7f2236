"""Yes/no facts read from ConfigMap and Secret values before a Secret's are dropped.

Checks judge Secrets by key names only (`redact`), yet one setting that decides a
threat lives inside a Secret's value: whether a vSphere cloud-provider or CSI
configuration turns TLS verification of vCenter off (`vsphere_config`). Each value of a
v1 ConfigMap or Secret is offered to that parser as the object is read; the resource
keeps its answer (`Resource.value_facts`) and, when the flag waits for a clusterctl
variable, an unknown path (`vsphereInsecureFlag.<key>`) naming it. The text itself is
never kept here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from capsa.sources.redact import decoded_secret_value
from capsa.sources.resource import Resource, ValueFact
from capsa.sources.vsphere_config import insecure_flag

VSPHERE_INSECURE_FLAG = "vsphereInsecureFlag"
"""The fact's name, and the first step of the unknown path an unresolved flag leaves."""


def _values(body: Mapping[str, Any], secret: bool) -> Iterator[tuple[str, str]]:
    """(key, text) of each string value; a Secret's `data` decoded from base64."""
    for field in ("data", "stringData") if secret else ("data",):
        section = body.get(field)
        if not isinstance(section, Mapping):
            continue
        for key, value in section.items():
            if not isinstance(value, str) or not value:
                continue
            text = decoded_secret_value(value) if secret and field == "data" else value
            if text is not None:
                yield str(key), text


def with_value_facts(resource: Resource) -> Resource:
    """`resource` with the facts its ConfigMap/Secret values hold (itself when none)."""
    if resource.api_version != "v1" or resource.kind not in ("ConfigMap", "Secret"):
        return resource
    facts: list[ValueFact] = []
    unknown: dict[tuple[str | int, ...], str] = {}
    for key, text in _values(resource.body, resource.kind == "Secret"):
        flag = insecure_flag(text)
        if flag is None:
            continue
        facts.append(ValueFact(VSPHERE_INSECURE_FLAG, key, flag.insecure))
        if flag.unreadable:
            unknown[(VSPHERE_INSECURE_FLAG, key)] = (
                f"the vSphere configuration under {key!r} cannot be read (it nests too"
                " deeply, its aliases expand too far, or a value does not fit its tag):"
                " check its insecure flag by hand"
            )
        elif flag.waits_for and not flag.insecure:
            names = ", ".join("${" + n + "}" for n in flag.waits_for)
            sets = " ".join(f"--var {n}=..." for n in flag.waits_for)
            unknown[(VSPHERE_INSECURE_FLAG, key)] = (
                f"the insecure flag of the vSphere configuration under {key!r} is "
                f"{names}: set {sets}"
            )
    if not facts:
        return resource
    return replace(
        resource,
        value_facts=tuple(facts),
        unknown_paths=resource.unknown_paths | frozenset(unknown),
        unknown_reasons={**resource.unknown_reasons, **unknown},
    )
