"""The feedback report seen in a real browser: Debian's headless Chromium renders a generated report.html,
a probe script reports where the verdict banner and the charts are laid out, and the screenshot is checked
for the banner's colour and the chart's line and flagged point at those places.

Skipped, with the reason printed, only where no chromium binary exists (.ci/run installs it).
"""

import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from pipelines.feedback.context import gather  # noqa: E402
from pipelines.feedback.report import findings_document, write_feedback  # noqa: E402
from pipelines.quality.gate import decide  # noqa: E402
from pipelines.quality.store import findings_for  # noqa: E402
from quality_db import add, publish, warehouse  # noqa: E402

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
if CHROMIUM is None:
    print("test_report_browser: skipped, no chromium binary (apt-get install chromium)", file=sys.stderr)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary found (apt-get install chromium)")

WIDTH, HEIGHT = 1280, 2000
BANNER_REJECTED = (0xFD, 0xE8, 0xE8)   # .verdict.rejected background
LINE = (0x3A, 0x6E, 0xA5)              # chart line (pipelines/feedback/charts.py)
FLAG = (0xC0, 0x26, 0x2D)              # flagged point

# Runs in the page after it is laid out: the boxes of the verdict and the charts, and whether they show.
PROBE = """<script>
(function () {
  function box(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return {x: r.left, y: r.top, w: r.width, h: r.height,
            shown: s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0};
  }
  var out = {verdict: box(document.getElementById('verdict')),
             verdictText: document.getElementById('verdict').innerText,
             charts: Array.prototype.map.call(document.querySelectorAll('svg.chart'), box)};
  var pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--force-device-scale-factor=1", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", *args],
        capture_output=True, text=True, timeout=120,
    )


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB/RGBA PNG (what Chromium writes). Hand-written to avoid an
    imaging dependency for one test: PNG is zlib-compressed rows, each with one of five filters."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h, bpp = 8, b"", 0, 0, 3
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[i] for i in range(stride) if i % bpp < 3))
        prev = line
    return w, h, rows


def colour_in(rows, box, colour, tolerance=12) -> int:
    """How many pixels of this colour lie inside the box (CSS px = screenshot px at scale factor 1)."""
    x0, y0 = max(int(box["x"]), 0), max(int(box["y"]), 0)
    x1, y1 = int(box["x"] + box["w"]), min(int(box["y"] + box["h"]), len(rows))
    n = 0
    for y in range(y0, y1):
        r = rows[y]
        for x in range(x0, min(x1, len(r) // 3)):
            if all(abs(r[3 * x + k] - colour[k]) <= tolerance for k in range(3)):
                n += 1
    return n


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A rejected submission with a warned series: the report, its DOM probe and its screenshot."""
    tmp = tmp_path_factory.mktemp("browser")
    conn = warehouse([{"sid": "P1", "country": "KEN", "row": n, "indicator": "CJ_PROSECUTIONS", "year": y, "value": v}
                      for n, y, v in ((2, 2019, 100), (3, 2020, 110))])
    publish(conn, "P1")
    add(conn, [
        {"sid": "S1", "country": "KEN", "row": 2, "indicator": "CJ_PROSECUTIONS", "year": 2021, "value": 330},
        {"sid": "S1", "country": "KEN", "row": 3, "indicator": "CJ_CONVICTIONS", "year": 2021, "value": -2},
        {"sid": "S1", "country": "KEN", "row": 4, "indicator": "CJ_VICTIMS_IDENTIFIED", "year": 2021, "value": 9,
         "sex": "F", "age": "Y0T17"},
        {"sid": "S1", "country": "KEN", "row": 5, "indicator": "CJ_VICTIMS_IDENTIFIED", "year": 2021, "value": 20,
         "sex": "M", "age": "Y0T17"},
        {"sid": "S1", "country": "KEN", "row": 6, "indicator": "CJ_VICTIMS_IDENTIFIED", "year": 2021, "value": 31,
         "sex": "_T", "age": "Y0T17"},
        # With unknown sex given, F + M + _U = _T is an identity (DESIGN.md section 6): 9 + 20 + 1 != 31 rejects.
        {"sid": "S1", "country": "KEN", "row": 7, "indicator": "CJ_VICTIMS_IDENTIFIED", "year": 2021, "value": 1,
         "sex": "_U", "age": "Y0T17"},
    ])
    decide(conn, [("S1", "KEN")])
    findings = findings_for(conn, "S1")
    receipt = SimpleNamespace(submission_id="KEN-0123456789ab", country="KEN", file_name="KEN_2021.csv",
                              received_at="2024-03-01T10:00:00Z", sha256="0" * 64)
    folder = tmp / "feedback"
    write_feedback(folder, findings_document(receipt, findings, 0), gather(conn, "S1", "KEN", findings))
    report = folder / "report.html"
    probe_page = tmp / "probe.html"
    # The report forbids every script (its content security policy); the probe is the test's own, so its copy of
    # the page goes without the policy (tests/e2e/test_hostile_submission.py proves the policy holds).
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text())
    probe_page.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = chromium("--dump-dom", probe_page.as_uri(), profile=tmp / "profile-dom")
    shot = tmp / "report.png"
    out = chromium(f"--screenshot={shot}", report.as_uri(), profile=tmp / "profile-shot")
    assert shot.exists(), out.stderr[-2000:]
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, dom.stderr[-2000:]
    print(f"screenshot: {shot}")
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")), read_png(shot)


def test_verdict_banner_is_visible_with_its_colour(rendered):
    probe, (w, h, rows) = rendered
    assert (w, h) == (WIDTH, HEIGHT)
    v = probe["verdict"]
    assert v["shown"] and 0 <= v["y"] < 400 and v["h"] > 40
    assert probe["verdictText"].startswith("Rejected.") and "Girls and boys do not add up" in probe["verdictText"]
    # Most of the banner is painted in the rejected colour.
    assert colour_in(rows, v, BANNER_REJECTED) > 0.5 * v["w"] * v["h"]


def test_chart_of_the_warned_series_is_drawn_with_the_flagged_point(rendered):
    probe, (_, _, rows) = rendered
    assert probe["charts"], "no chart in the report"
    c = probe["charts"][0]
    assert c["shown"] and c["y"] + c["h"] <= HEIGHT
    assert colour_in(rows, c, LINE) > 100      # the series line and its points
    assert colour_in(rows, c, FLAG) > 30       # the flagged year, in red


def test_blank_page_has_neither(tmp_path):
    """The paired control: a page without the banner has (almost) no banner colour, so the check above can fail."""
    page = tmp_path / "blank.html"
    page.write_text("<!doctype html><title>x</title><p>nothing</p>")
    shot = tmp_path / "blank.png"
    chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    _, _, rows = read_png(shot)
    # (a few anti-aliased text pixels come close to the colour; a banner paints tens of thousands)
    assert colour_in(rows, {"x": 0, "y": 0, "w": WIDTH, "h": 400}, BANNER_REJECTED) < 1000
