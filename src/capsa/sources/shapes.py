"""The shapes capsa's whole-input analyses read, checked where a manifest is read.

The API server refuses an object whose fields have the wrong type; a manifest in git has
had no such check. capsa's analyses across objects (RBAC resolution, ClusterRole
aggregation, the controllers' Deployments, ClusterResourceSet selection, kustomize patch
and generator lists) read these fields and skip what they cannot read, so a field of
the wrong type must not pass unseen: each one is a problem at its own line, naming the
field, what Kubernetes expects there and what capsa does instead.

- an object without a usable `metadata.name` (and no `generateName`) is not read: it
  would be judged as an object without a name;
- a kustomization's field of the wrong type is reported (`kustomization_problems`), and
  the copy capsa keeps (`capsa.sources.kustomize.read_fields`) holds none;
- a wrong field of an object is reported here and left in its body (the checks judge
  the object as written); the analyses' readers (`capsa.capi.access`, `capsa.kube`)
  ignore it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from capsa.errors import Problem
from capsa.kube import RBAC_GROUP, RULE_LISTS, SELECTOR_OPERATORS, group_of
from capsa.sources.kustomize import GENERATORS
from capsa.yamlio import key_position_of

_ROLES = frozenset({"Role", "ClusterRole"})
_BINDINGS = frozenset({"RoleBinding", "ClusterRoleBinding"})
_POD_TEMPLATES = frozenset({"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"})
_SCALARS = (str, int, float, bool)

Path = tuple[str | int, ...]


def _line(doc: Any, path: Path, fallback: int | None) -> int | None:
    position = key_position_of(doc, path) if path else None
    return position[0] if position else fallback


def _shown(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else ("." if out else "") + str(step)
    return out


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_CONFIG_GROUPS = frozenset({"kubeadm.k8s.io", "audit.k8s.io", "kind.x-k8s.io"})


def is_config_file(doc: Mapping[Any, Any]) -> bool:
    """A tool's configuration file written in the Kubernetes style (kubeadm, kubelet and
    API server configuration, an audit policy, a kubeconfig, clusterawsadm's
    AWSIAMConfiguration): no API object, so it need not have a name."""
    group, kind = group_of(str(doc.get("apiVersion", ""))), doc.get("kind")
    return (
        group in _CONFIG_GROUPS
        or group.endswith(".config.k8s.io")
        or (group == "" and kind == "Config")
        or (group == "bootstrap.aws.infrastructure.cluster.x-k8s.io"
            and kind == "AWSIAMConfiguration")
    )  # fmt: skip


def name_problem(doc: Mapping[Any, Any], path: str, line: int) -> Problem | None:
    """Why `doc` cannot be read as an object with a name, or None when it can. A tool's
    configuration file (`is_config_file`) may have no metadata at all."""
    meta = doc.get("metadata")
    if meta is not None and not isinstance(meta, Mapping):
        what = "metadata must be a mapping"
    else:
        meta = meta or {}
        name, generate = meta.get("name"), meta.get("generateName")
        if isinstance(name, str) and name:
            return None
        if name is None and isinstance(generate, str) and generate:
            return None
        if name is None and is_config_file(doc):
            return None
        what = "metadata.name must be a non-empty string"
    kind = doc.get("kind")
    at = _line(doc, ("metadata", "name") if isinstance(meta, Mapping) else ("metadata",), line)
    return Problem(path, at, None, f"{kind}: {what}; the object is not read")


# -- objects ---------------------------------------------------------------------------


def object_problems(doc: Mapping[Any, Any], path: str, line: int) -> list[Problem]:
    """Fields of `doc` (a Kubernetes object with a name) that capsa's analyses read and
    that have a type Kubernetes would refuse."""
    kind = doc.get("kind")
    group = group_of(str(doc.get("apiVersion", "")))
    found: list[tuple[Path, str]] = []
    if group == RBAC_GROUP and kind in _ROLES:
        found.extend(_role(doc))
    elif group == RBAC_GROUP and kind in _BINDINGS:
        found.extend(_binding(doc))
    elif group == "apps" or (group == "batch" and kind == "Job"):
        if kind in _POD_TEMPLATES:
            found.extend(_pod_spec(doc, ("spec", "template", "spec")))
    elif group == "" and kind == "Pod":
        found.extend(_pod_spec(doc, ("spec",)))
    elif kind == "ClusterResourceSet" and group.startswith("addons.cluster.x-k8s.io"):
        spec = doc.get("spec")
        if isinstance(spec, Mapping) and "clusterSelector" in spec:
            found.extend(_selector(spec["clusterSelector"], ("spec", "clusterSelector")))
    if group.endswith(_KUBEADM_GROUPS) and kind != "ClusterClass":
        found.extend(_repeated_flags(doc, line))
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return [
        Problem(path, _line(doc, where, line), None, f"{kind}/{name}: {what}")
        for where, what in found
    ]


_KUBEADM_GROUPS = ("bootstrap.cluster.x-k8s.io", "controlplane.cluster.x-k8s.io")
_FLAG_LISTS = frozenset({"extraArgs", "kubeletExtraArgs"})


def _repeated_flags(doc: Mapping[Any, Any], line: int) -> Iterator[tuple[Path, str]]:
    """Each v1beta2 flag list (`extraArgs`, `kubeletExtraArgs`: `[{name, value}]`) entry
    whose name an earlier entry has. CAPI's CRD refuses the object ("extraArgs name must
    be unique", api/bootstrap/kubeadm/v1beta2/kubeadm_types.go:247,288,320,416,539 at
    ae7ff047); the checks judge the last entry of the name (`variables.apiServerFlags`),
    as a repeated flag on a command line and a v1beta1 map key written twice are read."""
    stack: list[tuple[Path, Any]] = [((), doc)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend(((*where, k), v) for k, v in node.items() if isinstance(k, str))
            continue
        if not isinstance(node, list):
            continue
        if where and where[-1] in _FLAG_LISTS:
            first: dict[str, int] = {}
            for at, entry in enumerate(node):
                name = entry.get("name") if isinstance(entry, Mapping) else None
                if not isinstance(name, str):
                    continue
                if name in first:
                    was = _line(doc, (*where, first[name]), line)
                    now = _line(doc, (*where, at), line)
                    yield (
                        (*where, at),
                        f"{_shown(where)} repeats the flag {name[:100]} (line {was} and "
                        f"{now}); Kubernetes refuses it (CAPI: {where[-1]} name must be "
                        "unique), capsa judges the last one",
                    )
                first[name] = at
            continue
        stack.extend(((*where, at), v) for at, v in enumerate(node))


def _role(doc: Mapping[Any, Any]) -> Iterator[tuple[Path, str]]:
    rules = doc.get("rules")
    if rules is not None and not isinstance(rules, list):
        yield (
            ("rules",),
            "rules must be a list of PolicyRules; the role is read as granting nothing",
        )
    for at, rule in enumerate(rules if isinstance(rules, list) else ()):
        if not isinstance(rule, Mapping):
            yield ("rules", at), "a rule must be a mapping (a PolicyRule); that rule is ignored"
            continue
        for key in RULE_LISTS:
            value = rule.get(key)
            if value is not None and not _is_strings(value):
                yield (
                    ("rules", at, key),
                    f"rules[{at}].{key} must be a list of strings; that rule is ignored",
                )
    if "aggregationRule" not in doc or doc.get("aggregationRule") is None:
        return
    rule = doc["aggregationRule"]
    if not isinstance(rule, Mapping):
        yield ("aggregationRule",), "aggregationRule must be a mapping; it is ignored"
        return
    selectors = rule.get("clusterRoleSelectors")
    if selectors is not None and not isinstance(selectors, list):
        yield (
            ("aggregationRule", "clusterRoleSelectors"),
            "aggregationRule.clusterRoleSelectors must be a list of label selectors; it is ignored",
        )
        return
    for at, selector in enumerate(selectors or ()):
        yield from _selector(selector, ("aggregationRule", "clusterRoleSelectors", at))


def _binding(doc: Mapping[Any, Any]) -> Iterator[tuple[Path, str]]:
    ref = doc.get("roleRef")
    if not isinstance(ref, Mapping):
        yield (
            ("roleRef",),
            "roleRef must be a mapping with apiGroup, kind and name; the binding is read "
            "as granting nothing",
        )
    else:
        for key in ("kind", "name"):
            if not isinstance(ref.get(key), str):
                yield (
                    ("roleRef", key),
                    f"roleRef.{key} must be a string; the binding is read as granting nothing",
                )
    subjects = doc.get("subjects")
    if subjects is not None and not isinstance(subjects, list):
        yield (
            ("subjects",),
            "subjects must be a list of subjects (kind, name, namespace); the binding is "
            "read as having none",
        )
        return
    for at, subject in enumerate(subjects or ()):
        if not isinstance(subject, Mapping):
            yield ("subjects", at), "a subject must be a mapping; that subject is ignored"


def _pod_spec(doc: Mapping[Any, Any], where: Path) -> Iterator[tuple[Path, str]]:
    spec: Any = doc
    for step in where:
        spec = spec.get(step) if isinstance(spec, Mapping) else None
    if not isinstance(spec, Mapping):
        return
    for key in ("initContainers", "containers"):
        value = spec.get(key)
        if value is not None and not isinstance(value, list):
            yield (
                (*where, key),
                f"{_shown((*where, key))} must be a list of containers; capsa reads none",
            )
            continue
        for at, container in enumerate(value or ()):
            if not isinstance(container, Mapping):
                yield (
                    (*where, key, at),
                    f"{_shown((*where, key, at))} must be a mapping (a container); "
                    "that container is ignored",
                )


def _selector(selector: Any, where: Path) -> Iterator[tuple[Path, str]]:
    """A label selector Kubernetes would accept; capsa reads any other as selecting
    nothing (`capsa.kube.selector_matches`)."""
    shown = _shown(where)
    ignored = "capsa reads the selector as selecting nothing"
    if selector is None:
        return
    if not isinstance(selector, Mapping):
        yield where, f"{shown} must be a label selector (a mapping); {ignored}"
        return
    labels = selector.get("matchLabels")
    if labels is not None and (
        not isinstance(labels, Mapping)
        or not all(v is None or isinstance(v, _SCALARS) for v in labels.values())
    ):
        yield (
            (*where, "matchLabels"),
            f"{shown}.matchLabels must map label keys to strings; {ignored}",
        )
    expressions = selector.get("matchExpressions")
    if expressions is not None and not isinstance(expressions, list):
        yield (
            (*where, "matchExpressions"),
            f"{shown}.matchExpressions must be a list of requirements; {ignored}",
        )
        return
    for at, expr in enumerate(expressions or ()):
        here = (*where, "matchExpressions", at)
        if not isinstance(expr, Mapping):
            yield here, f"{_shown(here)} must be a mapping (key, operator, values); {ignored}"
            continue
        if not isinstance(expr.get("key"), str):
            yield (*here, "key"), f"{_shown(here)}.key must be a string; {ignored}"
        if expr.get("operator") not in SELECTOR_OPERATORS:
            yield (
                (*here, "operator"),
                f"{_shown(here)}.operator must be one of In, NotIn, Exists, DoesNotExist; "
                f"{ignored}",
            )
        values = expr.get("values")
        if values is not None and (
            not isinstance(values, list) or not all(isinstance(v, _SCALARS) for v in values)
        ):
            yield (*here, "values"), f"{_shown(here)}.values must be a list of strings; {ignored}"


# -- kustomizations --------------------------------------------------------------------

_KUSTOMIZE_LISTS = ("resources", "patchesStrategicMerge", "patches", "patchesJson6902")


def kustomization_problems(doc: Mapping[Any, Any], path: str, line: int) -> list[Problem]:
    """A problem for each field capsa reads of a kustomization (patch, resource and
    generator lists) whose type kustomize would refuse; `kustomize.read_fields` keeps
    none of them."""
    problems: list[Problem] = []

    def drop(where: Path, what: str) -> None:
        at = _line(doc, where, line)
        problems.append(Problem(path, at, None, f"{what}; that field is ignored"))

    for key in (*_KUSTOMIZE_LISTS, *GENERATORS):
        value = doc.get(key)
        if value is not None and not isinstance(value, list):
            item = "generators" if key in GENERATORS else "entries"
            drop((key,), f"{key} must be a list of {item}")
    if "generatorOptions" in doc and not isinstance(doc["generatorOptions"], Mapping | None):
        drop(("generatorOptions",), "generatorOptions must be a mapping")
    for key in GENERATORS:
        generators = doc.get(key)
        for at, generator in enumerate(generators if isinstance(generators, list) else ()):
            if not isinstance(generator, Mapping):
                continue
            files = generator.get("files")
            if files is not None and not isinstance(files, list):
                drop((key, at, "files"), f"{key}[{at}].files must be a list of paths")
            options = generator.get("options")
            if options is not None and not isinstance(options, Mapping):
                drop((key, at, "options"), f"{key}[{at}].options must be a mapping")
    return problems
