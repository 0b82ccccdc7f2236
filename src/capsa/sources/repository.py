"""A project's git work tree as evidence for the project-hygiene threats (DEV-01, DEV-02, SBOM).

Reads who may approve and who answers security reports (OWNERS, OWNERS_ALIASES,
SECURITY_CONTACTS), whether a disclosure policy exists (SECURITY.md), whether the build
produces an SBOM, and when the contact lists last changed. Files are only read; git is
asked through a fixed argument list, never a shell.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from capsa.datafile import DataFile
from capsa.display import display_path
from capsa.errors import InputError, Problem
from capsa.reader import read_text

MAX_GOVERNANCE_BYTES = 1_000_000
_SECURITY_POLICY_PLACES = ("SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md")
_SBOM_WORDS = re.compile(r"\b(?:sbom|spdx|cyclonedx)\b|\bbom\s+generate\b", re.I)
_SBOM_ARTIFACT = re.compile(
    r"sbom[^/]*\.(?:json|xml|spdx|txt)$|\.spdx(?:\.json|\.xml|\.yaml)?$|\.cdx\.(?:json|xml)$", re.I
)
_ARTIFACT_DEPTH = 3


@dataclass(frozen=True)
class Evidence:
    """A place in the repository that shows something (e.g. an SBOM step)."""

    path: str
    line: int | None
    text: str


@dataclass(frozen=True)
class GovernanceFacts:
    """What the repository says about its maintainers, disclosure and supply chain.

    Handles are kept as written; `expand` resolves OWNERS_ALIASES names to people.
    Dates are None when the path is not a git work tree or git is unavailable.
    """

    root: str
    security_contacts: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    emeritus_approvers: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    files_found: frozenset[str] = frozenset()
    security_policy: str | None = None
    sbom_evidence: tuple[Evidence, ...] = ()
    security_contacts_changed: datetime | None = None
    owners_aliases_changed: datetime | None = None
    problems: tuple[Problem, ...] = ()

    def expand(self, handles: Iterable[str]) -> tuple[str, ...]:
        """People behind `handles`, with aliases replaced by their members (sorted, unique)."""
        people: set[str] = set()
        for handle in handles:
            people.update(self.aliases.get(handle, (handle,)))
        return tuple(sorted(people, key=str.lower))


def _read(path: Path, root: Path, problems: list[Problem]) -> str | None:
    if not os.path.lexists(path):
        return None
    rel = display_path(path.relative_to(root))
    try:
        return read_text(path, limit=MAX_GOVERNANCE_BYTES, display=rel)
    except InputError as error:
        problems.extend(error.problems)
        return None


def parse_security_contacts(text: str) -> tuple[str, ...]:
    """Handles listed one per line; `#` starts a comment."""
    handles: list[str] = []
    for line in text.splitlines():
        content = line.split("#", 1)[0].strip()
        if content:
            handles.append(content.split()[0].lstrip("@"))
    return tuple(handles)


def _yaml_mapping(text: str, rel: str, problems: list[Problem]) -> dict[str, Any]:
    try:
        data = DataFile.parse(rel, text, expect=None).root
    except InputError as error:
        problems.extend(error.problems)
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(rel, 1, None, "expected a mapping"))
        return {}
    return data


def _handles(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, (str, int))] if isinstance(value, list) else []


def _owner_lists(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """approvers/reviewers/emeritus_approvers, including those under `filters:`."""
    sections: list[Mapping[str, Any]] = [data]
    filters = data.get("filters")
    if isinstance(filters, dict):
        sections.extend(v for v in filters.values() if isinstance(v, dict))
    lists: dict[str, list[str]] = {"approvers": [], "reviewers": [], "emeritus_approvers": []}
    for section in sections:
        for name, found in lists.items():
            found.extend(h for h in _handles(section.get(name)) if h not in found)
    return lists


def _git_date(root: Path, name: str) -> datetime | None:
    git = shutil.which("git")
    if git is None:
        return None
    # The repository is untrusted input: no pager, no fsmonitor hook, no system config.
    argv = [
        git,
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.pager=cat",
        "-C",
        str(root),
        "log",
        "-1",
        "--no-show-signature",
        "--format=%cI",
        "--",
        name,
    ]
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, capture_output=True, text=True, timeout=20, check=False, env=env
        )
    except (OSError, subprocess.SubprocessError):
        return None
    stamp = done.stdout.strip()
    if done.returncode != 0 or not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


_BUILD_NAMES = re.compile(
    r"^(?:Makefile|\.goreleaser\.ya?ml|[^/]+\.mk|cloudbuild[^/]*\.yaml"
    r"|\.github/workflows/[^/]+\.ya?ml)$"
)


def _build_files(root: Path) -> list[Path]:
    files = [root / "Makefile", root / ".goreleaser.yaml", root / ".goreleaser.yml"]
    files.extend(sorted(root.glob("*.mk")))
    files.extend(sorted(root.glob("cloudbuild*.yaml")))
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        files.extend(sorted(p for p in workflows.iterdir() if p.suffix in (".yaml", ".yml")))
    return [f for f in files if f.is_file()]


def _sbom_steps(texts: Mapping[str, str]) -> list[Evidence]:
    found: list[Evidence] = []
    for path, text in texts.items():
        if not _BUILD_NAMES.match(path):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            if _SBOM_WORDS.search(line):
                found.append(Evidence(path, number, line.strip()[:200]))
    return found


def _sbom_artifacts(root: Path) -> list[str]:
    found: list[str] = []
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir() and depth + 1 < _ARTIFACT_DEPTH:
                stack.append((entry, depth + 1))
            elif entry.is_file() and _SBOM_ARTIFACT.search(entry.name):
                found.append(entry.relative_to(root).as_posix())
    return sorted(found)


def is_sbom_file(path: str) -> bool:
    """Whether `path` (relative to the root) names an SBOM file capsa counts as evidence."""
    parts = PurePosixPath(path).parts
    return 0 < len(parts) <= _ARTIFACT_DEPTH and bool(_SBOM_ARTIFACT.search(parts[-1]))


@dataclass(frozen=True)
class RepositoryFiles:
    """What capsa reads from a repository: the text of its governance and build files
    (by path relative to the root), the paths of SBOM files it holds, and when the
    contact lists last changed in git (absent when unknown)."""

    texts: Mapping[str, str] = field(default_factory=dict)
    artifacts: tuple[str, ...] = ()
    changed: Mapping[str, datetime] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def governance_from_files(root: str, files: RepositoryFiles) -> GovernanceFacts:
    """Governance facts of a repository given as its files (read from disk by
    `read_governance`, or written inline by a repository check's examples)."""
    problems = list(files.problems)
    texts = files.texts
    found = {name for name in ("SECURITY_CONTACTS", "OWNERS", "OWNERS_ALIASES") if name in texts}
    contacts = (
        parse_security_contacts(texts["SECURITY_CONTACTS"]) if "SECURITY_CONTACTS" in texts else ()
    )
    lists: dict[str, list[str]] = {"approvers": [], "reviewers": [], "emeritus_approvers": []}
    if "OWNERS" in texts:
        lists = _owner_lists(_yaml_mapping(texts["OWNERS"], "OWNERS", problems))
    aliases: dict[str, tuple[str, ...]] = {}
    if "OWNERS_ALIASES" in texts:
        section = _yaml_mapping(texts["OWNERS_ALIASES"], "OWNERS_ALIASES", problems).get("aliases")
        if isinstance(section, dict):
            aliases = {str(k): tuple(_handles(v)) for k, v in section.items()}
    policy = next((p for p in _SECURITY_POLICY_PLACES if p in texts), None)
    artifacts = [Evidence(path, None, "SBOM file") for path in files.artifacts]
    return GovernanceFacts(
        root=root,
        security_contacts=contacts,
        approvers=tuple(lists["approvers"]),
        reviewers=tuple(lists["reviewers"]),
        emeritus_approvers=tuple(lists["emeritus_approvers"]),
        aliases=aliases,
        files_found=frozenset(found),
        security_policy=policy,
        sbom_evidence=tuple(_sbom_steps(texts) + artifacts),
        security_contacts_changed=files.changed.get("SECURITY_CONTACTS") if contacts else None,
        owners_aliases_changed=files.changed.get("OWNERS_ALIASES") if aliases else None,
        problems=tuple(problems),
    )


def read_governance(repo_path: str) -> GovernanceFacts:
    """Governance facts of the repository checked out at `repo_path`."""
    root = Path(repo_path)
    if not root.is_dir():
        problem = Problem(repo_path, None, None, "not a directory")
        return GovernanceFacts(root=repo_path, problems=(problem,))
    problems: list[Problem] = []
    texts: dict[str, str] = {}
    for name in ("SECURITY_CONTACTS", "OWNERS", "OWNERS_ALIASES"):
        text = _read(root / name, root, problems)
        if text is not None:
            texts[name] = text
    for place in _SECURITY_POLICY_PLACES:
        if (root / place).is_file():
            texts.setdefault(place, "")  # only its presence matters
    for path in _build_files(root):
        text = _read(path, root, problems)
        if text is not None:
            texts[path.relative_to(root).as_posix()] = text
    changed: dict[str, datetime] = {}
    for name in ("SECURITY_CONTACTS", "OWNERS_ALIASES"):
        date = _git_date(root, name) if name in texts else None
        if date is not None:
            changed[name] = date
    files = RepositoryFiles(texts, tuple(_sbom_artifacts(root)), changed, tuple(problems))
    return governance_from_files(repo_path, files)
