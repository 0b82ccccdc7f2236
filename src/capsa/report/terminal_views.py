"""`capsa threats`, `capsa paths` and `capsa model show` in the terminal, as grouped lists
(capsa.report.terminal_list): readable at 80 columns, every id whole.

Threats are grouped by STRIDE category, attack paths by entry point (then the cut and
what it leaves open), a model's elements by trust boundary and its data flows by the
element they leave.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from capsa.display import NAMES_SHOWN, listed
from capsa.graph.search import AttackPath, PathReport
from capsa.model.index import ModelIndex
from capsa.model.types import SystemModel
from capsa.report.assessment_text import category_title
from capsa.report.terminal_list import Entry, Group, print_groups, print_wrapped
from capsa.threats.service import ThreatEntry, ThreatReport

_SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


MITIGATED = "mitigated"  # the tag of a threat the model's own facts mitigate


def _threat_entry(e: ThreatEntry) -> Entry:
    """A threat the model mitigates is tagged so, not with a severity that reads as open
    (the JSON's mitigatedInModel); its severity stays in the details."""
    details: list[str] = []
    if e.mitigated_in_model:
        details.append(f"mitigated in the model; severity {e.severity} without the mitigation")
    if e.source == "generated":
        matched = e.matched_catalogue_id or "none (a candidate)"
        details.append(f"rule {e.rule}; catalogue threat: {matched}")
    elif e.matched_by:
        details.append(f"derived by {_plural(len(e.matched_by), 'generated threat')}")
    if e.tracking is not None:
        details.append(f"decision: {e.tracking.decision.value}")
    tag = MITIGATED if e.mitigated_in_model else e.severity or "-"
    return Entry(
        key=e.id,
        head=e.title,
        tag=tag,
        tag_style="dim" if e.mitigated_in_model else _SEVERITY_STYLE.get(e.severity or "", ""),
        details=details,
    )


def _count(members: Sequence[ThreatEntry]) -> str:
    mitigated = sum(1 for e in members if e.mitigated_in_model)
    if not mitigated:
        return str(len(members))
    return f"{len(members) - mitigated} open, {mitigated} mitigated in the model"


def threat_groups(entries: Sequence[ThreatEntry]) -> list[Group]:
    """Threats by category, in the order categories first appear; within one, those the
    model mitigates after the open ones, and counted apart."""
    grouped: dict[str, list[ThreatEntry]] = {}
    for e in entries:
        grouped.setdefault(category_title(e.category), []).append(e)
    return [
        Group(
            f"{title} ({_count(members)})",
            [_threat_entry(e) for e in sorted(members, key=lambda e: bool(e.mitigated_in_model))],
        )
        for title, members in grouped.items()
    ]


def print_threats(
    console: Console, report: ThreatReport, entries: Sequence[ThreatEntry], compact: bool
) -> None:
    print_groups(console, threat_groups(entries), compact)
    missed = f" (missed: {', '.join(report.missed)})" if report.missed else ""
    mitigated = sum(1 for e in entries if e.mitigated_in_model)
    status = f"; mitigated in the model: {mitigated}" if mitigated else ""
    print_wrapped(
        console,
        f"recall: {report.recall_matched}/{report.recall_total}{missed}; "
        f"candidates: {len(report.candidates)}{status}",
    )


def _evidence(path: AttackPath) -> str:
    statuses = {s.status for s in path.steps}
    return "open" if "open" in statuses else "assumed" if "assumed" in statuses else "-"


def _clusters(clusters: Sequence[str]) -> str:
    if not clusters:
        return "shared"
    more = " (--format json lists them)" if len(clusters) > NAMES_SHOWN else ""
    return f"clusters {listed(list(clusters), NAMES_SHOWN)}{more}"


def path_groups(report: PathReport) -> list[Group]:
    """Paths by entry point; each numbered as in the JSON, its techniques beneath."""
    grouped: dict[str, list[tuple[int, AttackPath]]] = {}
    for number, path in enumerate(report.paths, start=1):
        grouped.setdefault(path.entry, []).append((number, path))
    groups = []
    for entry, members in grouped.items():
        targets = ", ".join(dict.fromkeys(p.target for _, p in members))
        entries = [
            Entry(
                key=f"-> {p.target}",
                head=f"score {p.score:.3f}; " + _clusters(p.clusters),
                tag=_evidence(p),
                where=f"#{n}",
                details=(" > ".join(p.shape),),
            )
            for n, p in members
        ]
        header = f"from {entry}: {_plural(len(members), 'path')} to {targets}"
        groups.append(Group(header, entries))
    return groups


def print_paths(
    console: Console,
    report: PathReport,
    removed: Sequence[AttackPath] | None,
    compact: bool,
) -> None:
    for note in report.not_searched:
        print_wrapped(console, f"not searched: {note}")
    if not report.searched:
        print_wrapped(
            console,
            "attack paths were not searched: the graph lacks an entry point or a target, so "
            "no path and no cut can be claimed (give a model naming the ids above, or the "
            "manifests of a cluster)",
        )
    elif not report.paths:
        console.print("no open attack path from the entry points to the targets")
    print_groups(console, path_groups(report), compact)
    cut = [
        Entry(
            key=item.mitigation,
            head=f"closes {_plural(len(item.paths_cut), 'path')} "
            f"({', '.join(f'#{i + 1}' for i in item.paths_cut)}); effort {item.effort:g}",
            details=(f"checks: {', '.join(item.checks) or '-'}",),
        )
        for item in report.cut.mitigations
    ]
    if cut:
        print_groups(
            console, [Group(f"Minimum cut ({_plural(len(cut), 'mitigation')})", cut)], compact
        )
    if not report.cut.exact:
        console.print("cut: search budget exceeded, greedy result shown (may not be minimal)")
    for route in report.cut.routes:
        via = " > ".join(route.techniques)
        print_wrapped(
            console, f"no checkable mitigation closes {route.entry} -> {route.target} via {via}"
        )
    if report.cut.mitigations and report.cut_closes_every_path:
        searched = " searched" if report.not_searched else ""
        console.print(f"the cut closes every path from the entry points to the targets{searched}")
    if removed is not None:
        console.print(f"assumed {', '.join(report.assumed)}: {len(removed)} path(s) removed")
        for path in removed:
            console.print(
                f"  - {path.entry} -> {path.target}: {' > '.join(path.shape)}", soft_wrap=True
            )


def model_groups(model: SystemModel) -> list[Group]:
    """Elements by trust boundary (boundaries in nesting order), then data flows by the
    element they leave, then the named flows."""
    index = ModelIndex(model)
    groups: list[Group] = []

    def element(element_id: str) -> Entry:
        e = index.elements[element_id]
        facts = [e.name]
        if e.attributes.exposure and e.attributes.exposure.value != "none":
            facts.append(f"exposed to {e.attributes.exposure.value}")
        details = [f"stores {', '.join(e.attributes.stores)}"] if e.attributes.stores else []
        return Entry(key=element_id, head="; ".join(facts), tag=e.type.value, details=details)

    def visit(boundary: str | None) -> None:
        members = [element(x) for x in index.members.get(boundary, [])]
        if boundary is None:
            if members:
                groups.append(Group("(outside every boundary)", members))
        else:
            b = index.boundaries[boundary]
            inside = f", inside {b.parent}" if b.parent else ""
            types = ", ".join(t.value for t in b.cluster_types)
            types = f"; cluster types {types}" if types else ""
            groups.append(
                Group(
                    f"boundary {b.id}: {b.name} ({b.kind.value}{inside}){types}",
                    members,
                )
            )
        for child in index.children.get(boundary, []):
            visit(child)

    visit(None)
    by_source: dict[str, list[Entry]] = {}
    for f in model.data_flows:
        crosses = ", ".join(index.crossings(f))
        by_source.setdefault(f.source, []).append(
            Entry(
                key=f.id,
                head=f"-> {f.target} ({f.protocol.value})",
                details=(f"crosses {crosses}",) if crosses else (),
            )
        )
    groups.extend(Group(f"data flows from {source}", flows) for source, flows in by_source.items())
    if model.flows:
        groups.append(
            Group(
                "named flows",
                [
                    Entry(key=nf.id, head=f"{nf.name} ({_plural(len(nf.steps), 'step')})")
                    for nf in model.flows
                ],
            )
        )
    return groups


def print_model(console: Console, model: SystemModel, compact: bool) -> None:
    print_wrapped(console, model.metadata.title or model.metadata.name, style="bold")
    print_groups(console, model_groups(model), compact)
