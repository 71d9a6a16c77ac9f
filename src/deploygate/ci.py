"""What the environment says: GitHub Actions, GitLab CI or a laptop, and the terminal.

Only reads the environment and git's config; decides nothing about policy.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import subprocess

Platform = Literal["github", "gitlab"]


@dataclass(frozen=True, slots=True)
class PlatformGuess:
    """A platform and the evidence for it, so ``init`` can say why it chose."""

    platform: Platform
    evidence: str


DEFAULT_WIDTH = 100
"""Columns of text where there is no terminal to ask."""


def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, never when NO_COLOR is set (https://no-color.org), and
    never on a terminal that says it cannot show it: ``TERM=dumb`` (Emacs' shell, some CI
    logs) is the convention that terminfo and ncurses honour."""
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def terminal_width(stream: TextIO, env: Mapping[str, str]) -> int:
    """Columns to wrap text to: ``COLUMNS`` when set, else the terminal's, else 100.

    A pipe or a file has no width; 100 keeps a CI log readable where it is
    shown in a browser, and a long word (a URL, a path) is never cut anyway.
    """
    columns = env.get("COLUMNS", "")
    if columns.isascii() and columns.isdigit() and 0 < int(columns) < 10_000:
        return int(columns)
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        import shutil  # only a terminal has a size: a CI log never pays for the import

        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


def git(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str] | None:
    """Run ``git ARGUMENTS`` in ``cwd`` and return what it said; None without git (not
    installed, or too slow to answer in 5 s)."""
    import subprocess  # only init, and a check that follows a fix, ask git: start-up is free

    try:
        return subprocess.run(
            ["git", *arguments],
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_remote(cwd: Path) -> str | None:
    """The ``origin`` remote URL as git would fetch it, or None outside a repository or
    without git. ``git remote get-url`` applies ``url.<base>.insteadOf`` rewrites, which
    reading ``.git/config`` would miss."""
    result = git(cwd, "remote", "get-url", "origin")
    if result is None:
        return None
    remote = result.stdout.strip()
    return remote if result.returncode == 0 and remote else None


@dataclass(frozen=True, slots=True)
class Remote:
    """Where a git remote lives on a forge: never its user, password or token."""

    host: str
    """Lower case, without a port: what ``init`` names as its evidence."""
    web_url: str
    """The server's web address: ``https://HOST`` (with the port of an http(s) remote)."""
    path: str
    """The repository's path on the server without ``.git``: ``acme/shop``, ``group/sub/shop``."""

    @property
    def name(self) -> str:
        """The repository's own name, the last part of its path."""
        return self.path.rpartition("/")[2]


_REMOTE_SCHEMES = frozenset({"https", "http", "ssh", "git", "git+ssh", "ssh+git"})
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
"""A DNS name or IPv4 address: what ``init`` may write into a URL in the config."""


def parse_remote(remote: str) -> Remote | None:
    """The forge address of a remote in URL or scp-like form (``git@host:acme/shop.git``).

    None for a local path, a ``file://`` URL, or a path of fewer than two parts
    (a forge's repositories live under an owner or a group). The web address of
    an ssh remote is ``https://HOST``: the ssh port (``ssh://git@host:2222/…``)
    says nothing of the web server's.
    """
    if "://" in remote:
        try:
            parts = urlsplit(remote)
        except ValueError:  # "https://[abc/o/r": a bracket that opens no IPv6 address
            return None
        if parts.scheme.lower() not in _REMOTE_SCHEMES or not parts.hostname:
            return None
        try:
            port = parts.port
        except ValueError:
            return None
        scheme, host, path = parts.scheme.lower(), parts.hostname.lower(), parts.path
        web_url = (
            f"{scheme}://{host}" + (f":{port}" if port else "")
            if scheme in ("https", "http")
            else f"https://{host}"
        )
    else:
        # scp-like syntax: git treats it so only when a colon comes before any slash.
        user_host, colon, path = remote.partition(":")
        if not colon or "/" in user_host or not user_host:
            return None
        host = user_host.rpartition("@")[2].lower()
        web_url = f"https://{host}"
    path = path.strip("/").removesuffix(".git").strip("/")
    if not _HOST.fullmatch(host) or path.count("/") < 1 or "" in path.split("/"):
        return None
    return Remote(host=host, web_url=web_url, path=path)


PUBLIC_HOSTS: Mapping[Platform, str] = {"github": "github.com", "gitlab": "gitlab.com"}
"""Each platform's public server; any other host is self-hosted (GHES, self-managed GitLab)."""


def guess_platform(
    env: Mapping[str, str], remote: Remote | None, repository: Path | None = None
) -> PlatformGuess | None:
    """GitHub or GitLab from the CI environment, the remote's host, or the repository's files.

    In order: the CI it runs in; the public host, or a host whose name says
    ``github`` or ``gitlab`` (``github.example.com``); then a repository with
    workflows in ``.github/workflows`` or a ``.gitlab-ci.yml``, but not both. Any
    other self-hosted server cannot be told apart by its address: ``init --source``
    names it.
    """
    if env.get("GITHUB_ACTIONS") == "true":
        return PlatformGuess("github", "running in GitHub Actions")
    if env.get("GITLAB_CI") == "true":
        return PlatformGuess("gitlab", "running in GitLab CI")
    if remote:
        for platform, public in PUBLIC_HOSTS.items():
            if remote.host == public or platform in remote.host:
                # Name only the host: a remote URL can carry credentials.
                return PlatformGuess(platform, f"git remote origin is on {remote.host}")
    if repository:
        # The gate's own workflow, which ``init --ci github`` writes, is no evidence:
        # else a second ``init`` would decide otherwise than the first.
        workflows = repository / ".github" / "workflows"
        github = workflows.is_dir() and any(
            path.name != "deploygate.yml" for path in workflows.iterdir()
        )
        gitlab = (repository / ".gitlab-ci.yml").is_file()
        if github != gitlab:
            found = ".github/workflows" if github else ".gitlab-ci.yml"
            return PlatformGuess("github" if github else "gitlab", f"the repository has {found}")
    return None


def environment() -> Mapping[str, str]:
    """The process environment, read in one place so tests can hand in their own."""
    return os.environ


@dataclass(frozen=True, slots=True)
class GitHubActions:
    """The files a GitHub Actions step may write, where the runner set them."""

    step_summary: Path | None
    output: Path | None


def github_actions(env: Mapping[str, str]) -> GitHubActions | None:
    """The GitHub Actions step files, or None outside GitHub Actions."""
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    summary = env.get("GITHUB_STEP_SUMMARY")
    output = env.get("GITHUB_OUTPUT")
    return GitHubActions(
        step_summary=Path(summary) if summary else None,
        output=Path(output) if output else None,
    )


def default_format(env: Mapping[str, str]) -> str:
    """Workflow commands in GitHub Actions, a sectioned log in GitLab CI, else text."""
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return "text"


def github_event(env: Mapping[str, str]) -> tuple[str | None, dict[str, Any]]:
    """The event name and payload of the running workflow; an unreadable payload is empty."""
    name = env.get("GITHUB_EVENT_NAME")
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return name, {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return name, {}
    return name, payload if isinstance(payload, dict) else {}


def deploying_sha(env: Mapping[str, str]) -> str | None:
    """The commit the running pipeline deploys: GitHub Actions' or GitLab CI's, if any."""
    return env.get("GITHUB_SHA") or env.get("CI_COMMIT_SHA") or None


def run_url(env: Mapping[str, str]) -> str | None:
    """A link to the running workflow run (GitHub Actions) or job (GitLab CI), if any."""
    if env.get("GITLAB_CI") == "true":
        return env.get("CI_JOB_URL") or None
    server, repository, run = (
        env.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repository and run:
        return f"{server.rstrip('/')}/{repository}/actions/runs/{run}"
    return None
