"""Manifest files, directories and stdin as a source of Resources.

Every bad input becomes a Problem with its file and (when known) line, and the scan goes
on; one broken file never hides another's resources. The steps each have their module:

- `walk`: which files the paths name (directories recursively, symlink-loop safe);
- `decode`: bytes to text, with size caps and encoding errors reported;
- `clusterctl_vars`: clusterctl's variable substitution over the text;
- `documents` (with `guards`): YAML text to documents, refusing YAML bombs;
- `classify` (with `markers`): which documents are Kubernetes objects, and the
  Resources they become, unresolved variables recorded as unknown;
- `kustomize`: documents of files a kustomization lists as patches marked as fragments;
- `generators`: documents of files a kustomize generator turns into ConfigMap/Secret
  data moved into that generated object's payload;
- `embedded`: manifests inside ClusterResourceSet ConfigMaps/Secrets;
- `value_facts`: the yes/no facts checks need from ConfigMap/Secret values (the vSphere
  insecure flag), read before
- `redact`: Secret values replaced as soon as they are read.

A file with no document is reported; Helm templates are named as such.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from capsa.display import display_path
from capsa.errors import Problem
from capsa.sources.classify import Tally, to_resources
from capsa.sources.clusterctl_vars import DefaultUse, substitute, target_namespace
from capsa.sources.decode import read_file, read_stdin
from capsa.sources.documents import load_documents
from capsa.sources.embedded import expand_carrier, is_carrier, referenced
from capsa.sources.generators import mark_payloads
from capsa.sources.kustomize import mark_fragments
from capsa.sources.redact import is_secret, redact_secret
from capsa.sources.resource import Origin, Resource
from capsa.sources.value_facts import with_value_facts
from capsa.sources.walk import expand_paths


@dataclass(frozen=True)
class SourceResult:
    """What a read produced: the resources, every problem met, and how much was read."""

    resources: list[Resource]
    problems: list[Problem]
    files_read: int
    documents_read: int
    documents_skipped: int = 0


def _read_text(text: str, path: str, variables: Mapping[str, str], tally: Tally) -> None:
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        tally.problems.append(Problem(path, None, None, "empty file: no YAML documents"))
        return
    deferred: Mapping[str, str] = {}
    target = target_namespace(text, variables)
    defaults: tuple[DefaultUse, ...] = ()
    if "$" in text:
        sub = substitute(text, variables, path=path)
        tally.problems.extend(sub.problems)
        if sub.refused:  # the variables would expand it past the size cap
            return
        text, deferred, defaults = sub.text, sub.deferred, sub.defaults
    marked: list[bool] = []
    docs, problems = load_documents(text, path, marked=marked)
    tally.problems.extend(problems)
    to_resources(
        docs,
        path,
        tally,
        lambda line: Origin(path=path, line=line),
        deferred,
        marked,
        target_namespace=target,
        defaults=defaults,
        source=text,
    )


MAX_PROBLEMS_PER_FILE = 100
"""Problems kept per file; the rest are counted in one closing problem."""


def _cap_problems(problems: list[Problem], start: int, path: str) -> None:
    """Keep the first MAX_PROBLEMS_PER_FILE problems added since `start`; say how many more."""
    extra = len(problems) - start - MAX_PROBLEMS_PER_FILE
    if extra > 0:
        del problems[start + MAX_PROBLEMS_PER_FILE :]
        problems.append(Problem(path, None, None, f"{extra} more problems in this file not shown"))


@dataclass
class Candidate:
    """A ConfigMap or Secret that may carry manifests for a ClusterResourceSet. Whether it
    does depends on every ClusterResourceSet read, so the decision waits for the last
    file. A Secret's payloads are parsed at once (its values are redacted before the read
    moves on); a ConfigMap's when it turns out to be a carrier."""

    resource: Resource
    secret_payload: tuple[list[Resource], list[Problem]] | None = None

    def expand(self) -> tuple[list[Resource], list[Problem]]:
        if self.secret_payload is not None:
            return self.secret_payload
        return expand_carrier(self.resource)


@dataclass
class FileChunk:
    """What one file gave: its resources (Secrets redacted), problems, counts, the
    ClusterResourceSet references it makes and the possible carriers it holds."""

    path: str
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    documents: int = 0
    skipped: int = 0
    read: bool = False  # the file could be read (counts as a file read)
    refs: set[tuple[str, str | None, str]] = field(default_factory=set)
    candidates: list[Candidate] = field(default_factory=list)
    # kustomizations read here: the files they list as patches hold fragments
    kustomizations: list[tuple[str, dict[Any, Any]]] = field(default_factory=list)


def read_chunks(
    paths: Sequence[str],
    variables: Mapping[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    max_bytes: int = 20_000_000,
) -> Iterator[FileChunk]:
    """Read the files `paths` name one at a time, so a caller may keep only what it needs
    of each (`read_manifests` keeps everything). Problems of the walk itself come in a
    chunk whose `path` is empty."""
    walk_problems: list[Problem] = []
    for path in expand_paths(paths, walk_problems):
        if walk_problems:
            yield FileChunk("", problems=walk_problems)
            walk_problems = []
        yield read_one(path, variables or {}, stdin=stdin, max_bytes=max_bytes)
    if walk_problems:
        yield FileChunk("", problems=walk_problems)


def read_one(
    path: str,
    variables: Mapping[str, str],
    *,
    stdin: TextIO | None = None,
    max_bytes: int = 20_000_000,
) -> FileChunk:
    """One file (or `-`, standard input) read into a chunk."""
    shown, text, problem = read_text(path, stdin=stdin, max_bytes=max_bytes)
    return chunk_of(shown, text, problem, variables)


def read_text(
    path: str, *, stdin: TextIO | None = None, max_bytes: int = 20_000_000
) -> tuple[str, str | None, Problem | None]:
    """(path shown, text or None, problem) of one file or `-`."""
    shown = display_path(path)  # what reports name: text even for a non-UTF-8 file name
    if path == "-":
        text, problem = read_stdin(stdin or sys.stdin, max_bytes)
    else:
        text, problem = read_file(path, max_bytes, shown)
    return shown, text, problem


def chunk_of(
    shown: str, text: str | None, problem: Problem | None, variables: Mapping[str, str]
) -> FileChunk:
    """The chunk a file's text (from `read_text`) gives."""
    chunk = FileChunk(shown)
    if problem is not None:
        chunk.problems.append(problem)
    if text is None:
        return chunk
    chunk.read = True
    tally = Tally(problems=chunk.problems)
    _read_text(text, shown, variables, tally)
    _cap_problems(chunk.problems, 0 if problem is None else 1, shown)
    chunk.kustomizations = tally.kustomizations
    chunk.resources, chunk.documents, chunk.skipped = (
        [with_value_facts(r) for r in tally.resources],  # before Secrets are redacted
        tally.documents,
        tally.skipped,
    )
    chunk.problems.extend(_written_twice(chunk.resources, shown))
    chunk.refs = referenced(chunk.resources)
    for res in chunk.resources:
        if not is_carrier(res, _ANY_NAME):
            continue
        secret = is_secret(res.body)
        chunk.candidates.append(Candidate(res, expand_carrier(res) if secret else None))
    for res in chunk.resources:
        if is_secret(res.body):
            redact_secret(res.body)
    return chunk


def _written_twice(resources: Sequence[Resource], shown: str) -> list[Problem]:
    """A problem for each object a file writes again (same kind, namespace and name):
    kubectl applies the last one written; capsa judges each, but the two share their
    findings' fingerprints and any `capsa.dev/ignore` annotation, which are per object and
    file. None of the real corpus's files does it."""
    first: dict[str, int | None] = {}
    problems: list[Problem] = []
    for resource in resources:
        line = resource.origin.line
        if resource.identity not in first:
            first[resource.identity] = line
            continue
        problems.append(
            Problem(
                shown, line, None,
                f"{resource.kind} {resource.namespace or 'default'}/{resource.name} is written "
                f"twice in this file (line {first[resource.identity]} and {line}): kubectl "
                "applies the last; capsa judges both, and they share fingerprints and "
                "capsa.dev/ignore annotations. Keep one.",
            )
        )  # fmt: skip
    return problems


class _AnyName(set[tuple[str, str | None, str]]):
    """A reference set that names every ConfigMap and Secret: `is_carrier` then answers
    whether an object could be a carrier at all."""

    def __contains__(self, item: object) -> bool:
        return True


_ANY_NAME = _AnyName()


def carriers(chunks: Sequence[FileChunk]) -> Iterator[Candidate]:
    """The candidates that are carriers, given every chunk's references, in read order."""
    refs: set[tuple[str, str | None, str]] = set()
    for chunk in chunks:
        refs |= chunk.refs
    for chunk in chunks:
        for candidate in chunk.candidates:
            if is_carrier(candidate.resource, refs):
                yield candidate


def read_manifests(
    paths: Sequence[str],
    variables: Mapping[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    max_bytes: int = 20_000_000,
) -> SourceResult:
    """Read manifests from files, directories and `-` (stdin) into Resources.

    Manifests embedded in ClusterResourceSet ConfigMaps/Secrets are included (see
    `embedded.expand_carrier`), and every Secret's values are redacted.
    """
    # The trees built here hold no reference cycles (recursive aliases are refused), yet the
    # cyclic collector would rescan the growing heap again and again; pause it while reading.
    paused = gc.isenabled()
    gc.disable()
    try:
        chunks = list(read_chunks(paths, variables, stdin=stdin, max_bytes=max_bytes))
        return _assemble(chunks)
    finally:
        if paused:
            gc.enable()


def _assemble(chunks: Sequence[FileChunk]) -> SourceResult:
    kustomizations = [k for chunk in chunks for k in chunk.kustomizations]
    resources = mark_fragments([r for chunk in chunks for r in chunk.resources], kustomizations)
    refs: set[tuple[str, str | None, str]] = set()
    for chunk in chunks:
        refs |= chunk.refs
    resources = mark_payloads(resources, kustomizations, refs)
    problems = [p for chunk in chunks for p in chunk.problems]
    for candidate in carriers(chunks):
        found, found_problems = candidate.expand()
        resources.extend(found)
        problems.extend(found_problems)
    return SourceResult(
        resources=resources,
        problems=problems,
        files_read=sum(1 for c in chunks if c.read),
        documents_read=sum(c.documents for c in chunks),
        documents_skipped=sum(c.skipped for c in chunks),
    )
