"""The incremental scan's cache (`--cache-dir`): what pass one learnt of each file, and
what each group's evaluation gave, so a re-scan re-reads only what an edit affects.

A file's entry is keyed by its content hash, the path shown for it, the variables and
the capsa version; a group's by the keys of every file it loads, which of their
objects carry manifests, the facts shared across the input and the check set. An edit,
a removed file or a changed variable therefore changes the key of everything it could
change. Entries are JSON validated into capsa's own types on the way in (never pickle:
a cache directory may be shared, as CI caches are, and must not be able to run code);
an entry that does not validate is a miss. Writes go to a temporary file first and are
renamed into place, so a crash or a concurrent scan never leaves half an entry.

Entries are read through `capsa.reader` like any input (a shared directory is one):
a FIFO, a device (a symlink to `/dev/zero`) or an entry over `MAX_ENTRY_BYTES` is a miss,
never a hang or an unbounded read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from capsa import __version__
from capsa.capi.topology import SharedFacts
from capsa.checks.findings import CheckResult, Finding
from capsa.checks.model import Check
from capsa.checks.suppressions import InlineSuppressions
from capsa.errors import InputError, Problem
from capsa.reader import MAX_FILE_BYTES, read_bytes
from capsa.scan.sharing import Sharing
from capsa.slotted import columns
from capsa.sources.aws.facts import CloudFacts
from capsa.sources.resource import Resource

FORMAT = "capsa-cache-v8"
"""Bumped whenever what an entry holds would differ for the same input and capsa version
(v3: findings on objects a ClusterResourceSet carries point at the field's line; v4:
inline annotations keyed by the annotated object's place, `suppressions.inline_key`;
v5: a file entry's kustomizations keep only the fields capsa reads,
`kustomize.read_fields`: older entries could hold a secretGenerator's literals)."""
MAX_ENTRY_BYTES = 4 * MAX_FILE_BYTES
"""The largest entry read (or written): a file's skeletons stay well under 4x its size."""


@dataclass(frozen=True)
class CachedNoted:
    skeletons: list[Resource]
    rbac: list[Resource]
    cloud: list[CloudFacts]
    inline: dict[str, InlineSuppressions]
    problems: list[Problem]
    count: int
    kinds: dict[str, int]


@dataclass(frozen=True)
class CachedFile:
    """Pass one's record of a file (see `grouped.FileRecord`)."""

    path: str
    problems: list[Problem]
    documents: int
    skipped: int
    refs: list[tuple[str, str | None, str]]
    candidates: list[tuple[int, Resource]]
    secret_problems: dict[int, list[Problem]]
    noted: CachedNoted
    kustomizations: list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class CachedGroup:
    """A group's results (see `grouped.GroupOutcome`)."""

    findings: list[Finding]
    passes: list[CheckResult]
    unknown: list[CheckResult]
    not_applicable: list[CheckResult]
    evaluation_problems: list[Problem]
    problems: list[Problem]
    inline: dict[str, InlineSuppressions]
    inline_problems: list[Problem]


@cache
def _file_adapter() -> TypeAdapter[CachedFile]:
    """Built on first use: building it costs ~15 ms, which a scan without a cache
    directory should not pay."""
    return TypeAdapter(CachedFile)


@cache
def _group_adapter() -> TypeAdapter[CachedGroup]:
    return TypeAdapter(CachedGroup)


def digest(*parts: object) -> str:
    """A stable hash of JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def variables_key(variables: Mapping[str, str]) -> str:
    return digest(sorted(variables.items()))


def checks_key(checks: Sequence[Check]) -> str:
    """The check set's version: every check as data (a custom set is keyed as well)."""
    return digest([c.model_dump(mode="json") for c in checks])


def shared_key(shared: SharedFacts) -> str:
    namespaces = {
        name: [f.has_resource_quota, list(f.quota_counts), f.declared, f.quotas_kept]
        for name, f in sorted(shared.namespaces.items())
    }
    rbac = sorted(repr(item) for item in shared.rbac.items())
    order = sorted(repr(item) for item in shared.cluster_order.items())
    wide = shared.wide
    classes = (
        [sorted(map(repr, wide.used_classes)), sorted(wide.class_files.items())] if wide else []
    )
    replaced = sorted(map(repr, shared.replaced))
    alone = sorted(repr(item) for item in shared.alone.items())
    vpcs = {k: list(v) for k, v in sorted(shared.vpc_users.items())}
    return digest(namespaces, vpcs, rbac, order, classes, replaced, alone)


class Cache:
    """Entries under `<root>/<FORMAT>/{files,groups}/`."""

    def __init__(self, root: str) -> None:
        self.root = Path(root) / FORMAT
        for part in ("files", "groups"):
            (self.root / part).mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    def file_key(self, content: bytes, shown: str, variables: str) -> str:
        return digest(FORMAT, __version__, hashlib.sha256(content).hexdigest(), shown, variables)

    def load_file(self, key: str) -> CachedFile | None:
        found: CachedFile | None = self._load(self.root / "files" / key, _file_adapter())
        return found

    def save_file(self, key: str, entry: CachedFile) -> None:
        self._save(self.root / "files" / key, _file_adapter().dump_json(entry))

    def has_group(self, key: str) -> bool:
        """Whether an entry is stored for the group (not yet whether it validates)."""
        return (self.root / "groups" / key).is_file()

    def load_group(self, key: str, sharing: Sharing) -> CachedGroup | None:
        """The group's entry, validated, its results' equal parts shared (`sharing`);
        None when it is missing or does not validate."""
        found: CachedGroup | None = self._load(self.root / "groups" / key, _group_adapter())
        if found is None:
            return None
        return CachedGroup(
            sharing.records(Finding, columns(found.findings)),
            sharing.records(CheckResult, columns(found.passes)),
            sharing.records(CheckResult, columns(found.unknown)),
            sharing.records(CheckResult, columns(found.not_applicable)),
            found.evaluation_problems,
            found.problems,
            found.inline,
            found.inline_problems,
        )

    def save_group(self, key: str, entry: CachedGroup) -> None:
        self._save(self.root / "groups" / key, _group_adapter().dump_json(entry))

    def _load(self, path: Path, adapter: TypeAdapter[Any]) -> Any:
        try:
            blob = read_bytes(path, what="cache entry", limit=MAX_ENTRY_BYTES)
            value = adapter.validate_json(blob)
        except (InputError, OSError, ValueError, ValidationError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def _save(self, path: Path, blob: bytes) -> None:
        if len(blob) > MAX_ENTRY_BYTES:
            return  # it would not be read back
        try:
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, path)
        except OSError:
            return  # a cache that cannot be written only costs the next run time
