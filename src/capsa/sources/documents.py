"""YAML text to built documents, safely, each with the line it starts on.

Every document is composed first and checked by the guards (`capsa.yamlio.refusal`)
before anything is built. A YAML error is reported with its line (naming Helm templates
and tab indentation as such) and reading resumes at the next `---`, so one broken
document does not hide the rest of the file. ConfigMap/Secret payloads written as
literal blocks remember where their text begins (`PayloadMap`), so objects embedded in
them can point at the carrier file's own lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from capsa.errors import Problem
from capsa.sources.clusterctl_vars import VALUE_PREFIX
from capsa.sources.markers import MARKER_START
from capsa.yamlio import (
    MAX_DEPTH,
    TOO_DEEP,
    LineDict,
    LineLoader,
    Placement,
    Position,
    TooDeep,
    build_document,
    line_breaks,
    line_start,
    may_have_aliases,
    refusal,
    yaml_problem,
)

# a Go template action outside any quotes: `{{ .Values.x }}`, `{{- if ... }}`, `{{ include ...`
_HELM_ACTION = re.compile(r"^[^'\"#\n]*\{\{-?\s*(?:\.|-|\$|/\*|[a-z]+\b)", re.M)


class PayloadMap(LineDict):
    """The `data`/`stringData` mapping of a ConfigMap/Secret, plus where literal-block
    payloads start: key -> (line of the first content line, its indentation column)."""

    __slots__ = ("literal_starts",)

    def __init__(self) -> None:
        super().__init__()
        self.literal_starts: dict[Any, Position] = {}

    @classmethod
    def from_linedict(cls, source: LineDict) -> PayloadMap:
        copy = cls()
        copy.update(source)
        copy.same_places(source)
        return copy


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
    if "{{" in text:
        helm = _HELM_ACTION.search(text)
        if helm is not None:
            where = line_breaks(text, 0, helm.start()) + 1 + base_line
            return Problem(
                path, where, None, "looks like a Helm template; render it with helm template first"
            )
    problem = yaml_problem(path, exc, text)
    line = problem.line + base_line if problem.line is not None else None
    message = problem.message
    if mark is not None and "\t" in _line_text(text, mark.line):
        message += " (a tab is used for indentation; YAML needs spaces)"
    return Problem(path, line, problem.column, message)


_DOCUMENT_START = re.compile("(?:(?<=[\n\r\x85\u2028\u2029])|^)---(?=[ \t\n\r\x85\u2028\u2029]|$)")
"""A `---` line, lines broken as the parser breaks them (`$` is the text's end alone)."""


def _next_document(text: str, after_line: int) -> int | None:
    """Offset of the first `---` line after 1-based line `after_line`, if any, lines
    counted as the parser counts them (a line or paragraph separator in a comment is a
    line break to it: counted by LF alone, the search started past the next document
    and lost it)."""
    offset = line_start(text, after_line + 1)
    if offset is None:
        return None
    match = _DOCUMENT_START.search(text, offset)
    return match.start() if match else None


def _duplicate_problems(
    path: str, duplicates: list[tuple[Any, Position, Position]]
) -> Iterator[Problem]:
    """A problem at each repeated key. Kubernetes' strict decoding refuses such an object
    (kubectl validates strictly by default); capsa still judges it, with the value written
    last, which is what a non-strict decoder applies."""
    for key, first, later in duplicates:
        shown = str(key) if len(str(key)) <= 100 else str(key)[:100] + "..."
        message = (
            f"duplicate key {shown} (line {first[0]} and {later[0]}); Kubernetes refuses it, "
            "capsa judges the last one"
        )
        yield Problem(path, later[0], None, message)


MAX_DOCUMENTS = 10_000
"""Documents read from one file (or payload): a million tiny documents would otherwise
cost minutes and gigabytes; a real multi-document file holds hundreds."""


class _TooMany(Exception):
    """More than MAX_DOCUMENTS documents."""


def load_documents(
    text: str,
    path: str,
    placement: Placement | None = None,
    marked: list[bool] | None = None,
) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """(first line, document) for every document that could be built safely. The field
    positions inside each document are moved by `placement` (the document lines and
    problem lines are not: they stay on `text`'s lines). `marked`, when given, gets for
    each document whether its own text holds a clusterctl marker (`MARKER_START`): only
    those need looking through (`markers.fill_and_find_unknown`), and a template's
    payload of many objects often uses one variable. The parser's own offsets of the
    document say where its text is: no line counting, which the parser does its own
    way (a lone CR, NEL and the Unicode separators are line breaks to it)."""
    docs: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    has_anchors = may_have_aliases(text)
    wants_literals = "ConfigMap" in text or "Secret" in text
    base_line = 0
    chunk = text
    seen = 0
    line = 1
    duplicates: list[tuple[Any, Position, Position]] = []
    while True:
        loader = LineLoader(chunk)
        failed_at: int | None = None
        try:
            while loader.check_node():
                node = loader.get_node()
                line = node.start_mark.line + 1 + base_line
                seen += 1
                if seen > MAX_DOCUMENTS:
                    raise _TooMany
                if has_anchors:  # aliases: measure expansion and cycles before building
                    why = refusal(node, has_anchors)
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
                        duplicates=duplicates,
                    )
                except TooDeep:
                    problems.append(Problem(path, line, None, TOO_DEEP))
                    continue
                except RecursionError:
                    _reset(loader)
                    problems.append(
                        Problem(path, line, None, "nested too deeply; document skipped")
                    )
                    continue
                if duplicates:
                    problems.extend(_duplicate_problems(path, duplicates))
                    duplicates.clear()
                if wants_literals:
                    _attach_literals(doc, _literal_starts(node, chunk), base_line)
                docs.append((line, doc))
                if marked is not None:  # looked for in place: no copy of the text
                    at = chunk.find(MARKER_START, node.start_mark.index, node.end_mark.index)
                    marked.append(at >= 0)
        except yaml.YAMLError as exc:
            problem = _yaml_problem(path, exc, chunk, base_line)
            problems.append(problem)
            failed_at = problem.line - base_line if problem.line is not None else None
        except _TooMany:
            message = (
                f"more than {MAX_DOCUMENTS} YAML documents in one file; the rest is not read "
                "(split the file)"
            )
            problems.append(Problem(path, line, None, message))
            break
        finally:
            loader.dispose()
        if failed_at is None or any(p.message.startswith("looks like a Helm") for p in problems):
            break
        resume = _next_document(chunk, failed_at)
        if resume is None:
            break
        base_line += line_breaks(chunk, 0, resume)
        chunk = chunk[resume:]
    return docs, problems
