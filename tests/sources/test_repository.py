"""Governance facts: contacts, owners, aliases, disclosure policy, SBOM steps, git dates."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from capsa.sources.repository import read_governance

CORPUS_GOVERNANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "governance"

OWNERS = """\
approvers:
  - admins
  - solo-approver
reviewers:
  - reviewers
emeritus_approvers:
  - retired
filters:
  ".*_test.go":
    approvers: [test-owner]
"""
ALIASES = "aliases:\n  admins:\n  - alice\n  - bob\n  reviewers:\n  - carol\n"
CONTACTS = "# contacts\n\nalice\n@bob  # lead\n"


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "OWNERS").write_text(OWNERS)
    (root / "OWNERS_ALIASES").write_text(ALIASES)
    (root / "SECURITY_CONTACTS").write_text(CONTACTS)
    return root


def test_owners_aliases_and_contacts_are_read(tmp_path: Path) -> None:
    facts = read_governance(str(make_repo(tmp_path)))
    assert facts.security_contacts == ("alice", "bob")
    assert facts.approvers == ("admins", "solo-approver", "test-owner")
    assert facts.reviewers == ("reviewers",)
    assert facts.emeritus_approvers == ("retired",)
    assert facts.aliases == {"admins": ("alice", "bob"), "reviewers": ("carol",)}
    assert facts.expand(facts.approvers) == ("alice", "bob", "solo-approver", "test-owner")
    assert facts.files_found == {"OWNERS", "OWNERS_ALIASES", "SECURITY_CONTACTS"}
    assert facts.problems == ()


def test_missing_files_and_policy_absent(tmp_path: Path) -> None:
    facts = read_governance(str(tmp_path))
    assert facts.files_found == frozenset()
    assert facts.security_policy is None
    assert facts.sbom_evidence == ()
    assert facts.security_contacts_changed is None


@pytest.mark.parametrize("place", ["SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md"])
def test_security_policy_found_in_each_place(tmp_path: Path, place: str) -> None:
    (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / place).write_text("report to ...\n")
    assert read_governance(str(tmp_path)).security_policy == place


def test_sbom_generation_steps_and_artifacts_are_found(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(
        "# sbom: not yet\nrelease:\n\tbom generate -o out/sbom.spdx .\n"
    )
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "release.yaml").write_text("steps:\n- uses: anchore/sbom-action@v0\n")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "capi.spdx.json").write_text("{}")
    facts = read_governance(str(tmp_path))
    assert [(e.path, e.line) for e in facts.sbom_evidence] == [
        ("Makefile", 3),
        (".github/workflows/release.yaml", 2),
        ("dist/capi.spdx.json", None),
    ]


def test_no_sbom_when_build_files_never_mention_it(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("release:\n\tdocker build .\n# add SBOM later\n")
    (tmp_path / "bom_test.go").write_text("package x\n")
    assert read_governance(str(tmp_path)).sbom_evidence == ()


def test_broken_owners_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "OWNERS").write_text("approvers: [unclosed\n")
    facts = read_governance(str(tmp_path))
    assert facts.approvers == ()
    assert [p.path for p in facts.problems] == ["OWNERS"]


def test_not_a_directory_is_a_problem(tmp_path: Path) -> None:
    facts = read_governance(str(tmp_path / "absent"))
    assert facts.problems[0].message == "not a directory"


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_dates_of_contact_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(repo), *env_args, "commit", "-q", "-m", "init",
         "--date", "2024-01-02T03:04:05+00:00"],
        check=True,
        env={"GIT_COMMITTER_DATE": "2024-01-02T03:04:05+00:00", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    facts = read_governance(str(repo))
    assert facts.security_contacts_changed is not None
    assert facts.security_contacts_changed.isoformat() == "2024-01-02T03:04:05+00:00"
    assert facts.owners_aliases_changed == facts.security_contacts_changed


def test_corpus_governance_files(tmp_path: Path) -> None:
    if not CORPUS_GOVERNANCE.is_dir():
        pytest.skip("shared corpus not present")
    for project in ("cluster-api", "cluster-api-provider-aws"):
        root = tmp_path / project
        root.mkdir()
        for name in ("OWNERS", "OWNERS_ALIASES", "SECURITY_CONTACTS"):
            shutil.copy(CORPUS_GOVERNANCE / f"{project}__{name}", root / name)
        facts = read_governance(str(root))
        assert facts.problems == ()
        assert facts.security_contacts and facts.approvers and facts.aliases
        assert facts.security_policy is None  # neither project has a SECURITY.md
        assert set(facts.expand(facts.approvers)) - set(facts.approvers)
