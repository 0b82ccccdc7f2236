"""Reading Kubernetes objects held as plain trees (parsed YAML or API JSON): the value at
a path, an object's labels, label selectors and a pod spec's containers.

Shared by the manifest stages (`capsa.capi`) and the live analyses (`capsa.live`), which
read the same kinds of objects from different sources.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

RBAC_GROUP = "rbac.authorization.k8s.io"
RULE_LISTS = ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")
"""The list fields of a PolicyRule."""
SELECTOR_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


def group_of(api_version: str) -> str:
    """The API group of an apiVersion ("" for the core group)."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def mapping_of(value: Any) -> dict[Any, Any]:
    """The entries of a mapping field; a field of another type holds none (as `items_of`)."""
    return value if isinstance(value, dict) else {}


def items_of(value: Any) -> list[Any]:
    """The items of a list field; a field of another type holds none (the API server, or
    the tool reading it, would refuse it; `capsa.sources.shapes` reports it where the
    input is read)."""
    return value if isinstance(value, list) else []


def dig(body: Any, *path: str | int) -> Any:
    """Value at `path` inside nested dicts/lists, or None when any step is missing."""
    node = body
    for step in path:
        # dict first: it is what nodes are, and the abstract check alone was a Python call
        if isinstance(node, (dict, Mapping)) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def labels_of(body: Any) -> dict[str, str]:
    """`metadata.labels` as text (a YAML null value reads as the empty string)."""
    labels = dig(body, "metadata", "labels")
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in labels.items()}


def selector_is_empty(selector: Any) -> bool:
    """True when a selector has neither matchLabels nor matchExpressions."""
    if not isinstance(selector, Mapping):
        return True
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Kubernetes label selector semantics: every `matchLabels` pair and every
    `matchExpressions` requirement (In, NotIn, Exists, DoesNotExist) holds. An empty
    selector matches everything (callers for which it means nothing, as for a
    ClusterResourceSet, test `selector_is_empty` first); a selector of a shape the API
    server would refuse (anything but a mapping, `values: 5`, an unknown operator)
    matches nothing (`capsa.sources.shapes` reports it where the manifest is read)."""
    if not isinstance(selector, Mapping):
        return False
    match_labels = selector.get("matchLabels")
    if match_labels is not None and not isinstance(match_labels, Mapping):
        return False
    for key, value in (match_labels or {}).items():
        if labels.get(str(key)) != ("" if value is None else str(value)):
            return False
    expressions = selector.get("matchExpressions")
    if expressions is not None and not isinstance(expressions, list):
        return False
    for expr in expressions or ():
        if not isinstance(expr, Mapping):
            return False
        key, op, values = str(expr.get("key")), expr.get("operator"), expr.get("values")
        if values is not None and not isinstance(values, list):
            return False
        texts = [str(v) for v in values or ()]
        if op == "In" and labels.get(key) not in texts:
            return False
        if op == "NotIn" and labels.get(key) in texts:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in SELECTOR_OPERATORS:
            return False
    return True


def containers(pod_spec: Any) -> Iterator[dict[str, Any]]:
    """Init and regular containers of a pod spec (a list of another type holds none)."""
    for key in ("initContainers", "containers"):
        for container in items_of(dig(pod_spec, key)):
            if isinstance(container, dict):
                yield container
