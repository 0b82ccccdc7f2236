"""Manifest files, directories and stdin as a source of Resources.

Every bad input becomes a Problem with its file and (when known) line, and the scan goes
on: oversized files are refused by size before reading, non-UTF-8 or binary bytes are
reported, YAML errors resume at the next `---`, nesting deeper than `MAX_DEPTH` and alias
expansion beyond `MAX_ALIAS_RATIO` ("billion laughs") are refused before any object is
built, and Helm templates are named as such.

What is a resource and what is skipped:
- a mapping with `apiVersion` and `kind` is a resource; `kind: List` is unwrapped;
- tool configuration that is not a cluster object is skipped silently and counted in
  `documents_skipped`: kustomize `Kustomization`/`Component` files (with or without
  apiVersion/kind), JSON-patch files (a list of `{op, path}`), and clusterctl
  configuration files (`providers`, `variables`, `images`);
- any other YAML without `apiVersion`/`kind` is reported as not a Kubernetes object;
- empty documents (a trailing `---`) are ignored; a file with no document is reported.

Directories are walked recursively in name order for `*.yaml`/`*.yml`, following
symlinks but never entering the same directory twice; hidden directories (`.git`,
`.github`) are not entered. Paths named explicitly are read whatever their extension.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from capsa.errors import Problem
from capsa.sources.clusterctl_vars import (
    UNRESOLVED_PREFIX,
    UNRESOLVED_RE,
    VALUE_PREFIX,
    VALUE_RE,
    substitute,
)
from capsa.sources.embedded import (
    PayloadMap,
    expand_embedded,
    is_secret,
    rebase_positions,
    redact_secret,
)
from capsa.sources.resource import Origin, Resource
from capsa.yamlio import (
    LineDict,
    LineLoader,
    Placement,
    Position,
    TooDeep,
    build_document,
    exceeds_depth,
)

MAX_DEPTH = 200
"""Deepest nesting accepted: generous for deep CRD schemas; recursive walkers break near 500."""
MAX_ALIAS_RATIO = 10
"""Alias expansion beyond this many times the written nodes (plus `ALIAS_SLACK`) is refused."""
ALIAS_SLACK = 10_000

_YAML_SUFFIXES = (".yaml", ".yml")
_KUSTOMIZE_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization"})
_KUSTOMIZE_KEYS = frozenset(
    {
        "resources", "bases", "components", "patches", "patchesStrategicMerge",
        "patchesJson6902", "namespace", "namePrefix", "nameSuffix", "commonLabels",
        "commonAnnotations", "labels", "images", "replicas", "configurations",
        "configMapGenerator", "secretGenerator", "generatorOptions", "generators",
        "transformers", "validators", "vars", "replacements", "crds", "openapi",
        "helmCharts", "helmGlobals", "buildMetadata", "sortOptions", "apiVersion", "kind",
    }
)  # fmt: skip
_CLUSTERCTL_CONFIG_KEYS = frozenset({"providers", "variables", "images", "intervals"})
# a Go template action outside any quotes: `{{ .Values.x }}`, `{{- if ... }}`, `{{ include ...`
_HELM_ACTION = re.compile(r"^[^'\"#\n]*\{\{-?\s*(?:\.|-|\$|/\*|[a-z]+\b)", re.M)


@dataclass(frozen=True)
class SourceResult:
    """What a read produced: the resources, every problem met, and how much was read."""

    resources: list[Resource]
    problems: list[Problem]
    files_read: int
    documents_read: int
    documents_skipped: int = 0


@dataclass
class _Tally:
    resources: list[Resource]
    problems: list[Problem]
    documents: int = 0
    skipped: int = 0


# --- finding files -----------------------------------------------------------------


def _walk(root: Path, problems: list[Problem]) -> Iterator[Path]:
    """YAML files under `root`, in name order; each real directory is entered once."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                Problem(str(folder), None, None, f"cannot list directory: {exc.strerror}")
            )
            continue
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        subdirs: list[Path] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.name.startswith("."):
                    subdirs.append(Path(entry.path))
            elif entry.name.lower().endswith(_YAML_SUFFIXES):
                yield Path(entry.path)
        stack.extend(reversed(subdirs))


def _expand_paths(paths: Sequence[str], problems: list[Problem]) -> Iterator[str]:
    seen: set[str] = set()
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        found = _walk(path, problems) if path.is_dir() else iter([path])
        if not path.is_dir() and not path.is_symlink() and not path.exists():
            problems.append(Problem(raw, None, None, "no such file or directory"))
            continue
        for file in found:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                yield str(file)


# --- reading bytes -----------------------------------------------------------------


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, Problem(path, _line_at(data, nul), None, "binary file (NUL byte); skipped")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        byte = data[start : start + 1].hex()
        line = _line_at(data, start)
        return None, Problem(path, line, None, f"not UTF-8 text (byte 0x{byte}); skipped")


def _read_file(path: str, max_bytes: int) -> tuple[str | None, Problem | None]:
    try:
        info = os.stat(path)
    except OSError as exc:
        reason = "dangling symlink" if os.path.islink(path) else exc.strerror
        return None, Problem(path, None, None, f"cannot read: {reason}")
    if not os.path.isfile(path):
        return None, Problem(path, None, None, "cannot read: not a regular file")
    if info.st_size > max_bytes:
        limit = f"{info.st_size} bytes, over the {max_bytes}-byte limit"
        return None, Problem(path, None, None, f"file too large ({limit}); skipped")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, Problem(path, None, None, f"cannot read: {exc.strerror}")
    if len(data) > max_bytes:
        return None, Problem(path, None, None, f"file too large (over {max_bytes} bytes); skipped")
    return _decode(data, path)


def _read_stdin(stream: TextIO, max_bytes: int) -> tuple[str | None, Problem | None]:
    try:
        text = stream.read(max_bytes + 1)
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem("-", None, None, f"cannot read standard input: {exc}")
    if len(text) > max_bytes:
        return None, Problem("-", None, None, f"input too large (over {max_bytes} characters)")
    if "\x00" in text:
        return None, Problem("-", None, None, "binary input (NUL byte); skipped")
    return text, None


# --- parsing YAML safely -----------------------------------------------------------


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


def _guard(node: yaml.Node, has_anchors: bool) -> str | None:
    """Why a composed document must not be built, or None when it is safe."""
    if not has_anchors:  # no aliases: the node graph is a tree, only depth can hurt
        if exceeds_depth(node, MAX_DEPTH):
            return f"nested deeper than {MAX_DEPTH} levels; document skipped"
        return None
    deepest, expanded, cyclic = _measure(node)
    if cyclic:
        return "YAML alias refers to its own parent (recursive structure); document skipped"
    if deepest > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels; document skipped"
    written = _count_nodes(node)
    if expanded > MAX_ALIAS_RATIO * written + ALIAS_SLACK:
        return (
            f"YAML aliases expand {written} written nodes to {expanded} "
            "(alias bomb?); document skipped"
        )
    return None


def _scalar_key(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found: yaml.Node = value_node
            return found
    return None


def _literal_starts(node: yaml.Node, text: str) -> dict[str, dict[str, Position]]:
    """For a ConfigMap/Secret node: where each literal-block payload's content begins."""
    found: dict[str, dict[str, Position]] = {}
    if not isinstance(node, yaml.MappingNode):
        return found
    kind = _scalar_key(node, "kind")
    if not isinstance(kind, yaml.ScalarNode) or kind.value not in ("ConfigMap", "Secret"):
        return found
    for field in ("data", "stringData"):
        section = _scalar_key(node, field)
        if not isinstance(section, yaml.MappingNode):
            continue
        for key_node, value_node in section.value:
            if not (isinstance(value_node, yaml.ScalarNode) and value_node.style == "|"):
                continue
            if VALUE_PREFIX in value_node.value:
                continue  # a multi-line variable value lands here later and moves lines
            start = text.find("\n", value_node.start_mark.index)
            if start < 0:
                continue
            line = text[start + 1 : text.find("\n", start + 1) % (len(text) + 1)]
            indent = len(line) - len(line.lstrip(" ")) + 1
            content_line = value_node.start_mark.line + 2
            found.setdefault(field, {})[str(key_node.value)] = (content_line, indent)
    return found


def _attach_literals(doc: Any, starts: dict[str, dict[str, Position]], base_line: int) -> None:
    for field, keys in starts.items():
        section = doc.get(field)
        if isinstance(section, LineDict):
            payload = PayloadMap.from_linedict(section)
            payload.literal_starts = {
                k: (v[0] + base_line, v[1]) for k, v in keys.items() if k in payload
            }
            doc[field] = payload


def _reset(loader: LineLoader) -> None:
    loader.constructed_objects = {}
    loader.recursive_objects = {}
    loader.state_generators = []
    loader.deep_construct = False


def _line_text(text: str, index: int) -> str:
    """Text of 0-based line `index`."""
    offset = 0
    for _ in range(index):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return ""
    end = text.find("\n", offset)
    return text[offset:] if end < 0 else text[offset:end]


def _yaml_problem(path: str, exc: yaml.YAMLError, text: str, base_line: int) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 + base_line if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    if "{{" in text:
        helm = _HELM_ACTION.search(text)
        if helm is not None:
            where = text.count("\n", 0, helm.start()) + 1 + base_line
            return Problem(
                path, where, None, "looks like a Helm template; render it with helm template first"
            )
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None and "\t" in _line_text(text, mark.line):
        problem += " (a tab is used for indentation; YAML needs spaces)"
    return Problem(path, line, column, f"invalid YAML: {problem}")


def _next_document(text: str, after_line: int) -> int | None:
    """Offset of the first `---` line after 1-based line `after_line`, if any."""
    offset = 0
    for _ in range(after_line):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return None
    match = re.compile(r"^---(?:[ \t]|$)", re.M).search(text, offset)
    return match.start() if match else None


def load_documents(
    text: str, path: str, placement: Placement | None = None
) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """(first line, document) for every document that could be built safely. The field
    positions inside each document are moved by `placement` (the document lines and
    problem lines are not: they stay on `text`'s lines)."""
    docs: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    has_anchors = "&" in text
    wants_literals = "ConfigMap" in text or "Secret" in text
    base_line = 0
    chunk = text
    while True:
        loader = LineLoader(chunk)
        failed_at: int | None = None
        try:
            while loader.check_node():
                node = loader.get_node()
                line = node.start_mark.line + 1 + base_line
                if has_anchors:  # aliases: measure expansion and cycles before building
                    why = _guard(node, has_anchors)
                    if why is not None:
                        problems.append(Problem(path, line, None, why))
                        continue
                try:
                    # a later chunk's lines are moved onto the whole text's lines first
                    doc = build_document(
                        loader,
                        node,
                        Placement(lines=base_line).then(placement or Placement()),
                        max_depth=None if has_anchors else MAX_DEPTH,
                        aliases=has_anchors,
                    )
                except TooDeep:
                    why = f"nested deeper than {MAX_DEPTH} levels; document skipped"
                    problems.append(Problem(path, line, None, why))
                    continue
                except RecursionError:
                    _reset(loader)
                    problems.append(
                        Problem(path, line, None, "nested too deeply; document skipped")
                    )
                    continue
                if wants_literals:
                    _attach_literals(doc, _literal_starts(node, chunk), base_line)
                docs.append((line, doc))
        except yaml.YAMLError as exc:
            problems.append(_yaml_problem(path, exc, chunk, base_line))
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            failed_at = mark.line + 1 if mark is not None else None
        finally:
            loader.dispose()
        if failed_at is None or any(p.message.startswith("looks like a Helm") for p in problems):
            break
        resume = _next_document(chunk, failed_at)
        if resume is None:
            break
        base_line += chunk.count("\n", 0, resume)
        chunk = chunk[resume:]
    return docs, problems


# --- documents to resources --------------------------------------------------------


def _fill_and_find_unknown(
    doc: Any, deferred: Mapping[str, str]
) -> frozenset[tuple[str | int, ...]]:
    """Put multi-line variable values back and list the paths of unresolved values."""
    unknown: set[tuple[str | int, ...]] = set()

    def fix(value: str, path: tuple[str | int, ...]) -> str:
        if deferred and VALUE_PREFIX in value:
            value = VALUE_RE.sub(lambda m: deferred.get(m.group(0), m.group(0)), value)
        if UNRESOLVED_PREFIX in value and UNRESOLVED_RE.search(value):
            unknown.add(path)
        return value

    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(key, str) and UNRESOLVED_PREFIX in key:
                    unknown.add((*path, key))
                if isinstance(value, str):
                    node[key] = fix(value, (*path, key))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = fix(value, (*path, index))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, index)))
    return frozenset(unknown)


def _is_kustomize(doc: dict[Any, Any], file_name: str) -> bool:
    if doc.get("kind") in ("Kustomization", "Component") and str(
        doc.get("apiVersion", "")
    ).startswith("kustomize.config.k8s.io/"):
        return True
    if "kind" in doc or "apiVersion" in doc:
        return False
    return file_name.lower() in _KUSTOMIZE_NAMES or (
        bool(doc)
        and all(isinstance(k, str) and k in _KUSTOMIZE_KEYS for k in doc)
        and any(k in doc for k in ("resources", "bases", "components", "patches"))
    )


def _is_json_patch(doc: Any) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(op, dict) and "op" in op and "path" in op for op in doc)
    )


def _is_clusterctl_config(doc: dict[Any, Any]) -> bool:
    return (
        "kind" not in doc
        and "apiVersion" not in doc
        and (
            "providers" in doc or ("variables" in doc and bool(_CLUSTERCTL_CONFIG_KEYS & set(doc)))
        )
    )


def _objects(
    doc: Any, line: int, path: str, file_name: str, tally: _Tally
) -> Iterator[tuple[int, dict[Any, Any]]]:
    """The Kubernetes objects of one document (a List yields its items)."""
    if doc is None:
        return
    if isinstance(doc, str) and UNRESOLVED_RE.fullmatch(doc.strip()):
        tally.skipped += 1  # a whole payload still waiting for its variable
        return
    if _is_json_patch(doc):
        tally.skipped += 1  # a kustomize patch file, applied by a kustomization
        return
    if not isinstance(doc, dict):
        shown = "list" if isinstance(doc, list) else "scalar"
        tally.problems.append(
            Problem(path, line, None, f"not a Kubernetes object (a YAML {shown}); skipped")
        )
        return
    if _is_kustomize(doc, file_name) or _is_clusterctl_config(doc):
        tally.skipped += 1
        return
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind is None or api_version is None:
        message = "not a Kubernetes object (no apiVersion/kind); skipped"
        tally.problems.append(Problem(path, line, None, message))
        return
    if not isinstance(kind, str) or not isinstance(api_version, str) or not kind:
        tally.problems.append(Problem(path, line, None, "apiVersion and kind must be text"))
        return
    if kind == "List" or (kind.endswith("List") and isinstance(doc.get("items"), list)):
        items = doc.get("items")
        positions = getattr(items, "item_positions", [])
        for index, item in enumerate(items if isinstance(items, list) else []):
            item_line = positions[index][0] if index < len(positions) else line
            yield from _objects(item, item_line, path, file_name, tally)
        return
    yield line, doc


def _resource(doc: dict[Any, Any], origin: Origin, unknown: frozenset[Any]) -> Resource:
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace = meta.get("namespace")
    name = meta.get("name") if isinstance(meta.get("name"), str) else meta.get("generateName")
    return Resource(
        api_version=doc["apiVersion"],
        kind=doc["kind"],
        namespace=namespace if isinstance(namespace, str) else None,
        name=name if isinstance(name, str) else "",
        body=doc,
        origin=origin,
        unknown_paths=unknown,
    )


def _to_resources(
    docs: list[tuple[int, Any]],
    path: str,
    tally: _Tally,
    make_origin: Callable[[int], Origin],
    deferred: Mapping[str, str],
    scan_markers: bool,
) -> None:
    file_name = os.path.basename(path)
    for line, doc in docs:
        tally.documents += 1
        for obj_line, obj in _objects(doc, line, path, file_name, tally):
            unknown = _fill_and_find_unknown(obj, deferred) if scan_markers else frozenset()
            tally.resources.append(_resource(obj, make_origin(obj_line), unknown))


def parse_documents(
    text: str, origin: Origin, move: Callable[[Position], Position]
) -> tuple[list[Resource], list[Problem]]:
    """Resources from a payload embedded in a carrier; all share the carrier's origin and
    have their positions moved onto the carrier file by `move`."""
    label = origin.carrier or ""
    if isinstance(move, Placement):  # positions are placed while the documents are built
        docs, raw_problems = load_documents(text, origin.path, move)
    else:
        docs, raw_problems = load_documents(text, origin.path)
        for _, doc in docs:
            rebase_positions(doc, move)
    tally = _Tally([], [])
    moved = [(move((line, 1))[0], doc) for line, doc in docs]
    _to_resources(moved, origin.path, tally, lambda _line: origin, {}, "__CAPSA_" in text)
    problems = [
        Problem(
            p.path, move((p.line, 1))[0] if p.line else origin.line, None, f"{label}: {p.message}"
        )
        for p in [*raw_problems, *tally.problems]
    ]
    for res in tally.resources:
        if is_secret(res.body):
            redact_secret(res.body)
    return tally.resources, problems


def _read_text(text: str, path: str, variables: Mapping[str, str], tally: _Tally) -> None:
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        tally.problems.append(Problem(path, None, None, "empty file: no YAML documents"))
        return
    deferred: Mapping[str, str] = {}
    if "$" in text:
        sub = substitute(text, variables, path=path)
        text, deferred = sub.text, sub.deferred
        tally.problems.extend(sub.problems)
    docs, problems = load_documents(text, path)
    tally.problems.extend(problems)
    _to_resources(
        docs, path, tally, lambda line: Origin(path=path, line=line), deferred, "__CAPSA_" in text
    )


def read_manifests(
    paths: Sequence[str],
    variables: Mapping[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    max_bytes: int = 20_000_000,
) -> SourceResult:
    """Read manifests from files, directories and `-` (stdin) into Resources.

    Manifests embedded in ClusterResourceSet ConfigMaps/Secrets are included (see
    `embedded.expand_embedded`), and every Secret's values are redacted.
    """
    # The trees built here hold no reference cycles (recursive aliases are refused), yet the
    # cyclic collector would rescan the growing heap again and again; pause it while reading.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _read_all(paths, variables or {}, stdin, max_bytes)
    finally:
        if paused:
            gc.enable()


def _read_all(
    paths: Sequence[str], variables: Mapping[str, str], stdin: TextIO | None, max_bytes: int
) -> SourceResult:
    problems: list[Problem] = []
    tally = _Tally([], problems)
    files = 0
    for path in _expand_paths(paths, problems):
        if path == "-":
            text, problem = _read_stdin(stdin or sys.stdin, max_bytes)
        else:
            text, problem = _read_file(path, max_bytes)
        if problem is not None:
            problems.append(problem)
        if text is None:
            continue
        files += 1
        _read_text(text, path, variables, tally)
    resources, embedded_problems = expand_embedded(tally.resources)
    problems.extend(embedded_problems)
    for res in resources:
        if is_secret(res.body):
            redact_secret(res.body)
    return SourceResult(
        resources=resources,
        problems=problems,
        files_read=files,
        documents_read=tally.documents,
        documents_skipped=tally.skipped,
    )
