"""The FMEA in Markdown: what was simulated and under which deployment settings, then per
flow a sequence diagram with the failing step marked and the failure modes by priority.

Used on its own (`capsa fmea --format md`) and as a section of assessment.md.
"""

from __future__ import annotations

from capsa.display import NAMES_SHOWN
from capsa.model.types import SystemModel
from capsa.report.fmea_text import (
    ASSUMED_NOTE,
    failing_steps,
    flow_title,
    long_profiles,
    outcome_text,
    scope_count,
    scope_names,
    scores,
    setting_text,
    summary_line,
    threats_text,
)
from capsa.report.markdown_text import cell, code, table
from capsa.report.sequence import render_sequence
from capsa.sim.records import FailureMode, FmeaReport

INTRO = (
    "Each named flow was run with every fault of the catalogue injected at every step it "
    "applies to. A run completes, halts safely (stops, or retries, with nothing left over), "
    "leaves residue (something outlives its use: a secret, a token, an orphaned resource) "
    "or completes compromised (a spoofed, tampered or replayed input was acted on). "
    "Severity (S), occurrence (O) and detection (D) run from 1 to 10 (D 10: nothing "
    "notices); the risk priority number is S × O × D."
)


def _settings_lines(report: FmeaReport) -> list[str]:
    """The settings table, a profile's scopes cut short in each of its rows, then every
    scope of the profiles cut, once (a row per setting repeated them all: at the corpus
    x5, rows of 67 KB)."""
    rows = [
        [
            str(p.id),
            cell(scope_names(p, NAMES_SHOWN)),
            code(s.id),
            cell(setting_text(s.value)),
            cell(s.source),
            cell(s.basis),
        ]
        for p in report.profiles
        for s in p.settings
    ]
    lines = table(["Profile", "Applies to", "Setting", "Value", "Source", "Basis"], rows)
    cut = long_profiles(report.profiles)
    if cut:
        lines.extend(["Every scope of the profiles named in part above:", ""])
        lines.extend(f"- Profile {p.id}{scope_count(p)}: {cell(scope_names(p))}" for p in cut)
        lines.append("")
    return lines


def _why(mode: FailureMode) -> str:
    parts = [cell(mode.effect)]
    if mode.decided_by:
        parts.append("Decided by: " + cell("; ".join(mode.decided_by)) + ".")
    return " ".join(parts)


def _mitigations(mode: FailureMode) -> str:
    items = [code(m) for m in mode.mitigations]
    items.extend(f"{code(w.setting)} → {cell(w.outcome.value)} (RPN {w.rpn})" for w in mode.what_if)
    return ", ".join(items) or "-"


def _row(mode: FailureMode) -> list[str]:
    return [
        code(mode.id),
        cell(mode.step),
        cell(outcome_text(mode)),
        _why(mode),
        cell(threats_text(mode)),
        cell(scores(mode)),
        str(mode.rpn),
        cell("; ".join(mode.detected_by) or "nothing"),
        _mitigations(mode),
    ]


def fmea_markdown_lines(
    report: FmeaReport,
    model: SystemModel,
    level: int = 2,
    top: int | None = None,
    diagrams: bool = True,
) -> list[str]:
    """The FMEA body; flow headings at `level` + 1. `diagrams=False` leaves the sequence
    diagrams to the caller (the assessment draws them, marked, in its Flows section)."""
    heading = "#" * (level + 1)
    lines = [INTRO, "", summary_line(report) + ".", "", f"{heading} Deployment settings", ""]
    lines.extend(_settings_lines(report))
    known = {f.id for f in model.flows}
    for flow in report.flows:
        lines.extend([f"{heading} {cell(flow.name)}", "", cell(flow_title(flow)), ""])
        if flow.undescribed:
            steps = ", ".join(flow.undescribed)
            lines.extend([f"Steps without semantics (run as doing nothing): {steps}.", ""])
        if flow.by_design:
            left = "; ".join(f"{r.product} from step {r.step} ({r.why})" for r in flow.by_design)
            lines.extend([f"Left even without a fault: {cell(left)}.", ""])
        marks = failing_steps(report, flow.id)
        if diagrams and flow.id in known:
            lines.extend(["```mermaid", render_sequence(model, flow.id, marks).rstrip(), "```", ""])
        modes = report.ranked(flow.id)
        if not modes:
            lines.extend(["No fault changes how this flow ends.", ""])
            continue
        shown = modes[:top] if top is not None else modes
        lines.extend(
            table(
                [
                    "Failure mode",
                    "Step",
                    "Outcome",
                    "Effect",
                    "Threats",
                    "S·O·D",
                    "RPN",
                    "Detected by",
                    "Mitigations (what-if)",
                ],
                (_row(m) for m in shown),
            )
        )
        if len(modes) > len(shown):
            lines.extend(
                [
                    f"{len(modes) - len(shown)} lower-priority failure modes are in the JSON "
                    "(and in `capsa fmea`).",
                    "",
                ]
            )
    if any(m.assumed for m in report.modes):
        lines.extend([cell(ASSUMED_NOTE), ""])
    return lines


def render_fmea_markdown(report: FmeaReport, model: SystemModel) -> str:
    """`capsa fmea --format md`: the FMEA as a document of its own."""
    lines = [f"# FMEA of {cell(report.model)}", "", *fmea_markdown_lines(report, model, 1)]
    return "\n".join(lines).rstrip("\n") + "\n"
