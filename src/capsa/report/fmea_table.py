"""`capsa fmea` in the terminal: per flow, the failure modes by risk priority, readable at
80 columns. The failure-mode id column is as wide as its longest id, so no id is cut."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table

from capsa.report.fmea_text import (
    ASSUMED_NOTE,
    flow_title,
    outcome_text,
    profile_text,
    scores,
    summary_line,
    threats_text,
)
from capsa.report.terminal_list import print_wrapped
from capsa.sim.records import FmeaReport


def render_fmea_table(report: FmeaReport, width: int = 80, top: int | None = None) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(f"FMEA of {report.model}: {summary_line(report)}", soft_wrap=False)
    for profile in report.profiles:  # wrapped at spaces only: a scope's name stays whole
        print_wrapped(console, profile_text(profile))
    for flow in report.flows:
        modes = report.ranked(flow.id)
        for residue in flow.by_design:
            console.print(f"{flow.id} leaves {residue.product} even without a fault: {residue.why}")
        shown = modes[:top] if top is not None else modes
        title = flow_title(flow)
        if not shown:
            console.print(f"\n{title}: no failure mode")
            continue
        longest = max(len(m.id) for m in shown)
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
        table.add_column("RPN", justify="right", no_wrap=True)
        table.add_column("S·O·D", no_wrap=True)
        table.add_column("failure mode / outcome / threats", min_width=longest)
        for mode in shown:
            cell = f"{mode.id}\n{outcome_text(mode)}: {threats_text(mode)}"
            table.add_row(str(mode.rpn), scores(mode), cell)
        console.print(table)
        if top is not None and len(modes) > top:
            console.print(f"{len(modes) - top} more in {flow.id} (--top, or --format md/json)")
    if any(m.assumed for m in report.modes):
        console.print(ASSUMED_NOTE)
    return console.export_text()
