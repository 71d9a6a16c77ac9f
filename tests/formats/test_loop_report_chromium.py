"""The HTML learning-loop report drawn by a real browser: Debian's headless Chromium.

It renders a realistic 90-day report of three services, takes a screenshot
and reads the PNG back with the standard library (zlib and the PNG chunk
format; no Pillow) to check that the page is not blank and that the charts
were drawn: bars in the bar colour, the lesson-debt line in the line colour,
the DORA measures' bars in theirs, and many distinct colours where the
antialiased charts and text are.

Chromium is not optional here: when it is missing, the test fails and says
how ``.ci/run`` installs it.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW, ago, deployment, item, postmortem

from deploygate.formats import loop_html
from deploygate.linking import link_failures
from deploygate.loop import LoopReport, ServiceLoop, learning_loop
from deploygate.model import ActionItem, ActionItemState, Deployment, DeploymentStatus, Postmortem
from deploygate.rules import Policy

INSTALLS = (
    ".ci/run installs it: apt-get update && DEBIAN_FRONTEND=noninteractive "
    "apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
)
WIDTH, HEIGHT = 1200, 1600
BAR = (0xC2, 0x41, 0x0C)
LINE = (0x1D, 0x4E, 0xD8)
DORA = (0x0F, 0x76, 0x6E)
WHITE = (255, 255, 255)
POLICY = Policy()
SINCE = NOW - timedelta(days=90)
TEAMS = ("payments", "checkout", "sre", "search")


def service_history(service: str, rng: random.Random) -> tuple[list[Deployment], list[Postmortem]]:
    """Three deployments a working day for 90 days, some failing, most failures reviewed."""
    deployments: list[Deployment] = []
    postmortems: list[Postmortem] = []
    number = 0
    for day in range(90, 0, -1):
        if ago(days=day).weekday() >= 5:
            continue
        for hour in (9, 13, 16):
            number += 1
            at = ago(days=day) - timedelta(hours=12 - hour)
            failed = rng.random() < 0.08
            status = DeploymentStatus.FAILURE if failed else DeploymentStatus.SUCCESS
            record = deployment(f"{service}-{number}", status=status, at=at, service=service)
            deployments.append(record)
            if not failed or rng.random() < 0.25:
                continue
            written = at + timedelta(hours=rng.uniform(2, 60))
            items: list[ActionItem] = []
            for index in range(rng.randint(1, 3)):
                created = written + timedelta(hours=1)
                roll = rng.random()
                state = (
                    ActionItemState.OPEN
                    if roll < 0.45
                    else ActionItemState.DECLINED
                    if roll < 0.55
                    else ActionItemState.DONE
                )
                team = rng.choice(TEAMS)
                closed = created + timedelta(days=rng.uniform(1, 25))
                lesson = item(
                    f"{service} lesson {number}.{index}",
                    state=state,
                    created=created,
                    team=team,
                    due=(created + timedelta(days=21)).date().isoformat(),
                    closed=closed if state is not ActionItemState.OPEN and closed < NOW else None,
                )
                items.append(lesson)
            postmortems.append(
                postmortem(
                    f"pm-{service}-{number}",
                    at=written,
                    service=service,
                    refs=(record.id,),
                    items=tuple(items),
                )
            )
    return deployments, postmortems


def ninety_days() -> LoopReport:
    rng = random.Random(20261120)  # noqa: S311 - a fixed seed for a repeatable history
    loops: list[ServiceLoop] = []
    for service in ("checkout", "payments", "search"):
        deployments, postmortems = service_history(service, rng)
        failures = [d for d in deployments if d.status.failed]
        reviews = link_failures(failures, postmortems, POLICY.link_window)
        loops.append(
            learning_loop(
                service,
                deployments,
                postmortems,
                reviews,
                since=SINCE,
                until=NOW,
                policy=POLICY,
                repeat_failures=rng.randint(0, 2),
            )
        )
    return LoopReport(SINCE, NOW, tuple(loops), overrides=1)


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: list[tuple[int, int, int]]
    """Row by row, RGB; alpha, when there is one, is dropped (the page is opaque)."""

    def at(self, x: int, y: int) -> tuple[int, int, int]:
        return self.pixels[y * self.width + x]


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data: bytes) -> Image:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG: what Chromium writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, bytearray(), b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8, f"bit depth {depth}"
    assert colour in (2, 6), f"colour type {colour}"
    assert interlace == 0
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(bytes(idat))
    assert len(raw) == height * (stride + 1)
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
            else:
                assert kind == 0, f"filter {kind}"
        pixels += [tuple(line[i : i + 3]) for i in range(0, stride, channels)]  # type: ignore[misc]
        previous = line
    return Image(width, height, pixels)


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def find_chromium() -> str:
    """Debian's chromium, or a failure that says how to install it: never a skip."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    pytest.fail(f"chromium is not on PATH; {INSTALLS}", pytrace=False)


def screenshot(chromium: str, page: Path, png: Path, profile: Path) -> None:
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert png.exists(), (
        f"chromium wrote no screenshot (exit {result.returncode}): {result.stderr[-2000:]}"
    )


def test_the_report_draws_its_charts_in_chromium(tmp_path: Path) -> None:
    chromium = find_chromium()
    report = ninety_days()
    assert all(loop.failed_deployments > 0 for loop in report.services)
    assert all(len(loop.weekly) >= 13 for loop in report.services)
    page = tmp_path / "learning-loop.html"
    page.write_text(loop_html.render(report), encoding="utf-8")
    png = tmp_path / "learning-loop.png"
    screenshot(chromium, page, png, tmp_path / "profile")

    image = read_png(png.read_bytes())
    assert (image.width, image.height) == (WIDTH, HEIGHT)

    non_white = sum(1 for pixel in image.pixels if not _near(pixel, WHITE, 6))
    assert non_white > WIDTH * HEIGHT // 50, f"the page looks blank: {non_white} non-white pixels"

    bars = [(i % WIDTH, i // WIDTH) for i, pixel in enumerate(image.pixels) if _near(pixel, BAR)]
    line = [(i % WIDTH, i // WIDTH) for i, pixel in enumerate(image.pixels) if _near(pixel, LINE)]
    assert len(bars) > 1000, f"only {len(bars)} pixels of the bar colour: no bars drawn"
    assert len(line) > 1000, f"only {len(line)} pixels of the line colour: no debt line drawn"
    dora = [(i % WIDTH, i // WIDTH) for i, pixel in enumerate(image.pixels) if _near(pixel, DORA)]
    assert len(dora) > 1000, f"only {len(dora)} pixels of the DORA colour: no DORA bars drawn"
    # The bars stand in the left column of charts and the line in the right one.
    assert max(x for x, _ in bars) < WIDTH // 2 + 40
    assert min(x for x, _ in line) > WIDTH // 2 - 80

    # Where the charts are, antialiased bars, lines and labels give many distinct colours.
    top = min(y for _, y in bars + line + dora)
    bottom = max(y for _, y in bars + line + dora)
    assert bottom - top > 400, "the charts should span the page"
    chart_area = {image.at(x, y) for y in range(top, bottom + 1, 2) for x in range(0, WIDTH, 2)}
    assert len(chart_area) > 100, f"only {len(chart_area)} distinct colours in the chart area"
