"""assessment.md: the self-assessment for a reader, rendering on GitHub as is.

The executive summary comes first (what is at risk, the five actions that matter most,
what the cut does), then a table of contents, one verdict line per threat, the attack
paths (cut first, paths grouped by entry point), the findings by check and the project
gaps. The detail behind them is in companion documents beside it (`markdown_details`):
each threat's mitigations, every path and step, every finding and check, the system with
its Mermaid diagrams, the FMEA; the main report links to them. Text that would repeat
on every row is said once; every table cell is escaped so a pipe or newline in a message
cannot break the table; locations are written `path:line`.
"""

from __future__ import annotations

from collections.abc import Callable

from capsa.assess.model import Assessment, FindingRecord
from capsa.report.actions import risks, top_actions, violated_threats
from capsa.report.assessment_text import (
    METHOD_TEXT,
    METHOD_TITLE,
    SECTIONS,
    candidates_sentence,
    cut_sentence,
    no_paths_sentence,
    no_threats_sentence,
    scope_lines,
    some_clusters,
    status_text,
    title_of,
)
from capsa.report.companions import COMPANIONS, KEYS, MAIN, Links, file_name
from capsa.report.markdown_details import (
    companion_document,
    findings_body,
    fmea_body,
    link,
    not_assessable_legend,
    paths_body,
    plural,
    system_body,
    threats_body,
)
from capsa.report.markdown_text import cell as cell  # re-exported: other writers import it here
from capsa.report.markdown_text import code as code
from capsa.report.markdown_text import table as table
from capsa.report.path_groups import PathDigest, digest


def _clusters(clusters: tuple[str, ...], links: Links) -> str:
    """A few clusters by name, the rest counted with a link to where each is named."""
    shown, more = some_clusters(clusters)
    named = ", ".join(cell(c) for c in shown)
    if not more:
        return named
    return f"{named} and {link(f'{more} more', links.doc('paths'))}"


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -")
    return kept.replace(" ", "-")


def _section(lines: list[str], index: int) -> None:
    lines.extend([f"## {index + 1}. {SECTIONS[index]}", ""])


def _summary(a: Assessment, links: Links, lines: list[str]) -> None:
    _section(lines, 0)
    s = a.summary
    violated = violated_threats(a)
    others = "; ".join(
        f"{n} {status.replace('-', ' ')}"
        for status, n in s.threats_by_status.items()
        if status != "violated" and n
    )
    searched = "not searched" if s.paths_not_searched else str(s.open_paths)
    lines.append(
        f"**{len(violated)} of {len(a.threats)} threats are violated** by open findings"
        + (f"; {others}" if others else "")
        + ". Open findings: "
        + (", ".join(f"{n} {sev}" for sev, n in s.findings_by_severity.items() if n) or "none")
        + f". Open attack paths: {searched}."
    )
    derived = candidates_sentence(a)
    if derived:
        lines.extend(["", derived + f" See {link('Threats in detail', links.doc('threats'))}."])
    lines.append("")
    if a.inputs.provider_note:
        lines.extend([f"**Providers:** {cell(a.inputs.provider_note)}.", ""])
    at_risk = risks(a)
    if at_risk:
        lines.extend(["**What is at risk** (targets the open attack paths reach):", ""])
        for r in at_risk:
            lines.append(
                f"- {code(r.target)}: {plural(r.paths, 'path')} from "
                + ", ".join(code(e) for e in r.entries)
                + (f"; clusters {_clusters(r.clusters, links)}" if r.clusters else "")
            )
        lines.append("")
    actions = top_actions(a)
    if actions:
        lines.extend([f"**The {len(actions)} most important actions, in order:**", ""])
        for n, action in enumerate(actions, start=1):
            m = action.mitigation
            checks = sorted({f.check_id for f in action.findings})
            fixes = (
                f"fixes {plural(len(action.findings), 'finding')} of "
                + ", ".join(link(cell(c), links.to("check", c)) for c in checks)
                if action.findings
                else "fixes no open finding"
            )
            closes = (
                f"closes {plural(len(action.paths), 'path')} ("
                + ", ".join(link(str(p), links.to("path", str(p))) for p in action.paths)
                + ")"
                if action.paths
                else "closes no open path"
            )
            cut = " (in the recommended cut)" if action.in_cut else ""
            lines.append(
                f"{n}. {link(code(m.id), links.to('mitigation', m.id))}{cut}: {cell(m.text)} "
                f"It {fixes}; it {closes}. "
                f"[{cell(action.threat.id)}]({links.to('threat', action.threat.id)})"
            )
        lines.append("")
    lines.extend([cell(cut_sentence(a)), ""])


def _contents(links: Links, lines: list[str]) -> None:
    lines.extend(
        [
            "**Contents:** "
            + " · ".join(
                f"[{n}. {t}](#{_anchor(f'{n}. {t}')})" for n, t in enumerate(SECTIONS, start=1)
            )
            + ". **In detail:** "
            + " · ".join(link(cell(c.title), links.doc(c.key)) for c in COMPANIONS),
            "",
        ]
    )


def _overview(a: Assessment, links: Links, lines: list[str]) -> None:
    _section(lines, 1)
    lines.append(
        f"Generated by capsa {cell(a.capsa_version)} on "
        f"{a.generated_at.isoformat(timespec='seconds')} from the system model "
        f"*{cell(title_of(a))}* ({link('components, data-flow diagram and flows', links.doc('system'))}) "
        "and the evidence listed below. "
        + (
            "Each threat of the SIG Security Cluster API self-assessment is shown with the "
            "status its upstream authors gave each mitigation and with the status the "
            "evidence supports in this deployment."
            if a.threats
            else no_threats_sentence(a)
        )
    )
    lines.append("")
    lines.extend(f"- {cell(line)}" for line in scope_lines(a))
    lines.append("")
    s = a.summary
    lines.append(
        "Threats: "
        + ", ".join(f"{v} {cell(k)}" for k, v in s.threats_by_status.items())
        + ". Open findings: "
        + ", ".join(f"{v} {cell(k)}" for k, v in s.findings_by_severity.items())
        + f"; suppressed: {s.suppressed}."
    )
    lines.append("")
    lines.append(
        f"Resources read: {s.resources}; passing results: {s.passes}; undecided: {s.unknown}; "
        f"not applicable: {s.not_applicable}; open attack paths: "
        f"{'not searched' if s.paths_not_searched else s.open_paths}; "
        f"input problems: {s.errors}."
    )
    lines.append("")
    lines.extend([f"### {METHOD_TITLE}", "", cell(METHOD_TEXT), ""])
    lines.extend(not_assessable_legend())


def _threats(a: Assessment, links: Links, lines: list[str]) -> None:
    _section(lines, 2)
    lines.extend(
        [
            "One line per threat: its status in this deployment and why. Each threat's "
            "mitigations, their upstream status and the findings behind the verdict are in "
            + link("Threats in detail", links.doc("threats"))
            + ".",
            "",
        ]
    )
    if not a.threats:
        lines.extend([cell(no_threats_sentence(a)), ""])
        return
    lines.extend(
        table(
            ["Threat", "Title", "Deployment status", "Why"],
            (
                [
                    f"[{cell(t.id)}]({links.to('threat', t.id)})",
                    cell(t.title),
                    status_text(t.deployment_status),
                    cell(t.reason),
                ]
                for t in a.threats
            ),
        )
    )


def _findings(a: Assessment, links: Links, lines: list[str]) -> None:
    """One row per check that failed: what is wrong and where; every resource, location
    and fingerprint is in the findings companion."""
    _section(lines, 4)
    if not a.findings:
        lines.extend(["No check failed.", ""])
        return
    lines.extend(
        [
            f"{plural(len(a.findings), 'finding')} of "
            f"{plural(len({f.check_id for f in a.findings}), 'check')}, worst first. Every "
            "resource, location, message and fix is in "
            + link("Findings and checks", links.to("findings-by-check"))
            + ".",
            "",
        ]
    )
    ordered = sorted(a.findings, key=lambda f: (f.suppressed, -f.severity.rank, f.check_id))
    by_check: dict[str, list[FindingRecord]] = {}
    for f in ordered:
        by_check.setdefault(f.check_id, []).append(f)
    rows = []
    for check_id, members in by_check.items():
        open_ = sum(1 for f in members if not f.suppressed)
        files = dict.fromkeys(f.location.path for f in members)
        rows.append(
            [
                link(cell(check_id), links.to("check", check_id)),
                cell(members[0].severity.value),
                cell(members[0].title),
                str(open_)
                + (f" ({len(members) - open_} suppressed)" if open_ < len(members) else ""),
                ", ".join(code(x) for x in files),
            ]
        )
    lines.extend(table(["Check", "Severity", "Title", "Open", "Files"], rows))


def _cut(a: Assessment, links: Links, lines: list[str]) -> None:
    if a.summary.paths_not_searched:
        return  # nothing searched: no cut, and the section said why
    lines.extend(["### Recommended cut", "", cell(cut_sentence(a)), ""])
    if a.uncuttable:
        lines.extend(
            table(
                ["Entry", "Target", "A route no checkable mitigation closes"],
                (
                    [cell(r.entry), cell(r.target), " > ".join(code(x) for x in r.techniques)]
                    for r in a.uncuttable
                ),
            )
        )
    if a.cut:
        lines.append(
            "The fewest checkable mitigations that, once they hold, close every path they can:"
            if a.uncuttable
            else "The fewest mitigations that, once they hold, close every path below:"
        )
        lines.append("")
        lines.extend(
            table(
                ["Mitigation", "Checks that verify it", "Paths closed"],
                (
                    [
                        link(code(c.mitigation), links.to("mitigation", c.mitigation)),
                        ", ".join(link(cell(x), links.to("check", x)) for x in c.checks) or "-",
                        str(c.paths_cut),
                    ]
                    for c in a.cut
                ),
            )
        )


def _paths(a: Assessment, links: Links, lines: list[str], paths: PathDigest) -> None:
    _section(lines, 3)
    if not a.paths:
        lines.extend([cell(no_paths_sentence(a)), ""])
    if a.cut or a.uncuttable:
        _cut(a, links, lines)
    if not a.paths:
        return
    lines.extend(
        [
            f"### {plural(len(a.paths), 'open path')} in {plural(len(paths.groups), 'group')}",
            "",
            "One group per entry point: what the attacker starts with. Every path, step by "
            "step, with the objects, techniques, threats, blocking mitigations and evidence, "
            "is in " + link("Attack paths in detail", links.doc("paths")) + ".",
            "",
        ]
    )
    for group in paths.groups:
        clusters = _clusters(group.clusters, links) or "shared infrastructure"
        closing = (
            "; ".join(f"{code(m)} closes {k} of {len(group.paths)}" for m, k in group.closing())
            or "none"
        )
        lines.extend(
            [
                f"#### From {cell(group.entry)}",
                "",
                f"{plural(len(group.paths), 'path')} to "
                + ", ".join(code(t) for t in group.targets)
                + f", best score {group.best_score:g}; "
                f"clusters: {clusters}. Closed by the cut: {closing}"
                + (f"; left open: {group.left_open}" if group.left_open else "")
                + ".",
                "",
                "Paths: "
                + ", ".join(
                    link(str(p.number), links.to("path", str(p.number))) for p in group.paths
                )
                + ".",
                "",
            ]
        )


def _gaps(a: Assessment, lines: list[str]) -> None:
    _section(lines, 5)
    if not a.gaps:
        lines.extend(["No project gap is listed.", ""])
    for gap in a.gaps:
        lines.extend([f"### {cell(gap.id)}: {cell(gap.title)}", ""])
        if gap.description:
            lines.extend([cell(gap.description), ""])
        status = f"**Status:** {cell(gap.status)}"
        if gap.reason:
            status += f" - {cell(gap.reason)}"
        lines.extend([status, ""])
        if gap.evidence:
            lines.extend(
                table(
                    ["Check", "Result", "Detail", "File"],
                    (
                        [
                            cell(e.check),
                            {True: "passed", False: "finding", None: "undecided"}[e.ok],
                            cell(e.detail),
                            code(e.path) if e.path else "-",
                        ]
                        for e in gap.evidence
                    ),
                )
            )
        else:
            lines.extend(["No repository evidence (assess a repository with `--repo DIR`).", ""])


def _errors(a: Assessment, lines: list[str]) -> None:
    _section(lines, 6)
    if not a.errors:
        lines.extend(["None.", ""])
        return
    lines.extend(f"- {code(p.label)}" for p in a.errors)
    lines.append("")


def _details(links: Links, lines: list[str]) -> None:
    _section(lines, 7)
    lines.extend(["Written beside this report, in the same folder:", ""])
    lines.extend(f"- {link(cell(c.title), links.doc(c.key))}: {cell(c.about)}." for c in COMPANIONS)
    lines.append("")


def _main(a: Assessment, links: Links, paths: PathDigest) -> str:
    lines = [f"# {cell(title_of(a))}: security self-assessment", ""]
    _summary(a, links, lines)
    _contents(links, lines)
    _overview(a, links, lines)
    _threats(a, links, lines)
    _paths(a, links, lines, paths)
    _findings(a, links, lines)
    _gaps(a, lines)
    _errors(a, lines)
    _details(links, lines)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_assessment_markdown_documents(
    assessment: Assessment, stem: str = "assessment"
) -> dict[str, str]:
    """The main report and its companions, file name → text, main first."""
    a = assessment
    paths = digest(a)
    links = Links(stem, "md")
    docs = {file_name(stem, MAIN, "md"): _main(a, links, paths)}
    bodies: dict[str, Callable[[Links, list[str]], None]] = {
        "threats": lambda here, lines: threats_body(a, here, lines),
        "paths": lambda here, lines: paths_body(a, here, lines, paths),
        "findings": lambda here, lines: findings_body(a, here, lines),
        "system": lambda here, lines: system_body(a, here, lines),
        "fmea": lambda here, lines: fmea_body(a, here, lines),
    }
    for key in KEYS:
        docs[file_name(stem, key, "md")] = companion_document(a, links.on(key), bodies[key])
    return docs


def render_assessment_markdown(assessment: Assessment) -> str:
    """The main report alone (its companions: `render_assessment_markdown_documents`)."""
    return next(iter(render_assessment_markdown_documents(assessment).values()))
