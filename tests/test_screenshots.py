"""The docs' pictures are made from real output: scripts/screenshots.py, run into a
temporary folder, writes every PNG the docs show, and the HTML each one was taken of
holds the verdict and the findings that the CLI reports on the quickstart.

Chromium and the fonts are not optional here: when they are missing the script exits
with the line that says how to install them, and the test fails with it.
"""

from __future__ import annotations

import html
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from conftest import REPO_ROOT, json_report, run_cli

SCRIPT = REPO_ROOT / "scripts" / "screenshots.py"
PICTURES = (
    "terminal",
    "job-summary",
    "pr-comment",
    "annotations",
    "gitlab-mr-note",
    "codequality",
    "loop-report",
)
QUICKSTART = ("--config", "examples/quickstart/deploygate.toml", "--now", "2026-11-20T12:00:00Z")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a well-formed PNG: signature, a CRC-checked IHDR first and an
    IEND last. Cheap: the pixels are not decoded (test_loop_report_chromium.py does that)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    header = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + header) == crc, "bad IHDR CRC"
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", "no IEND at the end"
    width, height = struct.unpack(">II", header[:8])
    return width, height


def text_of(page: str) -> str:
    """What the page shows, roughly: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def check(*args: str) -> str:
    result = run_cli("check", *QUICKSTART, "--service", "checkout", *args)
    assert result.exit_code == 1, result.output
    return result.stdout


def test_the_pictures_are_screenshots_of_the_real_output(tmp_path: Path) -> None:
    images, pages = tmp_path / "images", tmp_path / "pages"
    made = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(images), "--pages", str(pages)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr[-3000:]

    for name in PICTURES:
        data = (images / f"{name}.png").read_bytes()
        width, height = png_size(data)
        assert 800 <= width <= 1600, f"{name}: {width} px wide"
        assert 400 <= height <= 4000, f"{name}: {height} px tall"
        assert len(data) > 30_000, f"{name}: {len(data)} bytes, a blank page?"

    shown = {name: (pages / f"{name}.html").read_text("utf-8") for name in PICTURES}
    report = json_report(check("--format", "json"))
    assert report["verdict"] == "block"
    assert f"verdict: {report['verdict']}:" in text_of(shown["terminal"])
    for name in ("job-summary", "pr-comment", "gitlab-mr-note"):
        assert f"deploygate: {report['verdict']} for checkout" in text_of(shown[name]), name
    for finding in report["findings"]:
        short = finding["fingerprint"][:12]
        for name in ("terminal", "job-summary", "pr-comment", "gitlab-mr-note", "annotations"):
            assert short in text_of(shown[name]), f"{short} ({finding['rule']}) not in {name}"

    # The annotations: one per finding, each titled with its rule.
    titles = re.findall(r'<div class="title">deploygate ([a-z-]+)</div>', shown["annotations"])
    assert titles == [finding["rule"] for finding in report["findings"]]
    # The Code Quality table: every issue's description of the real report, in order.
    issues = json.loads(check("--format", "codequality"))
    descriptions = [issue["description"] for issue in issues]
    shown_quality = text_of(shown["codequality"])
    positions = [shown_quality.find(description) for description in descriptions]
    assert -1 not in positions
    assert positions == sorted(positions)
    # The learning-loop page is the report command's page, only marked for measuring.
    loop = run_cli("report", *QUICKSTART, "--format", "html")
    assert loop.exit_code == 0, loop.output
    assert shown["loop-report"].replace('<body id="shot"', "<body", 1) == loop.stdout
