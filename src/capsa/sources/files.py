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
- `embedded`: manifests inside ClusterResourceSet ConfigMaps/Secrets;
- `redact`: Secret values replaced as soon as they are read.

A file with no document is reported; Helm templates are named as such.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from capsa.display import display_path
from capsa.errors import Problem
from capsa.sources.classify import Tally, to_resources
from capsa.sources.clusterctl_vars import substitute
from capsa.sources.decode import read_file, read_stdin
from capsa.sources.documents import load_documents
from capsa.sources.embedded import expand_embedded
from capsa.sources.kustomize import mark_fragments
from capsa.sources.markers import may_hold_markers
from capsa.sources.redact import is_secret, redact_secret
from capsa.sources.resource import Origin, Resource
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
    if "$" in text:
        sub = substitute(text, variables, path=path)
        text, deferred = sub.text, sub.deferred
        tally.problems.extend(sub.problems)
    docs, problems = load_documents(text, path)
    tally.problems.extend(problems)
    to_resources(
        docs,
        path,
        tally,
        lambda line: Origin(path=path, line=line),
        deferred,
        may_hold_markers(text),
    )


MAX_PROBLEMS_PER_FILE = 100
"""Problems kept per file; the rest are counted in one closing problem."""


def _cap_problems(problems: list[Problem], start: int, path: str) -> None:
    """Keep the first MAX_PROBLEMS_PER_FILE problems added since `start`; say how many more."""
    extra = len(problems) - start - MAX_PROBLEMS_PER_FILE
    if extra > 0:
        del problems[start + MAX_PROBLEMS_PER_FILE :]
        problems.append(Problem(path, None, None, f"{extra} more problems in this file not shown"))


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
    tally = Tally(problems=problems)
    files = 0
    for path in expand_paths(paths, problems):
        shown = display_path(path)  # what reports name: text even for a non-UTF-8 file name
        if path == "-":
            text, problem = read_stdin(stdin or sys.stdin, max_bytes)
        else:
            text, problem = read_file(path, max_bytes, shown)
        if problem is not None:
            problems.append(problem)
        if text is None:
            continue
        files += 1
        before = len(problems)
        _read_text(text, shown, variables, tally)
        _cap_problems(problems, before, shown)
    whole = mark_fragments(tally.resources, tally.kustomizations)
    resources, embedded_problems = expand_embedded(whole)
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
