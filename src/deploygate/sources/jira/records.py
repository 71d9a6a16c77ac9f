"""Jira's issues decoded once into typed records, or refused naming the issue and field.

An issue whose summary, created time, status category, resolution time or
due date cannot be read fails the tracker (exit 3) with a line naming its
key: skipping it would let the gate decide, silently, on what was left.
Anything else these functions raise is a bug in deploygate (exit 4).
See https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from deploygate.dates import parse_api_date, parse_api_instant, parse_instant
from deploygate.errors import SourceError
from deploygate.sources.fields import shown
from deploygate.sources.jira import adf
from deploygate.sources.jira.settings import SOURCE_NAME

ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]+-[0-9]+")
"""A Jira issue key, OPS-123."""

Parsed = TypeVar("Parsed")


@dataclass(frozen=True, slots=True)
class JiraIssue:
    """One issue of a search, with the fields an action item needs."""

    key: str
    summary: str
    created_at: datetime
    status_category: str
    """The key of its status's category: ``new``, ``indeterminate`` or ``done``."""
    resolution: str | None
    """Its resolution's name, when it has one."""
    resolved_at: datetime | None
    """The "Resolved" field: none for a done status reached without a resolution."""
    due: date | None
    team: str | None
    """The first component's name, or the team field's value."""
    description: str
    """Its description as plain text (Cloud's ADF flattened)."""


def decode_issue(raw: Mapping[str, Any], team_field: str) -> JiraIssue:
    """An issue of a search; ``team_field`` names the field its team is read from."""
    fields = raw.get("fields")
    if not isinstance(fields, dict):
        raise _fail(f"Jira answered an issue without fields ({shown(raw)})")
    key = raw.get("key")
    if not isinstance(key, str) or not ISSUE_KEY.fullmatch(key):
        raise _fail(f"Jira answered an issue without a key ({shown(raw)})")
    summary = fields.get("summary")
    if not isinstance(summary, str):
        raise _fail(f"Jira answered {key} without a summary")
    try:
        created_at = parse_instant(str(fields.get("created")))
    except ValueError:
        raise _fail(
            f"Jira answered {key} with a bad created time ({shown(fields.get('created'))})"
        ) from None
    category = _status_category(fields)
    if category is None:
        raise _fail(f"Jira answered {key} without a status category")
    resolution = fields.get("resolution")
    name = resolution.get("name") if isinstance(resolution, dict) else None
    return JiraIssue(
        key=key,
        summary=summary,
        created_at=created_at,
        status_category=category,
        resolution=name if isinstance(name, str) else None,
        resolved_at=_parsed(
            fields, "resolutiondate", parse_api_instant, key, "a bad resolution time"
        ),
        due=_parsed(fields, "duedate", parse_api_date, key, "a due date that is not a date"),
        team=_team(fields.get(team_field)),
        description=adf.to_text(fields.get("description")),
    )


def _status_category(fields: Mapping[str, Any]) -> str | None:
    status = fields.get("status")
    category = status.get("statusCategory") if isinstance(status, dict) else None
    category_key = category.get("key") if isinstance(category, dict) else None
    return category_key if isinstance(category_key, str) else None


def _parsed(
    fields: Mapping[str, Any],
    name: str,
    parse: Callable[[object], Parsed],
    key: str,
    problem: str,
) -> Parsed:
    value = fields.get(name)
    try:
        return parse(value)
    except ValueError:
        raise _fail(f"Jira answered {key} with {problem} ({shown(value)})") from None


def _team(value: object) -> str | None:
    """The first component's name, or the team field: a team, a select, text, or a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or value.get("title")
    return value.strip() or None if isinstance(value, str) else None


def _fail(problem: str) -> SourceError:
    return SourceError(SOURCE_NAME, problem)
