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
from pathlib import Path
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


def _build_files(root: Path) -> list[Path]:
    files = [root / "Makefile", root / ".goreleaser.yaml", root / ".goreleaser.yml"]
    files.extend(sorted(root.glob("*.mk")))
    files.extend(sorted(root.glob("cloudbuild*.yaml")))
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        files.extend(sorted(p for p in workflows.iterdir() if p.suffix in (".yaml", ".yml")))
    return [f for f in files if f.is_file()]


def _sbom_steps(root: Path, problems: list[Problem]) -> list[Evidence]:
    found: list[Evidence] = []
    for path in _build_files(root):
        text = _read(path, root, problems)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            if _SBOM_WORDS.search(line):
                found.append(Evidence(str(path.relative_to(root)), number, line.strip()[:200]))
    return found


def _sbom_artifacts(root: Path) -> list[Evidence]:
    found: list[Evidence] = []
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
                found.append(Evidence(str(entry.relative_to(root)), None, "SBOM file"))
    return sorted(found, key=lambda e: e.path)


def read_governance(repo_path: str) -> GovernanceFacts:
    """Governance facts of the repository checked out at `repo_path`."""
    root = Path(repo_path)
    problems: list[Problem] = []
    if not root.is_dir():
        problem = Problem(repo_path, None, None, "not a directory")
        return GovernanceFacts(root=repo_path, problems=(problem,))
    found: set[str] = set()

    contacts: tuple[str, ...] = ()
    text = _read(root / "SECURITY_CONTACTS", root, problems)
    if text is not None:
        found.add("SECURITY_CONTACTS")
        contacts = parse_security_contacts(text)

    lists: dict[str, list[str]] = {"approvers": [], "reviewers": [], "emeritus_approvers": []}
    text = _read(root / "OWNERS", root, problems)
    if text is not None:
        found.add("OWNERS")
        lists = _owner_lists(_yaml_mapping(text, "OWNERS", problems))

    aliases: dict[str, tuple[str, ...]] = {}
    text = _read(root / "OWNERS_ALIASES", root, problems)
    if text is not None:
        found.add("OWNERS_ALIASES")
        section = _yaml_mapping(text, "OWNERS_ALIASES", problems).get("aliases")
        if isinstance(section, dict):
            aliases = {str(k): tuple(_handles(v)) for k, v in section.items()}

    policy = next((p for p in _SECURITY_POLICY_PLACES if (root / p).is_file()), None)
    evidence = _sbom_steps(root, problems) + _sbom_artifacts(root)
    return GovernanceFacts(
        root=repo_path,
        security_contacts=contacts,
        approvers=tuple(lists["approvers"]),
        reviewers=tuple(lists["reviewers"]),
        emeritus_approvers=tuple(lists["emeritus_approvers"]),
        aliases=aliases,
        files_found=frozenset(found),
        security_policy=policy,
        sbom_evidence=tuple(evidence),
        security_contacts_changed=_git_date(root, "SECURITY_CONTACTS") if contacts else None,
        owners_aliases_changed=_git_date(root, "OWNERS_ALIASES") if aliases else None,
        problems=tuple(problems),
    )
