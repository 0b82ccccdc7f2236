"""Guards against YAML built to exhaust the reader, checked on the composed node graph
before any object is built: nesting deeper than `MAX_DEPTH`, aliases that refer to
their own parent, and alias expansion beyond `MAX_ALIAS_RATIO` ("billion laughs")."""

from __future__ import annotations

import yaml

from capsa.yamlio import exceeds_depth

MAX_DEPTH = 200
"""Deepest nesting accepted: generous for deep CRD schemas; recursive walkers break near 500."""
MAX_ALIAS_RATIO = 10
"""Alias expansion beyond this many times the written nodes (plus `ALIAS_SLACK`) is refused."""
ALIAS_SLACK = 10_000
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels; document skipped"


def _measure(root: yaml.Node) -> tuple[int, int, bool]:
    """(deepest nesting, nodes after alias expansion, has a cycle) without recursion."""
    depth: dict[int, int] = {}
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            size[key] = 1 + sum(size[id(c)] for c in children)
            continue
        if key in size:
            continue
        if key in on_path:
            return 0, 0, True
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                return 0, 0, True
            if id(child) not in size:
                stack.append((child, False))
    return depth[id(root)], size[id(root)], False


def _count_nodes(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return len(seen)


def refusal(node: yaml.Node, has_anchors: bool) -> str | None:
    """Why a composed document must not be built, or None when it is safe."""
    if not has_anchors:  # no aliases: the node graph is a tree, only depth can hurt
        if exceeds_depth(node, MAX_DEPTH):
            return TOO_DEEP
        return None
    deepest, expanded, cyclic = _measure(node)
    if cyclic:
        return "YAML alias refers to its own parent (recursive structure); document skipped"
    if deepest > MAX_DEPTH:
        return TOO_DEEP
    written = _count_nodes(node)
    if expanded > MAX_ALIAS_RATIO * written + ALIAS_SLACK:
        return (
            f"YAML aliases expand {written} written nodes to {expanded} "
            "(alias bomb?); document skipped"
        )
    return None
