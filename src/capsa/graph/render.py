"""Attack-path reports as JSON (`schemas/attack-paths.json`), Mermaid, Graphviz DOT and
text rows. Paths are numbered from 1 everywhere people or tools refer to them: the table's
`#`, the JSON `number` and a cut's `paths`, and the HTML report."""

from __future__ import annotations

import json
import re
from typing import Any

from capsa import SCHEMA
from capsa.graph.evidence import EvidenceRef
from capsa.graph.search import AttackPath, PathReport, Step, WhatIf


def evidence_dict(ref: EvidenceRef) -> dict[str, Any]:
    """One check result behind a step, in the scan contract's names."""
    return {
        "check": ref.check_id,
        "passed": ref.passed,
        "accepted": ref.accepted,
        "resource": ref.resource_ref.as_dict() if ref.resource_ref else None,
        "location": ref.where.as_dict() if ref.where else None,
        "text": evidence_label(ref),
    }


def evidence_label(ref: EvidenceRef, location: str | None = None) -> str:
    """`CHECK passed|failed|failed (accepted) on Kind ns/name at path:line`, how people
    read a result (an accepted failure is a suppressed finding: the risk taken, the
    control still absent)."""
    verdict = "passed" if ref.passed else "failed (accepted)" if ref.accepted else "failed"
    where = location if location is not None else ref.location
    at = f" at {where}" if where else ""
    return f"{ref.check_id} {verdict} on {ref.resource}{at}"


def _step(step: Step) -> dict[str, Any]:
    return {
        "from": step.source,
        "to": step.target,
        "technique": step.technique,
        "threats": list(step.threats),
        "blockedBy": list(step.blocked_by),
        "status": step.status,
        "evidence": [evidence_dict(r) for r in step.refs],
    }


def path_dict(path: AttackPath, number: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {} if number is None else {"number": number}
    out.update(
        {
            "entry": path.entry,
            "target": path.target,
            "score": path.score,
            "clusters": list(path.clusters),
            "steps": [_step(s) for s in path.steps],
        }
    )
    return out


def report_dict(report: PathReport) -> dict[str, Any]:
    """The JSON document of a report."""
    return {
        "schema": SCHEMA,
        "kind": "AttackPaths",
        "entries": list(report.entries),
        "targets": list(report.targets),
        "assumed": list(report.assumed),
        "complete": report.complete,
        "searched": report.searched,
        "notSearched": list(report.not_searched),
        "paths": [path_dict(p, i) for i, p in enumerate(report.paths, start=1)],
        "cut": [
            {
                "mitigation": c.mitigation,
                "effort": c.effort,
                "checks": list(c.checks),
                "pathsCut": len(c.paths_cut),
                "paths": [i + 1 for i in c.paths_cut],
            }
            for c in report.cut.mitigations
        ],
        "cutExact": report.cut.exact,
        "cutEffort": report.cut.total_effort,
        "cutClosesEveryPath": report.cut_closes_every_path,
        "uncuttable": [
            {"entry": r.entry, "target": r.target, "techniques": list(r.techniques)}
            for r in report.cut.routes
        ],
    }


def to_json(report: PathReport) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False)


def what_if_dict(result: WhatIf) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": "WhatIf",
        "assumed": list(result.assumed),
        "removed": [path_dict(p) for p in result.removed],
        "remaining": [path_dict(p) for p in result.after],
    }


def _safe(node_id: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _label(text: str) -> str:
    return text.replace('"', "'")


def _unique_edges(report: PathReport) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    nodes: list[str] = []
    edges: list[tuple[str, str, str, str]] = []
    for path in report.paths:
        for step in path.steps:
            for node in (step.source, step.target):
                if node not in nodes:
                    nodes.append(node)
            edge = (step.source, step.target, step.technique, step.status)
            if edge not in edges:
                edges.append(edge)
    return nodes, edges


def to_mermaid(report: PathReport) -> str:
    """A Mermaid flowchart of every step on the reported paths (assumed edges dashed)."""
    nodes, edges = _unique_edges(report)
    lines = ["flowchart LR"]
    lines += [f'  {_safe(n)}["{_label(n)}"]' for n in nodes]
    for source, target, technique, status in edges:
        arrow = "-.->" if status == "assumed" else "-->"
        lines.append(f'  {_safe(source)} {arrow}|"{_label(technique)}"| {_safe(target)}')
    return "\n".join(lines) + "\n"


def to_dot(report: PathReport) -> str:
    """Graphviz DOT of every step on the reported paths (assumed edges dashed)."""
    nodes, edges = _unique_edges(report)
    entries = {p.steps[0].source for p in report.paths if p.steps}
    targets = {p.steps[-1].target for p in report.paths if p.steps}
    lines = ["digraph attack_paths {", "  rankdir=LR;", "  newrank=true;", "  node [shape=box];"]
    for node in nodes:
        extra = ""
        if node in entries:
            extra = ", style=filled, fillcolor=lightyellow"
        elif node in targets:
            extra = ", style=filled, fillcolor=mistyrose"
        lines.append(f'  {_safe(node)} [label="{_label(node)}"{extra}];')
    for source, target, technique, status in edges:
        style = ", style=dashed" if status == "assumed" else ""
        lines.append(f'  {_safe(source)} -> {_safe(target)} [label="{_label(technique)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def path_rows(report: PathReport) -> list[tuple[str, str, str, str, str, str]]:
    """(#, entry -> target, score, techniques, clusters, evidence) per path; # from 1."""
    rows = []
    for i, path in enumerate(report.paths, start=1):
        statuses = {s.status for s in path.steps}
        evidence = "open" if "open" in statuses else "assumed" if "assumed" in statuses else "-"
        clusters = ", ".join(path.clusters[:3]) + (
            f" +{len(path.clusters) - 3}" if len(path.clusters) > 3 else ""
        )
        rows.append(
            (
                str(i),
                f"{path.entry} -> {path.target}",
                f"{path.score:.3f}",
                " > ".join(path.shape),
                clusters or "(shared)",
                evidence,
            )
        )
    return rows
