"""assessment.html: the same assessment as one self-contained page (no network at all).

The page reads like assessment.md (summary and actions first, then verdicts, paths with
the cut before them, evidence, the system, appendices) with the diagrams laid out by
Graphviz and embedded as SVG. Jinja2 autoescapes every value; the only raw markup is
capsa's own CSS, JS and that SVG (labels reach Graphviz quoted, and it escapes them).
Tables sort and filter (text, severity, status) with a few lines of inline JS;
`?filter=TEXT` (or `#filter=TEXT`) pre-fills every text filter on load. The layout
works from 400 px wide up and prints (every folded detail opens for printing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from capsa.assess.model import (
    Assessment,
    DeploymentStatus,
    FindingRecord,
    MitigationAssessment,
    Severity,
)
from capsa.model.index import ModelIndex
from capsa.model.types import ElementType, NamedFlow
from capsa.report.actions import risks, top_actions, violated_threats
from capsa.report.assessment_markdown import FMEA_TOP
from capsa.report.assessment_text import (
    APPENDICES,
    METHOD_TEXT,
    METHOD_TITLE,
    NOT_ASSESSABLE,
    SECTIONS,
    STATUS_TEXT,
    carrier_text,
    category_title,
    cut_sentence,
    grouped_threats,
    reason_label,
    scope_lines,
    status_2022,
    title_of,
)
from capsa.report.fmea_html import fmea_context
from capsa.report.path_groups import PathGroup, digest


@dataclass(frozen=True)
class _Section:
    title: str
    anchor: str


@dataclass(frozen=True)
class _Step:
    number: str
    description: str
    between: str
    protocol: str


def _asset(name: str) -> str:
    return (resources.files("capsa.report") / "templates" / name).read_text("utf-8")


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _steps(index: ModelIndex, flow: NamedFlow, prefix: str = "", depth: int = 0) -> list[_Step]:
    out: list[_Step] = []
    for number, step in enumerate(flow.steps, start=1):
        label = f"{prefix}{number}"
        between, protocol = "", ""
        if step.uses and step.uses in index.data_flows:
            df = index.data_flows[step.uses]
            between, protocol = f"{df.source} → {df.target}", df.protocol.value
        elif step.actor:
            between = step.actor
        out.append(_Step(label, step.description, between, protocol))
        if step.include and step.include in index.flows and depth < 3:
            out.extend(_steps(index, index.flows[step.include], f"{label}.", depth + 1))
    return out


def _group_svg(group: PathGroup) -> str:
    from capsa.report.svg import render_path_group_svg

    steps = [(n.step.source, n.step.target, n.step.technique) for n in group.steps]
    return render_path_group_svg(
        steps, group.entry, group.targets, f"Attack paths from {group.entry}"
    )


def _defaults(m: MitigationAssessment) -> list[str]:
    """The upstream defaults a mitigation's passes rest on, when the passes are evidence."""
    if m.deployment_status not in (DeploymentStatus.VERIFIED, DeploymentStatus.PARTLY_VERIFIED):
        return []
    return sorted({p.by_default for p in m.passed if p.by_default})


def _threat_findings(a: Assessment) -> dict[str, list[FindingRecord]]:
    out: dict[str, list[FindingRecord]] = {}
    for threat in a.threats:
        rows: list[FindingRecord] = []
        for mitigation in threat.mitigations:
            for fingerprint in mitigation.findings:
                finding = a.finding(fingerprint)
                if finding is not None and finding not in rows:
                    rows.append(finding)
        out[threat.id] = rows
    return out


def _context(a: Assessment) -> dict[str, Any]:
    from markupsafe import Markup

    from capsa.report.svg import render_dfd_svg

    index = ModelIndex(a.model)
    paths = digest(a)
    flows = [
        {
            "id": f.id,
            "name": f.name,
            "description": f.description,
            "steps": _steps(index, f),
        }
        for f in a.model.flows
    ]
    findings = sorted(a.findings, key=lambda f: (f.suppressed, -f.severity.rank, f.check_id))
    return {
        "a": a,
        "title": title_of(a),
        "generated": a.generated_at.isoformat(timespec="seconds"),
        "sections": [_Section(t, _anchor(t)) for t in SECTIONS],
        "scope": scope_lines(a),
        "actors": [e for e in a.model.elements if e.type is ElementType.ACTOR],
        "components": [e for e in a.model.elements if e.type is not ElementType.ACTOR],
        "boundary_names": {b.id: b.name for b in a.model.boundaries},
        "dfd_svg": Markup(render_dfd_svg(a.model)),  # noqa: S704 - capsa's own escaped SVG
        "flows": flows,
        "groups": grouped_threats(a),
        "threat_findings": _threat_findings(a),
        "findings": findings,
        "digest": paths,
        "group_svg": {
            g.entry: Markup(_group_svg(g))  # noqa: S704 - Graphviz's escaped SVG
            for g in paths.groups
        },
        "step_of": lambda n: paths.steps[n - 1],
        "actions": top_actions(a),
        "risks": risks(a),
        "violated": violated_threats(a),
        "appendices": [_Section(t, _anchor(t)) for t in APPENDICES],
        "reason_label": reason_label,
        "status_2022": status_2022,
        "not_assessable": NOT_ASSESSABLE,
        "severities": [s.value for s in sorted(Severity, key=lambda s: -s.rank)],
        "status_options": [(s.value, STATUS_TEXT[s]) for s in DeploymentStatus],
        "category_title": category_title,
        "plain_status": STATUS_TEXT.__getitem__,
        "carrier_text": carrier_text,
        "defaults_of": _defaults,
        "cut_sentence": cut_sentence(a),
        "method_title": METHOD_TITLE,
        "method_text": METHOD_TEXT,
        "related": {
            t.id: [f for f in (a.finding(x) for x in t.related_findings) if f is not None]
            for t in a.threats
        },
        "css": Markup(_asset("assessment.css")),  # noqa: S704 - packaged stylesheet
        "js": Markup(_asset("assessment.js")),  # noqa: S704 - packaged script
        "fmea": fmea_context(a, top=FMEA_TOP),
        "fmea_flows": {f.id for f in a.fmea.flows} if a.fmea is not None else set(),
    }


_BREAK_AFTER = re.compile(r"(?<=[:/@ ])")


def breakable(text: str) -> Any:
    """An id or path that may wrap only after `:`, `/`, `@` or a space, never inside a
    word (nor at its hyphens): each piece is a no-wrap span, so a copied id is unchanged."""
    from markupsafe import Markup, escape

    pieces = [p for p in _BREAK_AFTER.split(text) if p]
    return Markup(  # noqa: S704 - every piece is escaped
        "<wbr>".join(f'<span class="nb">{escape(p)}</span>' for p in pieces)
    )


def render_assessment_html(assessment: Assessment) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("capsa.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["wbr"] = breakable
    template = env.get_template("assessment.html.j2")
    return template.render(**_context(assessment))
