"""A named flow as a self-contained SVG sequence diagram, with chosen steps marked.

Participants are columns, steps rows in run order (included flows expanded, numbered
"4.2", on a tinted band); a marked step's row is shaded red and carries a ✗. Layout is
deterministic and needs no JavaScript, like the rest of the HTML report.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from capsa.model.index import ModelIndex
from capsa.model.types import SystemModel
from capsa.sim.plan import PlannedStep, plan_flow

COLUMN = 136
HEAD = 46
ROW = 24
LEFT = 44
NAME_LINE = 17

_STYLE = (
    "<style>.sqname{font:11px sans-serif;fill:#2e3440}.sqnum{font:600 11px sans-serif;"
    "fill:#2e3440}.sqlife{stroke:#a3acb9;stroke-dasharray:3 3}.sqmsg{stroke:#5e81ac;"
    "stroke-width:1.2;fill:none}.sqmark{font:700 12px sans-serif;fill:#bf616a}</style>"
)
_ARROW = (
    '<defs><marker id="sqarrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5e81ac"/>'
    "</marker></defs>"
)


# A page drawing several sequences carries their style and arrow head once (one id per
# page): `SHARED_DEFS` before them, each drawn with `standalone=False`.
SHARED_DEFS = (
    '<svg class="sequence-defs" width="0" height="0" aria-hidden="true" '
    f'style="position:absolute">{_STYLE}{_ARROW}</svg>'
)


def _name_lines(name: str) -> list[str]:
    """A participant's name on up to two lines, broken at blanks."""
    words = name.split()
    lines: list[str] = [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if len(candidate) <= NAME_LINE or not lines[-1]:
            lines[-1] = candidate
        elif len(lines) < 2:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}"
    return lines


def _participants(steps: tuple[PlannedStep, ...]) -> list[str]:
    seen: list[str] = []
    for step in steps:
        seen.extend(e for e in step.elements if e not in seen)
    return seen


def _row(step: PlannedStep, y: float, x_of: Mapping[str, float], marked: bool) -> list[str]:
    parts: list[str] = []
    title = (
        f"<title>{escape(step.number)}. {escape(' '.join(step.step.description.split()))}</title>"
    )
    parts.append(f'<text class="sqnum" x="4" y="{y + 4:.0f}">{escape(step.number)}{title}</text>')
    if marked:
        parts.append(f'<text class="sqmark" x="{LEFT - 14}" y="{y + 4:.0f}">✗</text>')
    if len(step.elements) == 2 and step.elements[0] != step.elements[1]:
        x1, x2 = x_of[step.elements[0]], x_of[step.elements[1]]
        end = x2 - 4 if x2 > x1 else x2 + 4
        parts.append(
            f'<g><line class="sqmsg" x1="{x1:.0f}" y1="{y:.0f}" x2="{end:.0f}" y2="{y:.0f}" '
            f'marker-end="url(#sqarrow)"/>{title}</g>'
        )
    elif step.elements:
        x = x_of[step.elements[0]]
        parts.append(
            f'<g><rect x="{x - 10:.0f}" y="{y - 7:.0f}" width="20" height="14" rx="3" '
            f'fill="#ebcb8b" stroke="#3b4252"/>{title}</g>'
        )
    return parts


def render_sequence_svg(
    model: SystemModel,
    flow_id: str,
    marks: Mapping[str, str] | None = None,
    standalone: bool = True,
) -> str:
    """One named flow as an <svg>; steps in `marks` (number → note) are marked. Without
    `standalone` the style and arrow head are left to `SHARED_DEFS` on the page."""
    marks = marks or {}
    index = ModelIndex(model)
    steps = plan_flow(index, flow_id)
    names = _participants(steps)
    x_of = {e: LEFT + COLUMN / 2 + i * COLUMN for i, e in enumerate(names)}
    width = LEFT + max(len(names), 1) * COLUMN
    height = HEAD + (len(steps) + 1) * ROW
    body: list[str] = []
    for position, step in enumerate(steps):
        y = HEAD + (position + 1) * ROW
        if step.scope:
            body.append(
                f'<rect x="0" y="{y - ROW / 2:.0f}" width="{width}" height="{ROW}" fill="#eef0f8"/>'
            )
        if step.number in marks:
            body.append(
                f'<rect x="0" y="{y - ROW / 2:.0f}" width="{width}" height="{ROW}" '
                f'fill="#ffd7d7"><title>{escape(marks[step.number])}</title></rect>'
            )
    for element in names:
        x = x_of[element]
        label = index.elements[element].name if element in index.elements else element
        body.append(
            f'<line class="sqlife" x1="{x:.0f}" y1="{HEAD - 4}" x2="{x:.0f}" y2="{height - 4}"/>'
        )
        body.append(
            f'<rect x="{x - COLUMN / 2 + 6:.0f}" y="4" width="{COLUMN - 12}" height="{HEAD - 10}" '
            f'rx="4" fill="#dbe9fb" stroke="#3b4252"><title>{escape(element)}</title></rect>'
        )
        for line_no, text in enumerate(_name_lines(label)):
            body.append(
                f'<text class="sqname" x="{x:.0f}" y="{20 + line_no * 13}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    for position, step in enumerate(steps):
        body.extend(_row(step, HEAD + (position + 1) * ROW, x_of, step.number in marks))
    label = escape(f"Sequence of {index.flows[flow_id].name}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-label="{label}">'
        f"{_STYLE + _ARROW if standalone else ''}{''.join(body)}</svg>"
    )
