"""GitLab Code Quality report: findings as a JSON array for ``artifacts:reports:codequality``.

GitLab compares fingerprints between the merge request and its target to
tell new findings from fixed ones, so each finding's fingerprint is the
stable one of the report. Descriptions are shown as plain text in the merge
request widget; untrusted text is made inert for it.
See https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from deploygate.formats import escape
from deploygate.formats.common import not_verified
from deploygate.model import Finding, Level

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions
    from deploygate.model import Report

SEVERITIES = {Level.ERROR: "critical", Level.WARNING: "major", Level.NOTICE: "info"}
"""Our levels in Code Quality's severities (info, minor, major, critical, blocker)."""


def _path(finding: Finding, options: RenderOptions) -> str:
    """A local postmortem is a file in the repository; anything else points at the config."""
    postmortem = finding.postmortem
    if postmortem is not None and postmortem.url is None and postmortem.id.endswith(".md"):
        # Local postmortem ids are relative to the config file's folder.
        return str(PurePosixPath(options.config_path).parent / postmortem.id)
    return options.config_path


def _issue(finding: Finding, options: RenderOptions) -> dict[str, Any]:
    return {
        "description": escape.plain(
            f"{finding.message}. {finding.remedy}" if finding.remedy else finding.message
        ),
        "check_name": f"deploygate/{finding.rule.value}",
        "fingerprint": finding.fingerprint,
        "severity": SEVERITIES[finding.level],
        "location": {"path": _path(finding, options), "lines": {"begin": _line(finding)}},
    }


def _line(finding: Finding) -> int:
    """The action item's line in a local postmortem; else the first line of the file."""
    item = finding.action_item
    return item.line if item is not None and item.line is not None else 1


def render(report: Report, options: RenderOptions) -> str:
    """The Code Quality array; a failed source is one critical entry saying NOT VERIFIED."""
    issues = [_issue(finding, options) for finding in report.findings]
    warning = not_verified(report)
    if warning:
        issues.insert(
            0,
            {
                "description": escape.plain(warning),
                "check_name": "deploygate/not-verified",
                "fingerprint": "deploygate-not-verified",
                "severity": "critical",
                "location": {"path": options.config_path, "lines": {"begin": 1}},
            },
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
