"""Resolve a topology-managed Cluster against its ClusterClass.

Produces, per Cluster, the templates the topology controller would stamp out — with the
Cluster's variables and the class's plain JSON patches applied — as virtual resources
whose body keeps the template file's line positions. What cannot be evaluated statically
(Go-template values, external patches, unsupported `enabledIf`) is listed, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from capsa.capi import kinds
from capsa.capi.context import AppliedPatch, HealthCheck, SkippedPatch
from capsa.capi.index import ResourceIndex, namespace_of
from capsa.capi.patches import (
    MISSING,
    PatchError,
    apply_operation,
    copy_tree,
    evaluate_enabled_if,
    lookup_variable,
    pointer_steps,
)
from capsa.display import shown
from capsa.errors import Problem
from capsa.kube import dig
from capsa.sources.clusterctl_vars import looks_unresolved
from capsa.sources.resource import FieldOrigin, Origin, Resource
from capsa.yamlio import plain, position_of

_VAR_IN_TEMPLATE = re.compile(r"\.([A-Za-z_][\w]*)")


@dataclass
class Target:
    """One template instance the class produces for the Cluster."""

    slot: str  # infrastructureCluster | controlPlane | controlPlaneMachine | bootstrap | infrastructure
    role: str  # "" | control-plane | worker
    template: Resource
    body: Any
    pool: str = ""  # machineDeployment | machinePool for worker slots
    worker_class: str = ""
    worker_name: str = ""
    unknown: set[tuple[str | int, ...]] = field(default_factory=set)
    reasons: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    origins: dict[tuple[str | int, ...], FieldOrigin] = field(default_factory=dict)
    applied: list[AppliedPatch] = field(default_factory=list)

    def undecided(self, path: tuple[str | int, ...], reason: str) -> None:
        """Mark `path` as set by something capsa cannot evaluate, saying what."""
        self.unknown.add(path)
        self.reasons.setdefault(path, reason)

    def virtual(self, cluster: Resource | None) -> Resource:
        """The patched template as a Resource of its own, named per Cluster (None: the
        class's own template, judged with only what the class itself says)."""
        suffix = f".{self.worker_name}" if self.worker_name else ""
        name = self.template.name
        if cluster is not None:
            name = f"{self.template.name}@{cluster.name}{suffix}"
        return Resource(
            api_version=self.template.api_version,
            kind=self.template.kind,
            namespace=self.template.namespace if cluster is None else namespace_of(cluster),
            name=name,
            body=self.body,
            origin=Origin(
                path=self.template.origin.path,
                line=self.template.origin.line,
                carrier=self.template.origin.carrier,
            ),
            unknown_paths=frozenset(self.template.unknown_paths | self.unknown),
            unknown_reasons={**self.template.unknown_reasons, **self.reasons},
            field_origins=dict(self.origins),
        )


@dataclass
class ClassResolution:
    """The outcome of applying a ClusterClass to one Cluster."""

    targets: list[Target] = field(default_factory=list)
    health_checks: list[HealthCheck] = field(default_factory=list)
    not_evaluated: list[SkippedPatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def first(self, slot: str) -> Target | None:
        return next((t for t in self.targets if t.slot == slot), None)


def _is_unknown(resource: Resource, path: tuple[str | int, ...], value: Any) -> bool:
    return path in resource.unknown_paths or (isinstance(value, str) and looks_unresolved(value))


Where = dict[str, tuple[str, int]]
"""Where each variable's value was written (file, line): a finding on a field a patch set
from it points there."""


def _at(resource: Resource, node: Any, path: tuple[str | int, ...]) -> tuple[str, int] | None:
    position = position_of(node, path)
    if resource.origin.carrier is not None or position is None or position[0] <= 0:
        return None
    return resource.origin.path, position[0]


def _variables(
    cluster: Resource,
    cluster_class: Resource,
    overrides: Any,
    override_path: tuple[str | int, ...],
    where: Where,
) -> tuple[dict[str, Any], set[str]]:
    """Class defaults, then the Cluster's values, then per-worker overrides (`where` is
    filled with the place each value was written)."""
    values: dict[str, Any] = {}
    unknown: set[str] = set()
    definitions = dig(cluster_class.body, "spec", "variables")
    for definition in definitions if isinstance(definitions, list) else []:
        if not isinstance(definition, Mapping) or not isinstance(definition.get("name"), str):
            continue
        default = dig(definition, "schema", "openAPIV3Schema", "default")
        if default is not None:
            values[definition["name"]] = default
            found = _at(cluster_class, definition, ("schema", "openAPIV3Schema", "default"))
            if found is not None:
                where[definition["name"]] = found
    sources: list[tuple[Any, tuple[str | int, ...]]] = [
        (
            dig(cluster.body, "spec", "topology", "variables"),
            ("spec", "topology", "variables"),
        ),
        (overrides, override_path),
    ]
    for entries, base in sources:
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if (
                isinstance(entry, Mapping)
                and isinstance(entry.get("name"), str)
                and "value" in entry
            ):
                name = entry["name"]
                values[name] = entry["value"]
                found = _at(cluster, cluster.body, (*base, i, "value"))
                if found is not None:
                    where[name] = found
                if _is_unknown(cluster, (*base, i, "value"), entry["value"]):
                    unknown.add(name)
                else:
                    unknown.discard(name)
    return values, unknown


def _builtins(
    cluster: Resource, class_name: str, target: Target, cp_replicas: Any
) -> dict[str, Any]:
    topology = dig(cluster.body, "spec", "topology") or {}
    version = topology.get("version") if isinstance(topology, Mapping) else None
    builtin: dict[str, Any] = {
        "cluster": {
            "name": cluster.name,
            "namespace": namespace_of(cluster),
            "topology": {"version": version, "class": class_name},
        },
        "controlPlane": {"version": version, "replicas": cp_replicas},
    }
    if target.pool:
        builtin[target.pool] = {
            "version": version,
            "class": target.worker_class,
            "topologyName": target.worker_name,
        }
    return builtin


def _selector_matches(selector: Mapping[str, Any], target: Target) -> bool:
    api_version = selector.get("apiVersion")
    if isinstance(api_version, str) and kinds.group_of(api_version) != target.template.group:
        return False
    if selector.get("kind") != target.template.kind:
        return False
    match = selector.get("matchResources")
    if not isinstance(match, Mapping):
        return False
    if target.slot == "infrastructureCluster":
        return bool(match.get("infrastructureCluster"))
    if target.slot in ("controlPlane", "controlPlaneMachine"):
        return bool(match.get("controlPlane"))
    key = "machineDeploymentClass" if target.pool == "machineDeployment" else "machinePoolClass"
    names = dig(match, key, "names")
    return isinstance(names, list) and target.worker_class in names


def _worker_entry_overrides(
    cluster: Resource, pool: str, index: int
) -> tuple[Any, tuple[str | int, ...]]:
    key = "machineDeployments" if pool == "machineDeployment" else "machinePools"
    path: tuple[str | int, ...] = (
        "spec",
        "topology",
        "workers",
        key,
        index,
        "variables",
        "overrides",
    )
    return dig(cluster.body, *path), path


def _problem(resource: Resource, path: tuple[str | int, ...], message: str) -> Problem:
    position = position_of(resource.body, path)
    line = position[0] if position else resource.origin.line
    column = position[1] if position else None
    return Problem(resource.origin.path, line, column, message)


def _collect_targets(
    cluster: Resource, cluster_class: Resource, index: ResourceIndex, result: ClassResolution
) -> None:
    near = cluster_class
    namespace = namespace_of(cluster_class)

    def find(ref: kinds.ObjectRef | None, what: str) -> Resource | None:
        if ref is None:
            return None
        found = index.resolve(ref, namespace, near)
        if found is None:
            result.problems.append(
                _problem(
                    cluster_class,
                    ("spec",),
                    f"ClusterClass {shown(cluster_class.name)}: {what} "
                    f"{ref.not_found(index.names_in_file(ref.kind, near))}",
                )
            )
        return found

    body = cluster_class.body
    for slot, role, ref, what in (
        (
            "infrastructureCluster",
            "",
            kinds.class_infrastructure_ref(body),
            "infrastructure template",
        ),
        (
            "controlPlane",
            "control-plane",
            kinds.class_control_plane_ref(body),
            "control plane template",
        ),
        (
            "controlPlaneMachine",
            "control-plane",
            kinds.class_control_plane_machine_ref(body),
            "control plane machine template",
        ),
    ):
        template = find(ref, what)
        if template is not None:
            result.targets.append(Target(slot, role, template, copy_tree(template.body)))

    classes = {(w.pool, w.name): w for w in kinds.class_workers(body)}
    counters: dict[str, int] = {}
    for pool, entry in kinds.topology_workers(cluster.body):
        position = counters.get(pool, 0)
        counters[pool] = position + 1
        worker = classes.get((pool, entry["class"]))
        name = str(entry.get("name", entry["class"]))
        if worker is None:
            key = "machineDeployments" if pool == "machineDeployment" else "machinePools"
            result.problems.append(
                _problem(
                    cluster,
                    ("spec", "topology", "workers", key, position, "class"),
                    f"Cluster {shown(cluster.name)}: worker class {shown(entry['class'])!r} "
                    f"is not defined in ClusterClass {shown(cluster_class.name)}",
                )
            )
            continue
        for slot, ref in (
            ("bootstrap", worker.bootstrap),
            ("infrastructure", worker.infrastructure),
        ):
            template = find(ref, f"{worker.name} {slot} template")
            if template is not None:
                result.targets.append(
                    Target(
                        slot,
                        "worker",
                        template,
                        copy_tree(template.body),
                        pool=pool,
                        worker_class=worker.name,
                        worker_name=name,
                    )
                )
        if worker.health_check is not None:
            result.health_checks.append(
                HealthCheck(name, "ClusterClass", kinds.health_check_spec(worker.health_check))
            )


def _cluster_health_checks(
    cluster: Resource, cluster_class: Resource, result: ClassResolution
) -> None:
    """The control-plane health check a managed topology creates (Cluster override first)."""
    for source, body, base in (
        ("Cluster", cluster.body, ("spec", "topology", "controlPlane")),
        ("ClusterClass", cluster_class.body, ("spec", "controlPlane")),
    ):
        for key in ("healthCheck", "machineHealthCheck"):
            stanza = dig(body, *base, key)
            if isinstance(stanza, Mapping) and stanza:
                result.health_checks.insert(
                    0, HealthCheck("control-plane", source, kinds.health_check_spec(stanza))
                )
                return


def _value_for(
    op: Mapping[str, Any], variables: Mapping[str, Any], unknown_vars: set[str]
) -> tuple[Any, bool, str | None]:
    """(value, is_unknown, reason it cannot be evaluated)."""
    if "value" in op:
        return op["value"], False, None
    value_from = op.get("valueFrom")
    if not isinstance(value_from, Mapping):
        return None, False, "no value"
    if "template" in value_from:
        return None, False, "Go-template value"
    variable = value_from.get("variable")
    if not isinstance(variable, str):
        return None, False, "no value"
    value = lookup_variable(variables, variable)
    if value is MISSING:
        return None, False, f"variable {variable!r} has no value"
    unresolved = isinstance(value, str) and looks_unresolved(value)
    return copy_tree(value), unresolved or variable.split(".", 1)[0] in unknown_vars, None


def _apply_patches(cluster: Resource, cluster_class: Resource, result: ClassResolution) -> None:
    patches = dig(cluster_class.body, "spec", "patches")
    class_name = cluster_class.name
    shown_class = shown(class_name)
    cp_replicas = dig(cluster.body, "spec", "topology", "controlPlane", "replicas")
    contexts: dict[int, tuple[dict[str, Any], set[str], Where]] = {}
    worker_positions: dict[tuple[str, str], int] = {}
    counters: dict[str, int] = {}
    for pool, entry in kinds.topology_workers(cluster.body):
        worker_positions[(pool, str(entry.get("name", entry["class"])))] = counters.get(pool, 0)
        counters[pool] = counters.get(pool, 0) + 1

    def variables_for(target: Target) -> tuple[dict[str, Any], set[str], Where]:
        if id(target) not in contexts:
            overrides: Any = None
            override_path: tuple[str | int, ...] = ()
            if target.pool:
                position = worker_positions.get((target.pool, target.worker_name), -1)
                overrides, override_path = _worker_entry_overrides(cluster, target.pool, position)
            where: Where = {}
            values, unknown = _variables(cluster, cluster_class, overrides, override_path, where)
            values["builtin"] = _builtins(cluster, class_name, target, cp_replicas)
            contexts[id(target)] = (values, unknown, where)
        return contexts[id(target)]

    for patch in patches if isinstance(patches, list) else []:
        if not isinstance(patch, Mapping):
            continue
        name = str(patch.get("name", ""))
        if "external" in patch:
            result.not_evaluated.append(SkippedPatch(name, "external patch (runtime extension)"))
            why = (
                f"ClusterClass {shown_class} external patch {name!r} (a runtime extension "
                "capsa does not call) may set any field; the built object decides"
            )
            for target in result.targets:
                target.undecided(("spec",), why)
            continue
        definitions = patch.get("definitions")
        enabled_if = patch.get("enabledIf")
        for definition in definitions if isinstance(definitions, list) else []:
            selector = definition.get("selector") if isinstance(definition, Mapping) else None
            operations = definition.get("jsonPatches") if isinstance(definition, Mapping) else None
            if not isinstance(selector, Mapping) or not isinstance(operations, list):
                continue
            for target in result.targets:
                if not _selector_matches(selector, target):
                    continue
                variables, unknown_vars, where = variables_for(target)
                if isinstance(enabled_if, str):
                    used = {m.group(1) for m in _VAR_IN_TEMPLATE.finditer(enabled_if)}
                    enabled = (
                        None if used & unknown_vars else evaluate_enabled_if(enabled_if, variables)
                    )
                    if enabled is None:
                        result.not_evaluated.append(
                            SkippedPatch(name, f"enabledIf {enabled_if.strip()!r} not evaluated")
                        )
                        why = (
                            f"ClusterClass {shown_class} patch {name!r} applies only if "
                            f"{enabled_if.strip()!r}, which capsa could not decide"
                            + _variables_named(used & unknown_vars)
                        )
                        _undecided_operations(operations, target, why)
                        continue
                    if not enabled:
                        continue
                _apply_operations(
                    f"ClusterClass {shown_class} patch {name!r}",
                    name,
                    operations,
                    target,
                    (variables, unknown_vars, where, cluster_class),
                    result,
                )


def _variables_named(names: set[str]) -> str:
    if not names:
        return ""
    variables = ", ".join(sorted(names))
    return f" (it reads the Cluster variable(s) {variables}, whose value is unresolved)"


def _op_path(pointer: str) -> tuple[str | int, ...] | None:
    """A JSON pointer as a field path (`/-` appends: its list is what changes)."""
    try:
        steps = pointer_steps(pointer)
    except PatchError:
        return None
    if steps and steps[-1] == "-":
        steps = steps[:-1]
    return tuple(int(s) if s.isdigit() else s for s in steps)


def _undecided_operations(operations: list[Any], target: Target, why: str) -> None:
    """Every field the operations would touch is unknown on `target`."""
    for operation in operations:
        path = operation.get("path") if isinstance(operation, Mapping) else None
        concrete = _op_path(path) if isinstance(path, str) else None
        if concrete:
            target.undecided(concrete, why)


def _apply_operations(
    label: str,
    name: str,
    operations: list[Any],
    target: Target,
    inputs: tuple[Mapping[str, Any], set[str], Where, Resource],
    result: ClassResolution,
) -> None:
    """Apply `operations` to `target`; `inputs` are the variables, those unresolved, where
    each was written, and the class (where literal values are written)."""
    variables, unknown_vars, where, cluster_class = inputs
    for operation in operations:
        if not isinstance(operation, Mapping):
            continue
        op, path = operation.get("op"), operation.get("path")
        if not isinstance(op, str) or not isinstance(path, str):
            continue
        value, unknown, reason = (
            (None, False, None)
            if op == "remove"
            else _value_for(operation, variables, unknown_vars)
        )
        if reason is not None:
            result.not_evaluated.append(SkippedPatch(name, f"{path}: {reason}"))
            concrete_path = _op_path(path)
            if concrete_path:
                target.undecided(concrete_path, f"{label} sets {path} from a {_why(reason)}")
            continue
        created = _missing_prefixes(target.body, path)
        try:
            concrete = apply_operation(target.body, op, path, value)
        except PatchError as exc:
            result.not_evaluated.append(SkippedPatch(name, f"{path}: {exc}"))
            continue
        source = operation.get("valueFrom")
        variable = source.get("variable") if isinstance(source, Mapping) else None
        origin = (
            where.get(variable.split(".", 1)[0])
            if isinstance(variable, str)
            else _at(cluster_class, operation, ("value",))
        )
        if origin is not None:
            for made in (*created, tuple(concrete)):
                target.origins.setdefault(made, (*origin, tuple(concrete)))
        if unknown:
            target.undecided(
                tuple(concrete),
                f"{label} sets {path} from the Cluster variable {variable}, whose value is "
                "unresolved",
            )
        target.applied.append(AppliedPatch(name, op, path))


def _missing_prefixes(body: Any, pointer: str) -> list[tuple[str | int, ...]]:
    """The enclosing fields of `pointer` that do not exist yet (an `add` creates them): a
    finding on one of them is about what the patch wrote."""
    steps = _op_path(pointer) or ()
    node = body
    for depth, step in enumerate(steps[:-1]):
        in_map = isinstance(node, Mapping) and step in node and node[step] is not None
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not (in_map or in_list):
            return [steps[: end + 1] for end in range(depth, len(steps) - 1)]
        node = node[step]
    return []


def _why(reason: str) -> str:
    """What a patch value comes from, for the unknown result's reason."""
    if reason == "Go-template value":
        return "Go template (valueFrom.template), which capsa does not run"
    if reason.startswith("variable "):
        name = reason.split("'")[1] if "'" in reason else reason
        return (
            f"variable {name} that has no default and that no Cluster among the inputs "
            "sets (set it in the Cluster's spec.topology.variables)"
        )
    return f"value capsa cannot read ({reason})"


def resolve_cluster_class(
    cluster: Resource, cluster_class: Resource, index: ResourceIndex
) -> ClassResolution:
    """Apply `cluster_class` to the topology-managed `cluster`."""
    result = ClassResolution()
    _collect_targets(cluster, cluster_class, index, result)
    _cluster_health_checks(cluster, cluster_class, result)
    _apply_patches(cluster, cluster_class, result)
    return result


def as_instance(template: Resource | None, body: Any = None) -> dict[str, Any] | None:
    """A `*Template` body seen as the object it stamps out (`spec.template.spec` → `spec`),
    so checks read AWSCluster and AWSClusterTemplate the same way. Non-templates pass."""
    if template is None:
        return None
    source = plain(template.body if body is None else body)
    if not template.kind.endswith("Template"):
        return source if isinstance(source, dict) else None
    inner = dig(source, "spec", "template")
    inner = inner if isinstance(inner, dict) else {}
    return {
        "apiVersion": template.api_version,
        "kind": template.kind[: -len("Template")],
        "metadata": inner.get("metadata") if isinstance(inner.get("metadata"), dict) else {},
        "spec": inner.get("spec") if isinstance(inner.get("spec"), dict) else {},
    }
