"""The package's shape: data flows one way through the stages, and no import cycle hides
behind a function-level or TYPE_CHECKING import.

Every `import` statement under src/capsa counts, wherever it stands, because a cycle or an
upward import inside a function is still one: it only waits for the call to bite.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# The pipeline, earliest first (docs/architecture.md). A stage may import its own modules,
# the foundations and any earlier stage; never a later one.
STAGES = (
    "model",
    "threats",
    "sources",
    "capi",
    "checks",
    "live",
    "cloud",
    "scan",
    "graph",
    "sim",
    "assess",
    "report",
    "cli",
)
# Shared by every stage; they import no stage at all.
FOUNDATIONS = frozenset(
    {
        "capsa",
        "errors",
        "frozen",
        "slotted",
        "datafile",
        "functions",
        "yamlio",
        "reader",
        "display",
        "terminal",
        "cel",
        "cel_k8s",
        "cel_calls",
        "cel_lex",
        "cel_regex",
        "kube",
        "examples",
    }
)
ENTRY_POINT = "__main__"  # `python -m capsa`: runs the CLI

# Cycles tolerated for now: none. A new one fails the test.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / "capsa").rglob("*.py"))}


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    """Candidate module names one import statement names (relative imports resolved)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    yield base
    yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> nx.DiGraph:
    """capsa module -> capsa modules it imports, anywhere in its source."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported(node, module, path.name == "__init__.py"):
                if name in modules and name != module:
                    graph.add_edge(module, name, line=node.lineno)
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _rank(layer: str) -> int:
    if layer in FOUNDATIONS:
        return -1
    if layer == ENTRY_POINT:
        return len(STAGES)
    return STAGES.index(layer)


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return import_graph()


def test_every_module_belongs_to_a_stage_or_the_foundations(graph: nx.DiGraph) -> None:
    known = {*STAGES, *FOUNDATIONS, ENTRY_POINT}
    assert sorted({_layer(m) for m in graph} - known) == []


def test_no_import_cycle(graph: nx.DiGraph) -> None:
    cycles = [c for c in nx.simple_cycles(graph) if frozenset(c) not in KNOWN_CYCLES]
    assert cycles == []


def test_no_stage_imports_a_later_one(graph: nx.DiGraph) -> None:
    upward = [
        f"{source} -> {target} (line {data['line']})"
        for source, target, data in graph.edges(data=True)
        if _rank(_layer(target)) > _rank(_layer(source))
    ]
    assert upward == []


def test_the_checker_sees_imports_inside_functions(graph: nx.DiGraph) -> None:
    # cli modules import their engines inside the commands (start-up time): still edges.
    assert graph.has_edge("capsa.cli.scan_cmd", "capsa.scan.service")
    assert graph.has_edge("capsa.scan.service", "capsa.sources.cluster")
