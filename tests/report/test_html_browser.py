"""assessment.html and its companion pages in headless Chromium with no network: they
paint; the data-flow diagram's labels are neither clipped nor overlapping; the cut comes
before the first path; the text, severity and status filters work (the verdicts and the
findings by check on the main page, every finding and check on the findings page); every
page works 400 px wide with the navigation in reach; print media hides the controls,
opens every fold and breaks pages before sections. Measurements run in the page: a small
script appended to a copy of the page writes them as JSON into the DOM Chromium dumps.
Skips only without chromium."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from assessment_fixtures import F

from capsa.assess.model import Assessment, DeploymentStatus
from capsa.report.assessment_html import render_assessment_html_documents

CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        # No network: every host resolves nowhere, so a stray external reference would fail.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _page(tmp: Path, name: str = "assessment.html") -> Path:
    findings = [
        F.finding(fingerprint="a" * 64),
        F.finding(
            "CAPSA-IMG-001",
            fingerprint="b" * 64,
            mitigation="STRIDE-TAMPER-2.M1",
            message="image tag not pinned",
            path="sandbox/addons.yaml",
        ),
    ]
    for file, html in render_assessment_html_documents(F.make_assessment(findings)).items():
        (tmp / file).write_text(html, encoding="utf-8")
    return tmp / name


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG into rows (enough for a screenshot)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunk = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if chunk == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif chunk == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def test_screenshot_is_not_blank(tmp_path: Path) -> None:
    page = _page(tmp_path)
    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, "--window-size=1000,800", f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 800)
    channels = len(rows[0]) // width
    colours = {row[x : x + 3] for row in rows[::8] for x in range(0, len(row), channels * 8)}
    assert len(colours) > 20, "the page painted (almost) one colour"
    dark = sum(1 for row in rows[::4] for x in range(0, len(row), channels * 4) if row[x] < 100)
    assert dark > 500, "no text or header was painted"


RESULT = "capsa-test-result"


def _measure(tmp: Path, html: str, script: str, width: int = 1400, query: str = "") -> Any:
    """Run `script` (a function body returning a JSON-able value) in a copy of the page once
    it has loaded, at `width` px, and return what it returned.

    Headless Chromium's window is at least 500 px wide, so a narrower page is measured in
    an iframe of that width (srcdoc frames share their parent's origin, so the result can
    be written into the parent's DOM, which is what Chromium dumps)."""
    framed = width < 500
    target = "parent.document" if framed else "document"
    probe = (
        "<script>window.addEventListener('load', function () {"
        f"var out; try {{ out = (function () {{ {script} }})(); }}"
        "catch (e) { out = {probeError: String(e)}; }"
        f"var pre = {target}.createElement('pre');"
        f"pre.id = '{RESULT}'; pre.textContent = JSON.stringify(out);"
        f"{target}.body.appendChild(pre);}});</script></body>"
    )
    probed = html.replace("</body>", probe, 1)
    if framed:
        probed = (
            "<!DOCTYPE html><html><body style='margin:0'>"
            f'<iframe width="{width}" height="900" style="border:0" '
            f'srcdoc="{escape(probed, quote=True)}"></iframe></body></html>'
        )
    page = tmp / f"probe-{width}.html"
    page.write_text(probed, encoding="utf-8")
    result = _chromium(
        tmp,
        f"--window-size={max(width, 500)},900",
        "--virtual-time-budget=8000",
        "--dump-dom",
        page.as_uri() + query,
    )
    dom = result.stdout
    marker = f'<pre id="{RESULT}">'
    assert marker in dom, result.stderr[-2000:]
    text = dom.split(marker, 1)[1].split("</pre>", 1)[0]
    got = json.loads(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert not (isinstance(got, dict) and "probeError" in got), got
    return got


@pytest.fixture(scope="module")
def demo() -> Assessment:
    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.service import assess

    return assess(AssessRequest(now=datetime(2024, 5, 1, tzinfo=UTC)))


@pytest.fixture(scope="module")
def demo_pages(demo: Assessment) -> dict[str, str]:
    return render_assessment_html_documents(demo)


@pytest.fixture(scope="module")
def demo_html(demo_pages: dict[str, str]) -> str:
    return demo_pages["assessment.html"]


PAGES = [
    "assessment.html",
    "assessment-threats.html",
    "assessment-paths.html",
    "assessment-findings.html",
    "assessment-system.html",
    "assessment-fmea.html",
]


def test_every_page_is_one_of_the_pages_measured(demo_pages: dict[str, str]) -> None:
    assert list(demo_pages) == PAGES


def test_filter_applies_on_load_from_the_query(tmp_path: Path) -> None:
    html = _page(tmp_path, "assessment-findings.html").read_text(encoding="utf-8")
    rows = _measure(
        tmp_path,
        html,
        "return Array.from(document.querySelectorAll('#finding-table tbody tr'))"
        ".map(function (r) { return [r.hidden, r.textContent]; });",
        query="?filter=CAPSA-IMG",
    )
    assert len(rows) == 2
    visible = [text for hidden, text in rows if not hidden]
    assert len(visible) == 1 and "image tag not pinned" in visible[0]


_BOXES = """
function box(el) { var r = el.getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom]; }
var svg = document.querySelector('svg.dfd');
var out = {texts: [], nodes: [], clusters: [], edges: svg.querySelectorAll('g.flowedge').length,
  classes: []};
svg.querySelectorAll('text').forEach(function (t) { out.texts.push([t.textContent, box(t)]); });
svg.querySelectorAll('g.element').forEach(function (g) {
  var shape = g.querySelector('polygon, path, ellipse');
  out.nodes.push([g.id, box(shape), Array.from(g.querySelectorAll('text')).map(box)]);
});
svg.querySelectorAll('g.boundary').forEach(function (g) {
  out.clusters.push([g.id, box(g.querySelector('polygon, path')),
    Array.from(g.querySelectorAll('text')).map(box)]);
});
svg.querySelectorAll('g.flowedge').forEach(function (g) { out.classes.push(g.getAttribute('class')); });
return out;
"""


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[2] <= outer[2] + 0.5
        and inner[3] <= outer[3] + 0.5
    )


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_data_flow_diagram_labels_are_whole_and_apart(
    tmp_path: Path, demo: Assessment, demo_pages: dict[str, str]
) -> None:
    got = _measure(tmp_path, demo_pages["assessment-system.html"], _BOXES)
    names = {text for text, _ in got["texts"]}
    assert {e.name for e in demo.model.elements} <= names  # no name is cut
    for node, shape, texts in got["nodes"]:
        assert texts, node
        for text in texts:
            assert _inside(text, shape), f"{node}: label clipped by its box"
    for cluster, outline, texts in got["clusters"]:
        for text in texts:
            assert _inside(text, outline), f"{cluster}: title outside its boundary"
    labels = got["texts"]
    clashes = [
        (a[0], b[0]) for i, a in enumerate(labels) for b in labels[i + 1 :] if _overlap(a[1], b[1])
    ]
    assert not clashes, clashes
    flows = {c for classes in got["classes"] for c in classes.split()}
    assert {f"flow-{f.id}" for f in demo.model.data_flows} <= flows  # every flow drawn


def test_cut_is_shown_before_the_first_path(tmp_path: Path, demo_html: str) -> None:
    got = _measure(
        tmp_path,
        demo_html,
        "var cut = document.getElementById('cut').getBoundingClientRect();"
        "var first = document.querySelector('.path-group').getBoundingClientRect();"
        "var table = document.getElementById('cut-table').getBoundingClientRect();"
        "return [cut.top, cut.height, first.top, table.height];",
    )
    cut_top, cut_height, first_path, table_height = got
    assert cut_height > 0 and table_height > 0
    assert cut_top < first_path


_FILTER = """
function pick(table, key, value) {
  var box = document.querySelector('.filters[data-table="' + table + '"]');
  var select = box.querySelector('select[data-key="' + key + '"]');
  select.value = value; select.dispatchEvent(new Event('change'));
  var rows = Array.from(document.querySelectorAll('#' + table + ' tbody tr'));
  var shown = rows.filter(function (r) { return !r.hidden && r.offsetParent !== null; });
  var out = shown.map(function (r) { return r.getAttribute('data-' + key); });
  select.value = ''; select.dispatchEvent(new Event('change'));
  return out;
}
function search(table, text) {
  var input = document.querySelector('.filters[data-table="' + table + '"] input');
  input.value = text; input.dispatchEvent(new Event('input'));
}
"""

_FINDINGS_FILTER = (
    _FILTER
    + """
search('finding-table', 'CAPSA-IMDS');
var both = pick('finding-table', 'severity', 'high').length;
search('finding-table', '');
return {high: pick('finding-table', 'severity', 'high'),
  medium: pick('finding-table', 'severity', 'medium'),
  open: pick('finding-table', 'status', 'open'),
  checksHigh: pick('check-table', 'severity', 'high'),
  imdsHigh: both,
  all: document.querySelectorAll('#finding-table tbody tr:not([hidden])').length};
"""
)

_MAIN_FILTER = (
    _FILTER
    + """
search('finding-summary', 'CAPSA-IMDS');
var both = pick('finding-summary', 'severity', 'high').length;
search('finding-summary', '');
return {violated: pick('threat-table', 'status', 'violated'),
  unassessable: pick('threat-table', 'status', 'not-assessable'),
  high: pick('finding-summary', 'severity', 'high'),
  imdsHigh: both,
  all: document.querySelectorAll('#finding-summary tbody tr:not([hidden])').length};
"""
)


def test_severity_and_status_filters(
    tmp_path: Path, demo: Assessment, demo_pages: dict[str, str]
) -> None:
    got = _measure(tmp_path, demo_pages["assessment-findings.html"], _FINDINGS_FILTER)
    by_severity = {
        s: [f for f in demo.findings if f.severity.value == s] for s in ("high", "medium")
    }
    assert got["high"] == ["high"] * len(by_severity["high"]) and got["high"]
    assert got["medium"] == ["medium"] * len(by_severity["medium"]) and got["medium"]
    assert len(got["open"]) == sum(1 for f in demo.findings if not f.suppressed)
    assert len(got["checksHigh"]) == sum(1 for c in demo.checks if c.severity.value == "high")
    imds_high = [
        f
        for f in demo.findings
        if f.severity.value == "high" and f.check_id.startswith("CAPSA-IMDS")
    ]
    assert got["imdsHigh"] == len(imds_high) > 0  # text and severity combine
    assert got["all"] == len(demo.findings)  # clearing the filters shows every row again


def test_main_page_filters_verdicts_and_findings_by_check(
    tmp_path: Path, demo: Assessment, demo_html: str
) -> None:
    got = _measure(tmp_path, demo_html, _MAIN_FILTER)
    violated = [t for t in demo.threats if t.deployment_status is DeploymentStatus.VIOLATED]
    assert got["violated"] == ["violated"] * len(violated) and violated
    unassessable = [
        t for t in demo.threats if t.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    ]
    assert len(got["unassessable"]) == len(unassessable)
    checks = {f.check_id: f.severity.value for f in demo.findings}
    assert got["high"] == ["high"] * sum(1 for v in checks.values() if v == "high")
    imds = [c for c, v in checks.items() if v == "high" and c.startswith("CAPSA-IMDS")]
    assert got["imdsHigh"] == len(imds) > 0
    assert got["all"] == len(checks)


_NARROW = """
window.scrollTo(0, document.body.scrollHeight / 2);
var nav = document.getElementById('toc').getBoundingClientRect();
var row = document.querySelector('main table.cards tbody tr');
var cell = row.cells[row.cells.length > 2 ? 2 : 0];
var wide = Array.from(document.querySelectorAll('main *')).filter(function (el) {
  if (el.closest('.diagram, nav')) { return false; }
  var r = el.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 1;
}).map(function (el) { return el.tagName + '.' + el.className + ' ' + el.textContent.slice(0, 40); });
var heads = row.closest('table').tHead.rows[0].cells;
return {scrollWidth: document.documentElement.scrollWidth, inner: document.documentElement.clientWidth,
  navTop: nav.top, navHeight: nav.height, scrolled: window.scrollY,
  rowDisplay: getComputedStyle(row).display, label: getComputedStyle(cell, '::before').content,
  heading: heads[row.cells.length > 2 ? 2 : 0].textContent,
  overflowing: wide.slice(0, 5),
  diagramsScroll: Array.from(document.querySelectorAll('.diagram')).map(function (d) {
    return getComputedStyle(d).overflowX; })};
"""


@pytest.mark.parametrize("name", PAGES)
def test_page_is_usable_400_px_wide(tmp_path: Path, demo_pages: dict[str, str], name: str) -> None:
    got = _measure(tmp_path, demo_pages[name], _NARROW, width=400)
    assert got["scrollWidth"] <= got["inner"], "the page scrolls sideways"
    assert not got["overflowing"], got["overflowing"]
    assert got["rowDisplay"] == "block" and got["heading"] in got["label"]  # rows read as cards
    assert got["scrolled"] > 1000 and got["navTop"] == 0 and got["navHeight"] > 0  # sticky nav
    assert set(got["diagramsScroll"]) <= {"auto"}  # a wide diagram scrolls in its own box
    if name in ("assessment.html", "assessment-system.html", "assessment-fmea.html"):
        assert got["diagramsScroll"]


_PRINT = """
var sheet = Array.from(document.styleSheets[0].cssRules).filter(function (r) {
  return r.media && r.media.mediaText === 'print'; })[0];
var rules = Array.from(sheet.cssRules).map(function (r) { return r.cssText; }).join(' ');
var style = document.createElement('style'); style.textContent = rules;
document.head.appendChild(style);
window.dispatchEvent(new Event('beforeprint'));
var closed = Array.from(document.querySelectorAll('details')).filter(function (d) { return !d.open; });
var sections = Array.from(document.querySelectorAll('main > section'));
var out = {navDisplay: getComputedStyle(document.getElementById('toc')).display,
  filtersDisplay: document.querySelector('.filters') ?
    getComputedStyle(document.querySelector('.filters')).display : null,
  closed: closed.length, details: document.querySelectorAll('details').length,
  breaks: sections.slice(1).map(function (s) { return getComputedStyle(s).breakBefore; })};
window.dispatchEvent(new Event('afterprint'));
out.closedAfter = Array.from(document.querySelectorAll('details')).filter(function (d) {
  return !d.open; }).length;
return out;
"""


@pytest.mark.parametrize("name", PAGES)
def test_print_media_hides_controls_opens_folds_and_breaks_pages(
    tmp_path: Path, demo_pages: dict[str, str], name: str
) -> None:
    got = _measure(tmp_path, demo_pages[name], _PRINT)
    assert got["navDisplay"] == "none" and got["filtersDisplay"] in ("none", None)
    assert got["closed"] == 0  # every fold prints open
    assert got["closedAfter"] == got["details"]  # and closes again afterwards
    assert set(got["breaks"]) <= {"page"}
    if name != "assessment-fmea.html":  # one section only
        assert got["breaks"]
    if name in ("assessment.html", "assessment-findings.html", "assessment-fmea.html"):
        assert got["filtersDisplay"] == "none"


def test_print_media_opens_every_fold(tmp_path: Path) -> None:
    # the example model's flows have no FMEA, so the system page folds their step tables
    html = _page(tmp_path, "assessment-system.html").read_text(encoding="utf-8")
    got = _measure(tmp_path, html, _PRINT)
    assert got["details"] > 0 and got["closed"] == 0
    assert got["closedAfter"] == got["details"]


def test_page_prints_to_pdf(tmp_path: Path, demo_html: str) -> None:
    page = tmp_path / "assessment.html"
    page.write_text(demo_html, encoding="utf-8")
    pdf = tmp_path / "assessment.pdf"
    result = _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.exists(), result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") > 8  # a page per section
