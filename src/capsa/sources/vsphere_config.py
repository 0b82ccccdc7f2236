"""The one value capsa reads from vSphere cloud-provider and CSI configuration: whether
it turns TLS verification of vCenter off.

The vSphere cloud provider (CPI) and CSI driver read a `vsphere.conf` /
`csi-vsphere.conf` that CAPV's templates ship in a ConfigMap or Secret through a
ClusterResourceSet (cluster-api-provider-vsphere@111a1ba9bc520513125324c90aa3a8b80321fc13:
templates/cluster-template.yaml:359-376,1477-1492). The file is YAML (tried first) or
INI (gcfg) (kubernetes/cloud-provider-vsphere@60f6c5dfe164b59d1ba79b7d10b7c5db4975f476:
pkg/common/config/config.go:258-285); verification is off when `insecureFlag` (YAML,
types_yaml.go:41-42 global, :91-92 per vCenter) or `insecure-flag` (INI,
types_ini_legacy.go:35-36 `[Global]`, :85-86 `[VirtualCenter "..."]`; the CSI driver
likewise, kubernetes-sigs/vsphere-csi-driver@bf80902567175f298195110dee2abdd4d90f9863:
pkg/common/config/types.go:68,161) is true; a vCenter that leaves it false takes the
global value (config_yaml.go:187-190, config_ini_legacy.go:224-227; CSI config.go:418-420).

Such a file sits beside a vCenter password. The parser below keeps nothing of the text:
it answers True, False or None (not a vSphere configuration), plus the clusterctl
variables an undecided flag waits for; no other value leaves it, and it neither prints
nor logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from capsa.sources.clusterctl_vars import UNRESOLVED_RE
from capsa.yamlio import LineLoader, may_have_aliases, refusal

MAX_CONFIG_BYTES = 1024 * 1024
"""A vSphere configuration is a few hundred bytes; anything far larger is not one."""

_SECTION = re.compile(r'^\s*\[\s*([A-Za-z][A-Za-z0-9-]*)(?:\s+"[^"\n]*")?\s*\]\s*(?:[;#].*)?$')
_VARIABLE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*?))?\s*$")
_INI_SECTIONS = frozenset({"global", "virtualcenter"})
_VSPHERE_GLOBAL_KEYS = frozenset({"insecure-flag", "thumbprint", "datacenters"})
"""Keys only vSphere's [Global] has: the AWS and other cloud configs share the section
name, not these."""
_YAML_GLOBAL_KEYS = frozenset({"insecureFlag", "thumbprint", "datacenters"})
_MANIFEST = re.compile(r"(?m)^(?:apiVersion|kind):")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


@dataclass(frozen=True)
class InsecureFlag:
    """What a configuration says of TLS verification: `insecure` True when the global
    section or a vCenter turns it off; `waits_for` the clusterctl variables an
    unresolved flag holds (then `insecure` is False unless a literal true decides);
    `unreadable` when the text names the flag but capsa refuses to build it as YAML
    (nested too deeply, aliases expanding too far, a value its tag cannot hold):
    undecided, never a pass."""

    insecure: bool
    waits_for: tuple[str, ...] = ()
    unreadable: bool = False


_REFUSED = object()
"""`_yaml`'s answer for a text that composes as YAML but that capsa will not build."""
_NAMES_THE_FLAG = re.compile(
    r"""^[ \t]*(?:-[ \t]+)?["']?insecure-?flag["']?[ \t]*[:=]""", re.IGNORECASE | re.MULTILINE
)
"""The flag written as a key (YAML `insecureFlag:`, INI `insecure-flag =`), not in a
comment or a value."""


def insecure_flag(text: str) -> InsecureFlag | None:
    """The flag of a vSphere CPI/CSI configuration, or None when `text` is not one."""
    if not text or len(text) > MAX_CONFIG_BYTES or _MANIFEST.search(text):
        return None  # Kubernetes manifests (a carrier's payload) are no configuration
    parsed = _yaml(text)
    if parsed is _REFUSED:
        return InsecureFlag(False, unreadable=True) if _NAMES_THE_FLAG.search(text) else None
    if isinstance(parsed, Mapping):
        return _from_yaml(parsed)
    return _from_ini(text)


def _yaml(text: str) -> Any:
    """The YAML document `text` holds, None (not YAML, several documents), or `_REFUSED`
    (a shape capsa refuses to build, or a value its tag cannot hold: `!!int x`). One
    loader composes the text, the guards judge the nodes, and the same nodes are built."""
    # libyaml composes without Python recursion (and refuses nesting past its own
    # limit); the guards then refuse deep nesting before anything is built
    loader = LineLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except (yaml.YAMLError, RecursionError):
            return None
        if node is None:
            return None
        if refusal(node, may_have_aliases(text)) is not None:
            return _REFUSED
        try:
            return loader.construct_document(node)
        except (yaml.YAMLError, RecursionError):  # LineLoader: a value not built is one
            return _REFUSED
    finally:
        loader.dispose()


def _from_yaml(doc: Mapping[Any, Any]) -> InsecureFlag | None:
    sections: list[Any] = []
    top = doc.get("global")
    if isinstance(top, Mapping):
        sections.append(top)
    vcenters = doc.get("vcenter")
    if isinstance(vcenters, Mapping):
        sections.extend(vcenters.values())
    vsphere = "vcenter" in doc or (isinstance(top, Mapping) and bool(_YAML_GLOBAL_KEYS & set(top)))
    if not vsphere:
        return None
    flags = [s.get("insecureFlag") for s in sections if isinstance(s, Mapping)]
    return _decide([_yaml_value(v) for v in flags])


def _yaml_value(value: Any) -> bool | str | None:
    """True/False for a YAML boolean, the variable name for an unresolved one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        found = UNRESOLVED_RE.search(value)
        if found is not None:
            return found.group(1)
    return None


def _from_ini(text: str) -> InsecureFlag | None:
    section: str | None = None
    recognised = False
    values: list[bool | str | None] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        header = _SECTION.match(line)
        if header is not None:
            section = header.group(1).lower()
            recognised = recognised or section == "virtualcenter"
            continue
        variable = _VARIABLE.match(line)
        if variable is None or section not in _INI_SECTIONS:
            continue
        name = variable.group(1).lower()
        recognised = recognised or name in _VSPHERE_GLOBAL_KEYS
        if name == "insecure-flag":
            values.append(_ini_value(variable.group(2)))
    return _decide(values) if recognised else None


def _ini_value(raw: str | None) -> bool | str | None:
    """gcfg's reading of a bool: a name with no value is true; true/yes/on/1 and
    false/no/off/0 in any case, quoted or not, a trailing comment ignored."""
    if raw is None:
        return True
    value = raw.strip()
    if value.startswith('"'):
        value = value[1:].split('"', 1)[0]
    else:
        value = re.split(r"\s[;#]|^[;#]", value, maxsplit=1)[0].strip()
    found = UNRESOLVED_RE.search(value)
    if found is not None:
        return found.group(1)
    lowered = value.lower()
    if lowered in _TRUE or value == "":
        return True
    if lowered in _FALSE:
        return False
    return None  # gcfg refuses the file: the component does not start


def _decide(values: list[bool | str | None]) -> InsecureFlag:
    if any(v is True for v in values):
        return InsecureFlag(True)
    waiting = tuple(dict.fromkeys(v for v in values if isinstance(v, str)))
    return InsecureFlag(False, waiting)
