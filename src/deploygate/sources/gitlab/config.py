"""The ``[gitlab]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deploygate import tables
from deploygate.tables import boolean, duration, lower_texts, setting, template, text, texts

_PROJECT = text("GROUP/NAME or a numeric id")


@dataclass(frozen=True, slots=True)
class GitLabConfig:
    """The ``[gitlab]`` table. Unset values fall back to the GitLab CI variables."""

    url: str | None = setting(None, tables.url("the server URL, e.g. https://gitlab.example.com"))
    project: str | None = setting(None, _PROJECT)
    postmortem_project: str | None = setting(None, _PROJECT)
    postmortem_labels: tuple[str, ...] = setting(("postmortem",), texts)
    incidents: bool = setting(True, boolean)
    service_label: str = setting("service::{service}", template("service"))
    team_label: str = setting("team::{team}", template("team"))
    cause_label: str = setting("cause::{cause}", template("cause"))
    declined_labels: tuple[str, ...] = setting(
        ("wontfix", "won't do", "duplicate", "declined"), lower_texts
    )
    token_env: str = setting("GITLAB_TOKEN", text("a variable name"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)
