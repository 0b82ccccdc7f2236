"""assessment.html in headless Chromium with no network: it paints, shows the diagram, and
its finding filter works (applied on load from `?filter=`). Skips only without chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from assessment_fixtures import F

from capsa.report.assessment_html import render_assessment_html

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


def _page(tmp: Path) -> Path:
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
    page = tmp / "assessment.html"
    page.write_text(render_assessment_html(F.make_assessment(findings)), encoding="utf-8")
    return page


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


def test_dom_has_diagram_and_filter_applies_on_load(tmp_path: Path) -> None:
    page = _page(tmp_path)
    result = _chromium(
        tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri() + "?filter=CAPSA-IMG"
    )
    dom = result.stdout
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="dfd"' in dom, result.stderr[-2000:]
    assert 'class="flowedge"' in dom
    table = dom.split('id="finding-table"')[1].split("</table>")[0]
    assert 'data-shown="1"' in table.split(">")[0]
    rows = table.split("<tr")[2:]
    visible = [r for r in rows if " hidden" not in r.split(">")[0]]
    assert len(rows) == 2 and len(visible) == 1
    assert "image tag not pinned" in visible[0]


def test_without_filter_every_finding_is_shown(tmp_path: Path) -> None:
    page = _page(tmp_path)
    dom = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()).stdout
    table = dom.split('id="finding-table"')[1].split("</table>")[0]
    rows = table.split("<tr")[2:]
    assert len(rows) == 2 and not [r for r in rows if " hidden" in r.split(">")[0]]


def test_example_assessment_page_draws_the_model_and_filters(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.service import assess

    demo = assess(AssessRequest(now=datetime(2024, 5, 1, tzinfo=UTC)))
    page = tmp_path / "assessment.html"
    page.write_text(render_assessment_html(demo), encoding="utf-8")
    result = _chromium(
        tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri() + "?filter=CAPSA-IMDS"
    )
    dom = result.stdout
    assert dom.count('class="flowedge"') == len(demo.model.data_flows), result.stderr[-2000:]
    assert dom.count('class="attack-path"') == len(demo.paths)
    table = dom.split('id="finding-table"')[1].split("</table>")[0]
    rows = table.split("<tr")[2:]
    visible = [r for r in rows if " hidden" not in r.split(">")[0]]
    imds = [f for f in demo.findings if f.check_id.startswith("CAPSA-IMDS")]
    assert len(rows) == len(demo.findings) and len(visible) == len(imds) > 0
