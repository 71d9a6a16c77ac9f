"""Make the pictures in docs/images/ from the real output of deploygate on the quickstart.

Every picture is drawn from what the installed ``deploygate`` prints or writes when it
checks ``examples/quickstart`` as of ``2026-11-20T12:00:00Z`` (fixed, so the dates and
"open for N days" never move):

* ``terminal.png``: ``deploygate check`` run under a pseudo-terminal, so it colours its
  output as on a laptop; the ANSI text is turned into HTML by ``ansi_html``.
* ``job-summary.png``, ``pr-comment.png``, ``annotations.png``: one ``check --comment
  --format github`` inside a GitHub Actions environment pointed at the fake GitHub
  (tests/fakes/github.py). The job summary is the file it wrote to
  ``$GITHUB_STEP_SUMMARY``, the comment is read back from the fake's pull request, and
  the annotations are its ``::error``/``::warning``/``::notice`` lines. The Markdown is
  rendered by cmark-gfm (GitHub's own renderer, PyPI ``cmarkgfm``) and styled with
  github-markdown-css (vendored beside this script). The annotation list is an
  APPROXIMATION of GitHub's: the text is the real command's, decoded as the runner
  decodes it, but the layout around it is drawn here, not by GitHub.
* ``gitlab-mr-note.png``, ``codequality.png``: one ``check --comment --format gitlab
  --output codequality=...`` inside a GitLab CI merge-request pipeline pointed at the
  fake GitLab (tests/fakes/gitlab.py). The note is read back from the fake's merge
  request, rendered by cmark-gfm in a GitLab-like frame; the Code Quality file is drawn
  as a table like the merge request's Code Quality widget (an approximation, too).
* ``loop-report.png``: the page ``deploygate report --format html`` prints.

Headless Chromium (Debian's ``chromium``) takes the screenshots: one browser for all the
pages, driven over ``--remote-debugging-pipe`` (the DevTools protocol, no extra
package), each page at a fixed width and exactly as tall as its content.

To re-make them, from the repository root, with the test extra installed::

    .venv/bin/python scripts/screenshots.py            # writes docs/images/*.png
    .venv/bin/python scripts/screenshots.py --out DIR --pages DIR

``--pages`` keeps the HTML each picture was taken of. The machine needs ``chromium``,
``fonts-dejavu-core`` and ``fonts-noto-color-emoji`` (the Markdown formats use emoji);
``.ci/run`` installs them. Re-running on the same machine gives the same pixels: the
time, the widths, the fonts and the fake worlds are all fixed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import html
import json
import os
import pty
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))  # the fakes live with the tests

from fakes.github import FakeGitHub  # noqa: E402
from fakes.gitlab import FakeGitLab  # noqa: E402
from fakes.worlds import GITHUB_TOKEN, GITLAB_JOB_TOKEN, GITLAB_TOKEN  # noqa: E402

CONFIG = "examples/quickstart/deploygate.toml"
SERVICE = "checkout"
NOW = "2026-11-20T12:00:00Z"
COLUMNS = 100
"""The terminal's width: the text format wraps findings to it."""
CSS = Path(__file__).resolve().parent / "github-markdown-light.css"
DEFAULT_OUT = REPO_ROOT / "docs" / "images"
PULL_REQUEST = 7
MERGE_REQUEST = 12
INSTALLS = (
    "apt-get install -y --no-install-recommends chromium fonts-dejavu-core "
    "fonts-noto-color-emoji (.ci/run does)"
)


# -- running the real CLI ------------------------------------------------------


def deploygate() -> str:
    """The console script installed beside this Python: what a user runs."""
    return str(Path(sys.executable).parent / "deploygate")


def check_args(*extra: str) -> list[str]:
    return ["check", "--config", CONFIG, "--service", SERVICE, "--now", NOW, *extra]


def base_env() -> dict[str, str]:
    """A clean environment: no CI variables, no colour settings, no proxies of the caller."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def run(args: Sequence[str], env: Mapping[str, str], expect: int) -> str:
    """``deploygate ARGS`` from the repository root; its stdout, after checking its exit."""
    result = subprocess.run(
        [deploygate(), *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != expect:
        raise SystemExit(
            f"screenshots: deploygate {shlex.join(args)} exited {result.returncode}, "
            f"expected {expect}: {result.stderr.strip()}"
        )
    return result.stdout


def run_in_terminal(args: Sequence[str], expect: int) -> str:
    """``deploygate ARGS`` on a pseudo-terminal of COLUMNS columns: it sees a TTY and
    colours its output, as on a laptop. Returns what the terminal received."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    env = base_env() | {"TERM": "xterm-256color"}
    process = subprocess.Popen(
        [deploygate(), *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    received = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    if process.wait() != expect:
        raise SystemExit(f"screenshots: deploygate in a terminal exited {process.returncode}")
    return received.decode("utf-8").replace("\r\n", "\n")


@dataclass(frozen=True)
class GitHubOutputs:
    summary: str
    """The Markdown written to $GITHUB_STEP_SUMMARY."""
    comment: str
    """The sticky comment's body, as the fake GitHub stored it."""
    commands: str
    """stdout of --format github: the workflow commands that become annotations."""


def on_github(work: Path) -> GitHubOutputs:
    """One check of a pull request's deploy job, against the fake GitHub."""
    event = work / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PULL_REQUEST}}), "utf-8")
    summary, outputs = work / "step-summary.md", work / "github-output"
    summary.touch()
    outputs.touch()
    with FakeGitHub() as fake:
        fake.world.token(GITHUB_TOKEN, login="github-actions[bot]")
        fake.world.repo("acme/shop").pull_request(number=PULL_REQUEST)
        env = base_env() | fake.actions_env(GITHUB_TOKEN, "acme/shop")
        env |= {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
        }
        commands = run(check_args("--comment", "--format", "github"), env, expect=1)
        comments = fake.world.repo("acme/shop").comments(PULL_REQUEST)
        fake.check()
    if len(comments) != 1:
        raise SystemExit(f"screenshots: expected one sticky comment, found {len(comments)}")
    return GitHubOutputs(summary.read_text("utf-8"), comments[0].body, commands)


@dataclass(frozen=True)
class GitLabOutputs:
    note: str
    """The sticky merge-request note's body, as the fake GitLab stored it."""
    codequality: list[dict[str, Any]]
    """The Code Quality report the job would upload as an artifact."""


def on_gitlab(work: Path) -> GitLabOutputs:
    """One check in a merge-request pipeline, against the fake GitLab."""
    report = work / "gl-code-quality-report.json"
    with FakeGitLab() as fake:
        fake.world.token(GITLAB_TOKEN, username="deploybot")
        shop = fake.world.project("group/shop")
        shop.merge_request(iid=MERGE_REQUEST)
        env = base_env() | fake.ci_env(GITLAB_JOB_TOKEN, "group/shop")
        env |= {"GITLAB_TOKEN": GITLAB_TOKEN, "CI_MERGE_REQUEST_IID": str(MERGE_REQUEST)}
        args = check_args("--comment", "--format", "gitlab", "--output", f"codequality={report}")
        run(args, env, expect=1)
        notes = shop.notes_of(MERGE_REQUEST)
        fake.check()
    if len(notes) != 1:
        raise SystemExit(f"screenshots: expected one sticky note, found {len(notes)}")
    return GitLabOutputs(notes[0].body, json.loads(report.read_text("utf-8")))


# -- turning output into pages -------------------------------------------------

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_SGR_TOKEN = re.compile(r"(\x1b\[[0-9;]*m)")
_PALETTE = {
    "30": "#3b4252",
    "31": "#ff6b6b",
    "32": "#69d26e",
    "33": "#f5c542",
    "34": "#6cb6ff",
    "35": "#dc8add",
    "36": "#56d4dd",
    "37": "#e6edf3",
}
"""SGR foreground codes to colours: a dark theme in the spirit of GitHub's."""


def soft_wrap(text: str, columns: int) -> str:
    """Break lines longer than ``columns`` visible characters, as a terminal does when it
    draws them (colour escapes take no column)."""
    wrapped, column = [], 0
    for token in _SGR_TOKEN.split(text):
        if _SGR.fullmatch(token):
            wrapped.append(token)
            continue
        for character in token:
            if character == "\n":
                column = 0
            elif column == columns:
                wrapped.append("\n")
                column = 1
            else:
                column += 1
            wrapped.append(character)
    return "".join(wrapped)


def ansi_html(text: str) -> str:
    """ANSI-coloured text as HTML spans. Only SGR colour, bold and reset are known; any
    other escape is an error, so a new kind of output is noticed, not drawn wrong."""
    parts, colour, bold = [], None, False
    position = 0
    for match in _SGR.finditer(text):
        parts.append(_span(text[position : match.start()], colour, bold))
        for code in (match.group(1) or "0").split(";"):
            if code in ("", "0"):
                colour, bold = None, False
            elif code == "1":
                bold = True
            elif code in _PALETTE:
                colour = _PALETTE[code]
            else:
                raise SystemExit(f"screenshots: unknown terminal code {code!r}")
        position = match.end()
    parts.append(_span(text[position:], colour, bold))
    joined = "".join(parts)
    if "\x1b" in joined:
        raise SystemExit("screenshots: an escape sequence other than colour in the text")
    return joined


def _span(text: str, colour: str | None, bold: bool) -> str:
    if not text:
        return ""
    style = (f"color:{colour};" if colour else "") + ("font-weight:bold;" if bold else "")
    escaped = html.escape(text, quote=False)
    return f'<span style="{style}">{escaped}</span>' if style else escaped


def gfm(markdown: str) -> str:
    """GitHub-flavoured Markdown to HTML with cmark-gfm, GitHub's renderer. Raw HTML is
    kept (GitHub keeps ``<br>``, ``<sub>`` and comments too): the text is deploygate's
    own output, whose Markdown format escapes every untrusted string."""
    return str(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


@dataclass(frozen=True)
class Annotation:
    level: str
    title: str
    message: str


_COMMAND = re.compile(r"^::(error|warning|notice)(?: (?P<properties>[^:]*))?::(?P<message>.*)$")


def _unescape(value: str, *, property: bool) -> str:
    """Undo @actions/core's escaping: %0D, %0A (and %3A, %2C in properties), then %25."""
    value = value.replace("%0D", "\r").replace("%0A", "\n")
    if property:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%25", "%")


def parse_annotations(commands: str) -> list[Annotation]:
    """The annotations the runner makes of workflow command lines; other lines are log."""
    found = []
    for line in commands.splitlines():
        match = _COMMAND.match(line)
        if match is None:
            continue
        properties = dict(
            pair.split("=", 1) for pair in (match["properties"] or "").split(",") if pair
        )
        title = _unescape(properties.get("title", ""), property=True)
        found.append(Annotation(match[1], title, _unescape(match["message"], property=False)))
    if not found:
        raise SystemExit("screenshots: the github format printed no annotation")
    return found


def _page(title: str, width: int, body: str, css: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
html, body {{ margin: 0; background: #ffffff; }}
#shot {{ width: {width}px; box-sizing: border-box; padding: 16px; }}
{css}
</style></head>
<body><main id="shot">{body}</main></body></html>
"""


def _markdown_css() -> str:
    return CSS.read_text("utf-8")


_FRAME_CSS = """
.frame { border: 1px solid #d0d7de; border-radius: 6px; overflow: hidden; }
.frame-head { background: #f6f8fa; border-bottom: 1px solid #d0d7de; padding: 8px 16px;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: #59636e; }
.frame-head b { color: #1f2328; }
.frame-body { padding: 16px 24px; }
.bot { border: 1px solid #d0d7de; border-radius: 2em; padding: 0 6px; font-size: 12px; }
.avatar { display: inline-block; width: 20px; height: 20px; border-radius: 50%;
  vertical-align: middle; margin-right: 6px; background: #2da44e; }
.caption { font: 12px/1.4 "DejaVu Sans", sans-serif; color: #59636e; margin-top: 8px; }
"""


def summary_page(markdown: str) -> str:
    body = f"""<div class="frame"><div class="frame-head"><b>deploy summary</b></div>
<article class="frame-body markdown-body">{gfm(markdown)}</article></div>"""
    return _page("Job summary", 1012, body, _markdown_css() + _FRAME_CSS)


def comment_page(markdown: str) -> str:
    body = f"""<div class="frame"><div class="frame-head"><span class="avatar"></span>
<b>github-actions</b> <span class="bot">bot</span> commented</div>
<article class="frame-body markdown-body">{gfm(markdown)}</article></div>"""
    return _page("Pull request comment", 1012, body, _markdown_css() + _FRAME_CSS)


def mr_note_page(markdown: str) -> str:
    body = f"""<div class="frame gitlab"><div class="frame-head"><span class="avatar"></span>
<b>deploybot</b> @deploybot · commented</div>
<article class="frame-body markdown-body">{gfm(markdown)}</article></div>"""
    css = ".gitlab .avatar { background: #6b4fbb; } .gitlab .frame-head { background: #fbfafd; }"
    return _page("Merge request note", 1012, body, _markdown_css() + _FRAME_CSS + css)


_ICONS = {
    "error": ("#d1242f", "&#x2715;"),
    "warning": ("#9a6700", "!"),
    "notice": ("#0969da", "i"),
    "critical": ("#d1242f", "&#x2715;"),
    "blocker": ("#d1242f", "&#x2715;"),
    "major": ("#bc4c00", "!"),
    "minor": ("#9a6700", "!"),
    "info": ("#0969da", "i"),
}


def _icon(level: str) -> str:
    colour, glyph = _ICONS[level]
    return f'<span class="icon" style="border-color:{colour};color:{colour}">{glyph}</span>'


_LIST_CSS = """
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: #1f2328; }
h2 { font-size: 16px; margin: 0 0 2px; }
.sub { color: #59636e; margin-bottom: 12px; }
.row { display: flex; gap: 10px; padding: 10px 16px; border-top: 1px solid #d0d7de; }
.row:first-of-type { border-top: none; }
.icon { flex: none; width: 16px; height: 16px; border: 1.5px solid; border-radius: 50%;
  font: bold 10px/16px "DejaVu Sans", sans-serif; text-align: center; margin-top: 2px; }
.title { font-weight: 600; }
.message { white-space: pre-wrap; font: 12px/1.5 "DejaVu Sans Mono", monospace;
  margin-top: 2px; }
table { border-collapse: collapse; width: 100%; }
td, th { border-top: 1px solid #d0d7de; padding: 8px 12px; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.where { font: 12px/1.5 "DejaVu Sans Mono", monospace; color: #0969da; }
"""


def _counts(levels: Sequence[str], names: Sequence[str], *, plural: bool) -> str:
    """``3 errors, 2 warnings`` (plural nouns) or ``3 critical, 2 major`` (adjectives)."""
    parts = [
        f"{levels.count(name)} {name}{'s' if plural and levels.count(name) != 1 else ''}"
        for name in names
        if name in levels
    ]
    return ", ".join(parts)


def annotations_page(commands: str) -> str:
    found = parse_annotations(commands)
    rows = "".join(
        f"""<div class="row">{_icon(a.level)}<div><div class="title">{html.escape(a.title)}</div>
<div class="message">{html.escape(a.message)}</div></div></div>"""
        for a in found
    )
    counted = _counts([a.level for a in found], ("error", "warning", "notice"), plural=True)
    body = f"""<h2>Annotations</h2><div class="sub">{counted}</div>
<div class="frame">{rows}</div>
<p class="caption">An approximation of GitHub's annotation list, drawn from the real
<code>::error</code>, <code>::warning</code> and <code>::notice</code> lines of
<code>deploygate check --format github</code>.</p>"""
    return _page("Annotations", 1012, body, _LIST_CSS + _FRAME_CSS)


def _codequality_row(issue: Mapping[str, Any]) -> str:
    severity, location = issue["severity"], issue["location"]
    where = f"{location['path']}:{location['lines']['begin']}"
    return f"""<tr><td class="severity">{_icon(severity)} {html.escape(severity.title())}</td>
<td>{html.escape(issue["description"])}<br>
<span class="where">{html.escape(issue["check_name"])}</span></td>
<td class="where">{html.escape(where)}</td></tr>"""


def codequality_page(issues: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(_codequality_row(issue) for issue in issues)
    severities = [issue["severity"] for issue in issues]
    counted = _counts(severities, ("blocker", "critical", "major", "minor", "info"), plural=False)
    body = f"""<h2>Code Quality scan found {len(issues)} new findings</h2>
<div class="sub">{counted}</div>
<div class="frame"><table><tr><th>Severity</th><th>Finding</th><th>Location</th></tr>{rows}
</table></div>
<p class="caption">An approximation of GitLab's merge request Code Quality widget, drawn from
the real report of <code>deploygate check --output codequality=PATH</code>.</p>"""
    css = """.icon { display: inline-block; vertical-align: -3px; margin-right: 4px; }
.severity { white-space: nowrap; }"""
    return _page("Code Quality", 1212, body, _LIST_CSS + _FRAME_CSS + css)


def terminal_page(command: str, output: str, exit_code: int) -> str:
    prompt = "\x1b[32m$\x1b[0m "
    screen = f"{prompt}{command}\n{output}{prompt}echo $?\n{exit_code}\n"
    css = """
.window { background: #0d1117; border-radius: 8px; overflow: hidden;
  box-shadow: 0 0 0 1px #30363d; }
.bar { background: #161b22; padding: 8px 12px; }
.bar i { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  margin-right: 6px; }
pre { margin: 0; padding: 12px 16px 16px; color: #e6edf3; width: COLUMNSch;
  font: 13px/1.45 "DejaVu Sans Mono", monospace; white-space: pre; }
"""
    css = css.replace("COLUMNS", str(COLUMNS))
    body = f"""<div class="window"><div class="bar"><i style="background:#ff5f57"></i><i
style="background:#febc2e"></i><i style="background:#28c840"></i></div>
<pre>{ansi_html(soft_wrap(screen, COLUMNS))}</pre></div>"""
    return _page("Terminal", 880, body, css)


# -- Chromium over the DevTools protocol -------------------------------------


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    raise SystemExit(f"screenshots: chromium is not on PATH; {INSTALLS}")


def check_fonts() -> None:
    """Without these fonts the pictures would change with the machine (or show boxes)."""
    listed = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    for family in ("DejaVu Sans Mono", "Noto Color Emoji"):
        if family not in listed:
            raise SystemExit(f"screenshots: the font {family} is missing; {INSTALLS}")


class Browser:
    """One headless Chromium, spoken to over ``--remote-debugging-pipe``: requests go to
    its fd 3 and answers come from its fd 4, each a JSON message ended by a NUL byte
    (https://chromedevtools.github.io/devtools-protocol/)."""

    def __init__(self, profile: Path) -> None:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()
        # Above 2 and away from 3 and 4, so the shell's redirections cannot clobber them.
        high_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
        high_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
        os.close(to_browser)
        os.close(from_browser)
        launcher = f'exec "$0" "$@" 3<&{high_in} 4>&{high_out} {high_in}<&- {high_out}>&-'
        self._process = subprocess.Popen(
            [
                "bash",  # dash's redirections take one-digit descriptors only
                "-c",
                launcher,
                find_chromium(),
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
                "--force-color-profile=srgb",
                "--font-render-hinting=none",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(high_in, high_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(high_in)
        os.close(high_out)
        self._buffer = b""
        self._next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one command and wait for its answer; events in between are dropped."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if getattr(self, "_session", None):
            message["sessionId"] = self._session
        os.write(self._writer, json.dumps(message).encode("utf-8") + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._reader, 1 << 20)
                if not chunk:
                    raise SystemExit("screenshots: chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") != self._next_id:
                continue
            if "error" in answer:
                raise SystemExit(f"screenshots: chromium: {method}: {answer['error']}")
            result: dict[str, Any] = answer["result"]
            return result

    def screenshot(self, page: Path, width: int) -> bytes:
        """A PNG of ``page`` at least ``width`` CSS pixels wide (wider if its content is),
        and exactly as tall as its ``#shot`` element."""
        self.call("Emulation.setDeviceMetricsOverride", _metrics(width, 600))
        self.call("Page.navigate", {"url": page.as_uri()})
        self.evaluate(_LOADED.replace("HREF", json.dumps(page.as_uri())))
        for _ in range(8):
            # Content wider than the viewport (a wide table) widens the picture; a centred
            # page moves only half the extra width right, hence twice the overflow.
            overflow = int(self.evaluate("document.documentElement.scrollWidth")) - width
            if overflow <= 0:
                break
            width += 2 * overflow + 32
            self.call("Emulation.setDeviceMetricsOverride", _metrics(width, 600))
        bottom = "Math.ceil(document.getElementById('shot').getBoundingClientRect().bottom)"
        height = int(self.evaluate(bottom))
        self.call("Emulation.setDeviceMetricsOverride", _metrics(width, height))
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(shot["data"])

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        answer = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in answer:
            raise SystemExit(f"screenshots: chromium: {answer['exceptionDetails']}")
        return answer["result"]["value"]

    def close(self) -> None:
        with contextlib.suppress(SystemExit, OSError):
            self.call("Browser.close")
        self._process.wait(timeout=30)
        os.close(self._writer)
        os.close(self._reader)


_LOADED = """new Promise(resolve => {
  const done = () => document.fonts.ready.then(() => resolve(true));
  if (document.readyState === 'complete' && location.href === HREF) done();
  else addEventListener('load', done);
})"""
"""Resolves once the page at HREF has loaded and its fonts are ready to draw."""


def _metrics(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}


@contextlib.contextmanager
def browser(profile: Path) -> Iterator[Browser]:
    opened = Browser(profile)
    try:
        yield opened
    finally:
        opened.close()


# -- the whole job -----------------------------------------------------------------


def pages(work: Path) -> dict[str, tuple[str, int]]:
    """Each picture's name and the HTML page (and width) it is taken of."""
    command = ["deploygate", *check_args()]
    terminal = run_in_terminal(check_args(), expect=1)
    github = on_github(work)
    gitlab = on_gitlab(work)
    loop = run(["report", "--config", CONFIG, "--now", NOW, "--format", "html"], base_env(), 0)
    return {
        "terminal": (terminal_page(shlex.join(command), terminal, 1), 880),
        "job-summary": (summary_page(github.summary), 1012),
        "pr-comment": (comment_page(github.comment), 1012),
        "annotations": (annotations_page(github.commands), 1012),
        "gitlab-mr-note": (mr_note_page(gitlab.note), 1012),
        "codequality": (codequality_page(gitlab.codequality), 1212),
        "loop-report": (loop, 1200),
    }


def make(out: Path, keep_pages: Path | None = None) -> list[Path]:
    """Write every picture into ``out`` (and its HTML into ``keep_pages``); their paths."""
    find_chromium()
    check_fonts()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="deploygate-screenshots-") as scratch:
        work = Path(scratch)
        html_dir = keep_pages or work / "pages"
        html_dir.mkdir(parents=True, exist_ok=True)
        made = pages(work)
        with browser(work / "profile") as chromium:
            for name, (page, width) in made.items():
                source = html_dir / f"{name}.html"
                source.write_text(page, "utf-8")
                if name == "loop-report":
                    # The report's page has no #shot element: measure its body instead.
                    source.write_text(_with_shot_id(page), "utf-8")
                png = out / f"{name}.png"
                png.write_bytes(chromium.screenshot(source, width))
                written.append(png)
    return written


def _with_shot_id(page: str) -> str:
    """The learning-loop page, its <body> marked as what to measure (nothing else changes)."""
    marked, count = re.subn(r"<body(?=[\s>])", '<body id="shot"', page, count=1)
    if count != 1:
        raise SystemExit("screenshots: the learning-loop page has no <body>")
    return marked


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PNGs go")
    parser.add_argument("--pages", type=Path, help="also keep the HTML pages here")
    options = parser.parse_args(argv)
    for png in make(options.out, options.pages):
        print(png.relative_to(REPO_ROOT) if png.is_relative_to(REPO_ROOT) else png)


if __name__ == "__main__":
    main()
