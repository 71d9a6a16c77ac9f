"""What the environment says: GitHub Actions, GitLab CI or a laptop, and the terminal.

Only reads the environment and git's config; decides nothing about policy.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

Platform = Literal["github", "gitlab"]


@dataclass(frozen=True, slots=True)
class PlatformGuess:
    """A platform and the evidence for it, so ``init`` can say why it chose."""

    platform: Platform
    evidence: str


def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, never when NO_COLOR is set (https://no-color.org), and
    never on a terminal that says it cannot show it: ``TERM=dumb`` (Emacs' shell, some CI
    logs) is the convention that terminfo and ncurses honour."""
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def git_remote(cwd: Path) -> str | None:
    """The ``origin`` remote URL, or None outside a repository or without git."""
    try:
        result = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    remote = result.stdout.strip()
    return remote or None


def remote_host(remote: str) -> str | None:
    """The host of a git remote, in URL or scp-like (``git@host:path``) form."""
    if "://" in remote:
        return urlsplit(remote).hostname
    user_host, colon, _ = remote.partition(":")
    return user_host.rpartition("@")[2].lower() if colon else None


def guess_platform(env: Mapping[str, str], remote: str | None) -> PlatformGuess | None:
    """GitHub or GitLab from the CI environment first, then from the git remote's host."""
    if env.get("GITHUB_ACTIONS") == "true":
        return PlatformGuess("github", "running in GitHub Actions")
    if env.get("GITLAB_CI") == "true":
        return PlatformGuess("gitlab", "running in GitLab CI")
    host = remote_host(remote) if remote else None
    if host:
        for platform in ("github", "gitlab"):
            if platform in host:
                # Name only the host: a remote URL can carry credentials.
                return PlatformGuess(platform, f"git remote origin is on {host}")
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
