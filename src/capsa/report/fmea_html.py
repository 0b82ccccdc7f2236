"""What the HTML assessment's FMEA section shows: per flow, the sequence diagram (SVG) with
the failing step marked and the failure modes by priority (rendered by fmea.html.j2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from capsa.assess.model import Assessment
from capsa.display import NAMES_SHOWN
from capsa.report.fmea_markdown import INTRO
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
from capsa.sim.records import FailureMode, FlowRecord


@dataclass(frozen=True)
class FlowView:
    record: FlowRecord
    title: str
    svg: Any
    marks: dict[str, str]
    modes: list[FailureMode]
    more: int


def fmea_context(a: Assessment, top: int | None = None) -> dict[str, Any]:
    """The template's `fmea` variable; `report` is None when no FMEA was run. `top` keeps
    the highest-priority failure modes of each flow (the rest stay in the JSON)."""
    from markupsafe import Markup

    from capsa.report.sequence_svg import SHARED_DEFS, render_sequence_svg

    report = a.fmea
    if report is None:
        return {"report": None}
    known = {f.id for f in a.model.flows}
    flows = []
    for flow in report.flows:
        marks = failing_steps(report, flow.id)
        svg = (
            render_sequence_svg(a.model, flow.id, marks, standalone=False)
            if flow.id in known
            else ""
        )
        modes = report.ranked(flow.id)
        shown = modes[:top] if top is not None else modes
        flows.append(
            FlowView(
                record=flow,
                title=flow_title(flow),
                svg=Markup(svg),  # noqa: S704 - capsa's own escaped SVG
                marks=marks,
                modes=shown,
                more=len(modes) - len(shown),
            )
        )
    return {
        "report": report,
        "intro": INTRO,
        "summary": summary_line(report),
        "flows": flows,
        "defs": Markup(SHARED_DEFS),  # noqa: S704 - capsa's own constant SVG
        "assumed_note": ASSUMED_NOTE if any(m.assumed for m in report.modes) else "",
        "outcome_text": outcome_text,
        "scores": scores,
        "threats_text": threats_text,
        "setting_text": setting_text,
        # a row per setting names a few scopes; the profiles cut are listed whole once
        "scopes_short": lambda p: scope_names(p, NAMES_SHOWN),
        "scopes_all": scope_names,
        "scope_count": scope_count,
        "long_profiles": long_profiles(report.profiles),
    }
