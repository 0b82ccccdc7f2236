"""docs/cloud-checks.md generated from the cloud checks' data: what each reads, the CEL
or the function that decides, the threats and mitigation it evidences, the permissions
`--aws` needs, and the examples a test runs."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import yaml

from capsa.report.assessment_markdown import cell, table

if TYPE_CHECKING:
    from capsa.cloud.model import CloudCheck, CloudExample

SOURCE = "src/capsa/cloud/data/checks.yaml"


class Titles(Protocol):
    """Catalogue names next to ids (`capsa.report.reference_docs.Titles`)."""

    def threat(self, threat_id: str) -> str: ...

    def mitigation(self, mitigation_id: str) -> str: ...


def _anchor(identifier: str) -> str:
    return "".join(c for c in identifier.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


def _examples(label: str, examples: Sequence[CloudExample]) -> list[str]:
    out: list[str] = []
    for example in examples:
        facts = example.facts.model_dump(
            mode="json", by_alias=True, exclude_defaults=True, exclude={"source", "collected"}
        )
        summary = f"{label}: {example.note}" if example.note else label
        dumped = yaml.safe_dump(facts, sort_keys=False, width=88, allow_unicode=True)
        out.extend(["<details>", f"<summary>{html.escape(summary)}</summary>", ""])
        out.extend(["```yaml", dumped.rstrip("\n"), "```", "", "</details>", ""])
    return out


def cloud_checks_markdown(
    checks: Sequence[CloudCheck], actions: Sequence[str], titles: Titles, header: str
) -> str:
    """The page: an index, the read-only policy, then one section per check."""
    functions = sum(1 for c in checks if c.function)
    lines = [
        header,
        "",
        "# Cloud checks",
        "",
        f"{len(checks)} checks over an AWS account's facts: {len(checks) - functions} "
        f"CEL expressions (true when compliant), {functions} functions registered by id "
        "(`capsa.cloud`). They run on `--aws` reads and, for IAM, on clusterawsadm "
        "AWSIAMConfiguration and CloudFormation files. See docs/aws.md.",
        "",
        "## Index",
        "",
    ]
    lines.extend(
        table(
            ["check", "severity", "facts", "title"],
            [
                (f"[{c.id}](#{_anchor(c.id)})", c.severity.value, c.match.facts, cell(c.title))
                for c in checks
            ],
        )
    )
    if lines[-1] != "":
        lines.append("")
    lines.extend(
        [
            "## Permissions `--aws` needs",
            "",
            "Exactly the calls in capsa's allowlist (`capsa aws policy` prints the policy):",
            "",
            *(f"- `{a}`" for a in actions),
            "",
        ]
    )
    for check in checks:
        rows = [
            ("severity", check.severity.value),
            ("threats", ", ".join(titles.threat(t) for t in check.threats)),
            (
                "mitigation",
                titles.mitigation(check.mitigation)
                if check.mitigation
                else "none (hardening: its results decide no threat's status)",
            ),
            (
                "a pass shows",
                f"{check.evidence}: {' '.join(check.proves.split())}" if check.mitigation else "-",
            ),
            ("facts", check.match.model_dump_json(by_alias=True, exclude_defaults=True)),
            ("needs", ", ".join(check.needs)),
            *([("scoped by", ", ".join(check.scoped_by))] if check.scoped_by else []),
            ("on a read gap", check.on_gap),
            ("decided by", "a registered function" if check.function else "CEL"),
        ]
        lines.extend([f"### {check.id}: {cell(check.title)}", ""])
        lines.extend(table(["property", "value"], [(k, cell(v)) for k, v in rows]))
        lines.append("")
        if check.expression:
            lines.extend(["```cel", " ".join(check.expression.split()), "```", ""])
        lines.extend([f"**Why.** {cell(check.message)}", ""])
        lines.extend([f"**Fix.** {cell(check.remediation)}", ""])
        lines.extend(["**References.**", "", *(f"- {r}" for r in check.references), ""])
        lines.extend(_examples("fires", check.examples.fail))
        lines.extend(_examples("stays silent", check.examples.pass_))
    return "\n".join(lines).rstrip("\n") + "\n"
