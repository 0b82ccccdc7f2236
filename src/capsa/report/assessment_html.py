"""assessment.html and its companion pages, each self-contained (no network at all).

The main page reads like assessment.md (summary and actions first, then the verdict per
threat, the cut and the attack-path drawings, the findings by check); the companions
(`capsa.report.companions`: threats in detail, paths, findings and checks, the system,
the FMEA) carry the same styles and script and link each other by relative links.
Diagrams are laid out by Graphviz and embedded as SVG. Jinja2 autoescapes every value;
the only raw markup is capsa's own CSS, JS and that SVG (labels reach Graphviz quoted,
and it escapes them). Tables sort and filter (text, severity, status) with a few lines
of inline JS; `?filter=TEXT` (or `#filter=TEXT`) pre-fills every text filter on load.
The layout works from 400 px wide up and prints (every folded detail opens for printing).
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
from capsa.report.assessment_text import (
    METHOD_TEXT,
    METHOD_TITLE,
    NOT_ASSESSABLE,
    SECTIONS,
    STATUS_TEXT,
    candidate_counts,
    candidates_sentence,
    carrier_text,
    category_title,
    cut_sentence,
    grouped_threats,
    no_paths_sentence,
    no_threats_sentence,
    reason_label,
    related_findings,
    scope_lines,
    some_clusters,
    status_2022,
    threat_findings,
    title_of,
)
from capsa.report.companions import COMPANIONS, KEYS, MAIN, Links, companion, file_name
from capsa.report.fmea_html import fmea_context
from capsa.report.path_groups import PathDigest, PathGroup, digest


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


def _findings_by_check(findings: list[FindingRecord]) -> list[tuple[str, list[FindingRecord]]]:
    grouped: dict[str, list[FindingRecord]] = {}
    for f in findings:
        grouped.setdefault(f.check_id, []).append(f)
    return list(grouped.items())


def _context(a: Assessment) -> dict[str, Any]:
    """What every page's template may read; each page renders only its own part."""
    from markupsafe import Markup

    index = ModelIndex(a.model)
    paths = digest(a)
    findings = sorted(a.findings, key=lambda f: (f.suppressed, -f.severity.rank, f.check_id))
    by_fingerprint = a.findings_by_fingerprint()
    return {
        "a": a,
        "title": title_of(a),
        "generated": a.generated_at.isoformat(timespec="seconds"),
        "companions": COMPANIONS,
        "sections": [_Section(t, _anchor(t)) for t in SECTIONS],
        "scope": scope_lines(a),
        "actors": [e for e in a.model.elements if e.type is ElementType.ACTOR],
        "components": [e for e in a.model.elements if e.type is not ElementType.ACTOR],
        "boundary_names": {b.id: b.name for b in a.model.boundaries},
        "flows_of": lambda: [
            {"id": f.id, "name": f.name, "description": f.description, "steps": _steps(index, f)}
            for f in a.model.flows
        ],
        "groups": grouped_threats(a),
        "category_anchor": _anchor,
        "threat_findings": {t.id: threat_findings(t, by_fingerprint) for t in a.threats},
        "findings": findings,
        "finding_checks": _findings_by_check(findings),
        "digest": paths,
        "step_of": lambda n: paths.steps[n - 1],
        "actions": top_actions(a),
        "risks": risks(a),
        "violated": violated_threats(a),
        "reason_label": reason_label,
        "status_2022": status_2022,
        "not_assessable": NOT_ASSESSABLE,
        "candidate_counts": candidate_counts(a.candidates),
        "severities": [s.value for s in sorted(Severity, key=lambda s: -s.rank)],
        "status_options": [(s.value, STATUS_TEXT[s]) for s in DeploymentStatus],
        "category_title": category_title,
        "plain_status": STATUS_TEXT.__getitem__,
        "carrier_text": carrier_text,
        "defaults_of": _defaults,
        "cut_sentence": cut_sentence(a),
        "no_paths_sentence": no_paths_sentence(a),
        "no_threats_sentence": no_threats_sentence(a),
        "candidates_sentence": candidates_sentence(a),
        "some_clusters": some_clusters,
        "method_title": METHOD_TITLE,
        "method_text": METHOD_TEXT,
        "related": {t.id: related_findings(t, by_fingerprint) for t in a.threats},
        "css": Markup(_asset("assessment.css")),  # noqa: S704 - packaged stylesheet
        "js": Markup(_asset("assessment.js")),  # noqa: S704 - packaged script
        "fmea_flows": {f.id for f in a.fmea.flows} if a.fmea is not None else set(),
    }


def _page_context(a: Assessment, key: str, base: dict[str, Any]) -> dict[str, Any]:
    """The drawings and tables only `key`'s page shows, laid out only when it is rendered."""
    from markupsafe import Markup

    from capsa.report.svg import render_dfd_svg

    extra: dict[str, Any] = {}
    paths: PathDigest = base["digest"]
    if key == MAIN:
        extra["page_title"] = "security self-assessment"
        extra["group_svg"] = {
            g.entry: Markup(_group_svg(g))  # noqa: S704 - Graphviz's escaped SVG
            for g in paths.groups
        }
    else:
        extra["companion"] = companion(key)
        extra["page_title"] = companion(key).title
    if key == "system":
        extra["dfd_svg"] = Markup(render_dfd_svg(a.model))  # noqa: S704 - capsa's escaped SVG
        extra["flows"] = base["flows_of"]()
    if key == "fmea":
        extra["fmea"] = fmea_context(a)
    return {**base, **extra}


_BREAK_AFTER = re.compile(r"(?<=[:/@ ])")


def breakable(text: str) -> Any:
    """An id or path that may wrap only after `:`, `/`, `@` or a space, never inside a
    word: a piece holding a hyphen (where a browser would break) is kept whole by a
    no-wrap `<n-b>` element, so a copied id is unchanged and the rest carries no markup."""
    from markupsafe import Markup, escape

    pieces = [p for p in _BREAK_AFTER.split(text) if p]
    return Markup(  # noqa: S704 - every piece is escaped
        "<wbr>".join(f"<n-b>{escape(p)}</n-b>" if "-" in p else str(escape(p)) for p in pieces)
    )


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("capsa.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["wbr"] = breakable
    return env


def render_assessment_html_documents(
    assessment: Assessment, stem: str = "assessment"
) -> dict[str, str]:
    """The main page and its companions, file name → HTML, main first."""
    env = _environment()
    base = _context(assessment)
    links = Links(stem, "html")
    out: dict[str, str] = {}
    for key in (MAIN, *KEYS):
        here = links.on(key)
        template = env.get_template(
            "assessment.html.j2" if key == MAIN else f"assessment-{key}.html.j2"
        )
        context = _page_context(assessment, key, base)
        out[file_name(stem, key, "html")] = template.render(
            **context, page=key, links=here, at=here.to
        )
    return out


def render_assessment_html(assessment: Assessment) -> str:
    """The main page alone (its companions: `render_assessment_html_documents`)."""
    env = _environment()
    links = Links("assessment", "html")
    context = _page_context(assessment, MAIN, _context(assessment))
    return str(
        env.get_template("assessment.html.j2").render(
            **context, page=MAIN, links=links, at=links.to
        )
    )
