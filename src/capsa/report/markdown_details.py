"""The Markdown companions of assessment.md: the detail the main report links to.

Each is a document of its own (title, a line back to the main report and the other
companions, then its body): the threats with every mitigation, the attack paths step by
step, every finding and check, the system with its diagrams, the FMEA. Links between
documents are relative (`Links`), so the folder can move as a whole.
"""

from __future__ import annotations

from collections.abc import Callable

from capsa.assess.model import (
    Assessment,
    DeploymentStatus,
    FindingRecord,
    MitigationAssessment,
    ThreatAssessment,
)
from capsa.model.types import ElementType
from capsa.report.assessment_text import (
    NOT_ASSESSABLE,
    candidate_counts,
    carrier_text,
    grouped_threats,
    no_paths_sentence,
    reason_label,
    related_findings,
    status_2022,
    status_text,
    threat_findings,
    title_of,
)
from capsa.report.companions import COMPANIONS, MAIN, Links, companion
from capsa.report.markdown_text import cell, code, table
from capsa.report.path_groups import NumberedStep, PathDigest

LEGEND_ANCHOR = "why-a-mitigation-is-not-assessable"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def mermaid(text: str) -> list[str]:
    return ["```mermaid", text.rstrip("\n"), "```", ""]


def link(text: str, href: str) -> str:
    return f"[{text}]({href})"


def not_assessable_legend(level: str = "###") -> list[str]:
    lines = [f"{level} Why a mitigation is not assessable", ""]
    lines.extend("- **" + cell(label) + "**: " + cell(text) for _, label, text in NOT_ASSESSABLE)
    lines.append("")
    return lines


def _header(a: Assessment, links: Links) -> list[str]:
    here = companion(links.page)
    others = [link(cell(c.title), links.doc(c.key)) for c in COMPANIONS if c.key != links.page]
    return [
        f"# {cell(title_of(a))}: {cell(here.title)}",
        "",
        f"Part of the security self-assessment: {cell(here.about)}. "
        f"Back to the {link('main report', links.doc(MAIN))}; also " + ", ".join(others) + ".",
        "",
    ]


# --- threats ---------------------------------------------------------------------------


def _mitigation_row(links: Links, m: MitigationAssessment) -> list[str]:
    upstream = m.upstream_status or "-"
    if m.status_in_2022:
        upstream += f"; in 2022: {status_2022(m.status_in_2022)}"
    if m.status_note:
        upstream += f". {m.status_note}"
    checks = ", ".join(link(cell(c), links.to("check", c)) for c in m.checks) or "-"
    label = (
        reason_label(m.reason) if m.deployment_status is DeploymentStatus.NOT_ASSESSABLE else None
    )
    reason = link(cell(label), f"#{LEGEND_ANCHOR}") if label else cell(m.reason)
    status = f"{status_text(m.deployment_status)} - {reason}"
    defaults = sorted({p.by_default for p in m.passed if p.by_default})
    evidenced = m.deployment_status in (
        DeploymentStatus.VERIFIED,
        DeploymentStatus.PARTLY_VERIFIED,
    )
    if defaults and evidenced:
        status += "<br>by default: " + "; ".join(cell(d) for d in defaults)
    if m.not_applicable:
        status += f"<br>not applicable on {len(m.not_applicable)} resource(s), not evidence"
    if m.same_as:
        status += "<br>same control as " + ", ".join(code(x) for x in m.same_as)
    return [
        f'<a id="mitigation-{m.id}"></a>{code(m.id)}',
        cell(m.text),
        cell(upstream),
        cell(carrier_text(m)),
        status,
        checks,
    ]


def finding_line(links: Links, f: FindingRecord) -> str:
    suppressed = " (suppressed)" if f.suppressed else ""
    return (
        f"- {link(cell(f.check_id), links.to('check', f.check_id))} "
        f"{cell(f.severity.value)}{suppressed}: {code(f.location.label)}"
    )


def _threat(
    links: Links,
    t: ThreatAssessment,
    by_fingerprint: dict[str, FindingRecord],
    lines: list[str],
) -> None:
    lines.extend([f'<a id="threat-{t.id}"></a>', ""])
    lines.extend([f"#### {cell(t.id)}: {cell(t.title)}", ""])
    if t.description:
        lines.extend([cell(t.description), ""])
    lines.extend(
        [f"**Deployment status:** {status_text(t.deployment_status)} - {cell(t.reason)}", ""]
    )
    if t.tracking is not None:
        tr = t.tracking
        extra = "; ".join(x for x in (tr.owner, tr.reference, tr.note) if x)
        lines.extend([f"**Tracking decision:** {cell(tr.decision)} {cell(extra)}".rstrip(), ""])
    if t.mitigations:
        lines.extend(
            table(
                [
                    "Mitigation",
                    "Recommended",
                    "Upstream status",
                    "Carried by",
                    "Deployment status",
                    "Checks",
                ],
                (_mitigation_row(links, m) for m in t.mitigations),
            )
        )
    else:
        lines.extend(["The assessment lists no mitigation for this threat.", ""])
    findings = threat_findings(t, by_fingerprint)
    if t.open_techniques:
        techniques = ", ".join(code(x) for x in t.open_techniques)
        lines.extend([f"Open attack paths use its techniques: {techniques}.", ""])
        if t.open_routes:
            lines.extend(["Of those, on none of the listed paths (one route each):", ""])
            lines.extend(f"- {code(x)}: {cell(route)}" for x, route in t.open_routes.items())
            lines.append("")
    if findings:
        lines.extend(
            [
                "Findings behind this status (resources and messages in "
                + link("Findings and checks", links.to("findings-by-check"))
                + "):",
                "",
            ]
        )
        lines.extend(finding_line(links, f) for f in findings)
        lines.append("")
    related = related_findings(t, by_fingerprint)
    if related:
        lines.extend(
            [
                "Other open findings naming this threat (their checks evidence none of its"
                " mitigations, so they decide no status of it):",
                "",
            ]
        )
        lines.extend(finding_line(links, f) for f in related)
        lines.append("")


def threats_body(a: Assessment, links: Links, lines: list[str]) -> None:
    by_fingerprint = a.findings_by_fingerprint()
    for category, threats in grouped_threats(a):
        lines.extend([f"## {cell(category)}", ""])
        for threat in threats:
            _threat(links, threat, by_fingerprint, lines)
    lines.extend(not_assessable_legend("##"))
    lines.extend(["## Candidate threats from the engine", ""])
    if not a.candidates:
        lines.extend(["The engine derived no threat beyond the catalogue.", ""])
        return
    lines.extend([candidate_counts(a.candidates), ""])
    lines.extend(
        table(
            ["Id", "Rule", "Category", "Status", "Severity", "Title", "Targets"],
            (
                [
                    code(c.id),
                    code(c.rule),
                    cell(c.category),
                    c.status,
                    c.severity or "-",
                    cell(c.title),
                    ", ".join(code(t) for t in c.targets) or "-",
                ]
                for c in a.candidates
            ),
        )
    )


# --- attack paths ----------------------------------------------------------------------


def _steps_of(paths: PathDigest, numbers: tuple[int, ...]) -> list[NumberedStep]:
    return [paths.steps[n - 1] for n in numbers]


def paths_body(a: Assessment, links: Links, lines: list[str], paths: PathDigest) -> None:
    if not a.paths:
        lines.extend([cell(no_paths_sentence(a)), ""])
        return
    lines.extend(
        [
            "## Every attack path",
            "",
            "Best score first; a path is its chain of steps (S1, S2, …), each written once "
            "under [Every step](#every-step) with its threats, the mitigations that would "
            "block it and the evidence.",
            "",
        ]
    )
    lines.extend(
        table(
            ["#", "Entry → target", "Score", "Clusters", "Steps", "Closed by"],
            (
                [
                    f'<a id="path-{p.number}"></a>{p.number}',
                    f"{cell(p.path.entry)} → {cell(p.path.target)}",
                    f"{p.path.score:g}",
                    ", ".join(cell(c) for c in p.path.clusters) or "-",
                    " > ".join(
                        link(f"{cell(n.step.technique)} ({n.label})", f"#step-{n.number}")
                        for n in _steps_of(paths, p.steps)
                    ),
                    ", ".join(link(code(m), links.to("mitigation", m)) for m in p.closed_by) or "-",
                ]
                for p in paths.paths
            ),
        )
    )
    lines.extend(["## Every step", ""])
    lines.extend(
        table(
            ["Step", "From", "To", "Technique", "Threats", "Blocked by (not holding)", "Evidence"],
            (
                [
                    f'<a id="step-{n.number}"></a>{n.label}',
                    cell(n.step.source),
                    cell(n.step.target),
                    cell(n.step.technique),
                    ", ".join(link(cell(x), links.to("threat", x)) for x in n.step.threats) or "-",
                    ", ".join(code(x) for x in n.step.blocked_by) or "-",
                    "; ".join(cell(x.text) for x in n.step.evidence) or n.step.status or "-",
                ]
                for n in paths.steps
            ),
        )
    )


# --- findings and checks ---------------------------------------------------------------


def findings_body(a: Assessment, links: Links, lines: list[str]) -> None:
    """Findings grouped by check: the message and fix once, then every resource."""
    lines.extend(['<a id="findings-by-check"></a>', "", "## Findings", ""])
    if not a.findings:
        lines.extend(["No check failed.", ""])
    ordered = sorted(a.findings, key=lambda f: (f.suppressed, -f.severity.rank, f.check_id))
    groups: dict[tuple[str, str, str], list[FindingRecord]] = {}
    for f in ordered:
        groups.setdefault((f.check_id, f.message, f.remediation), []).append(f)
    for (check_id, message, remediation), members in groups.items():
        first = members[0]
        lines.append(
            f"**{link(cell(check_id), f'#check-{check_id}')}** {cell(first.severity.value)}: "
            f"{cell(first.title)} ({plural(len(members), 'finding')}). {cell(message)} "
            f"*Fix:* {cell(remediation)}"
        )
        lines.append("")
        for f in members:
            note = ""
            if f.suppressed:
                note = f" (suppressed: {cell(f.suppression_reason or 'no reason given')})"
            lines.append(
                f'- <a id="finding-{f.fingerprint[:16]}"></a>{cell(f.resource.label)} at '
                f"{code(f.location.label)}{note}; fingerprint {code(f.fingerprint)}"
            )
        lines.append("")
    lines.extend(["## Checks", ""])
    if not a.checks:
        lines.extend(["No check was loaded.", ""])
        return
    lines.extend(
        [
            "A check evidences one mitigation, in full (a pass shows it in place) or in part; "
            "hardening checks evidence none. Passes by default rest on an upstream default; "
            "not-applicable results are no evidence.",
            "",
        ]
    )
    lines.extend(
        table(
            [
                "Check",
                "Title",
                "Severity",
                "Mitigation",
                "Evidence",
                "Pass",
                "Fail",
                "Suppressed",
                "Unknown",
                "Not applicable",
            ],
            (
                [
                    f'<a id="check-{c.id}"></a>{code(c.id)}',
                    cell(c.title),
                    cell(c.severity.value),
                    link(code(c.mitigation), links.to("mitigation", c.mitigation))
                    if c.mitigation
                    else "- (hardening)",
                    c.evidence if c.mitigation else "-",
                    str(c.passed)
                    + (f" ({c.passed_by_default} by default)" if c.passed_by_default else ""),
                    str(c.failed),
                    str(c.suppressed),
                    str(c.unknown),
                    str(c.not_applicable),
                ]
                for c in a.checks
            ),
        )
    )


# --- the system ------------------------------------------------------------------------


def system_body(a: Assessment, links: Links, lines: list[str]) -> None:
    from capsa.report.diagrams import render_mermaid
    from capsa.report.fmea_text import failing_steps
    from capsa.report.sequence import render_sequence

    boundaries = {b.id: b.name for b in a.model.boundaries}
    people = [e for e in a.model.elements if e.type is ElementType.ACTOR]
    others = [e for e in a.model.elements if e.type is not ElementType.ACTOR]
    lines.extend(["## Components and personas", "", "### Personas and actors", ""])
    lines.extend(
        table(
            ["Id", "Name", "Description"],
            ([code(e.id), cell(e.name), cell(e.description)] for e in people),
        )
    )
    lines.extend(["### Components", ""])
    lines.extend(
        table(
            ["Id", "Name", "Type", "Trust boundary"],
            (
                [
                    code(e.id),
                    cell(e.name),
                    cell(e.type.value),
                    cell(boundaries.get(e.boundary or "", e.boundary or "-")),
                ]
                for e in others
            ),
        )
    )
    lines.extend(["### Trust boundaries", ""])
    lines.extend(
        table(
            ["Id", "Name", "Kind", "Inside"],
            (
                [code(b.id), cell(b.name), cell(b.kind.value), cell(b.parent or "-")]
                for b in a.model.boundaries
            ),
        )
    )
    lines.extend(
        [
            "## Data-flow diagram",
            "",
            "Trust boundaries are drawn as nested boxes; arrows are data flows.",
            "",
            *mermaid(render_mermaid(a.model)),
        ]
    )
    lines.extend(["## Flows", ""])
    if not a.model.flows:
        lines.extend(["The model names no flows.", ""])
    if a.fmea is not None and a.model.flows:
        lines.extend(
            [
                "Steps where an injected fault does harm are marked ✗; "
                + link("the FMEA", links.doc("fmea"))
                + " says which fault and what follows.",
                "",
            ]
        )
    for flow in a.model.flows:
        lines.extend([f'<a id="flow-{flow.id}"></a>', "", f"### {cell(flow.name)}", ""])
        if flow.description:
            lines.extend([cell(flow.description), ""])
        marks = failing_steps(a.fmea, flow.id) if a.fmea is not None else None
        lines.extend(mermaid(render_sequence(a.model, flow.id, marks)))


# --- FMEA ------------------------------------------------------------------------------


def fmea_body(a: Assessment, links: Links, lines: list[str]) -> None:
    from capsa.report.fmea_markdown import fmea_markdown_lines

    if a.fmea is None:
        lines.extend(["No FMEA was run for this assessment (see the input problems).", ""])
        return
    lines.extend(
        [
            "Each flow is drawn, its failing steps marked, in "
            + link(
                "the system",
                links.to("flow", a.fmea.flows[0].id) if a.fmea.flows else links.doc("system"),
            )
            + ".",
            "",
        ]
    )
    lines.extend(fmea_markdown_lines(a.fmea, a.model, level=1, diagrams=False))


def companion_document(
    a: Assessment, links: Links, body: Callable[[Links, list[str]], None]
) -> str:
    """One companion: its header, then `body` written with links from its own page."""
    lines = _header(a, links)
    body(links, lines)
    return "\n".join(lines).rstrip("\n") + "\n"
