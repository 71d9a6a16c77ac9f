"""Round two, case 11: no reference form that GitHub or GitLab render survives from untrusted text.

Input: postmortem and action-item titles holding every reference form the two
renderers document (GitHub: "Autolinked references and URLs"; GitLab:
"GitLab-specific references"): ``#123``, ``GH-123``, ``owner/repo#123``,
``owner/repo@sha``, ``!12``, ``%12``, ``%"milestone"``, ``&12``, ``~label``,
``~"a label"``, ``$12``, ``^12``, ``*iteration:12``.

Expected: the Markdown (comment, MR note, job summary) and the Code Quality
descriptions, read as a renderer reads them (backslash escapes and entities
resolved), hold none of those forms, and still show every title's words.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from reliability.helpers import NOW_ARG, check, clean_env, local_config, local_postmortem

FORMS = [
    "#123",
    "GH-123",
    "gh-124",
    "acme/shop#125",
    "acme/shop@1a2b3c4d",
    "!12",
    "%12",
    '%"Release 1"',
    "&12",
    "~bug",
    '~"needs review"',
    "$12",
    "^12",
    "*iteration:12",
]
TITLE = "Fix " + " and ".join(FORMS)

# The forms as the renderers find them in text (after Markdown is parsed).
RENDERED_REFERENCES = [
    re.compile(r"(?<![\w/])#\d+"),
    re.compile(r"\bGH-\d+", re.IGNORECASE),
    re.compile(r"[\w.-]+/[\w.-]+#\d+"),
    re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{7,40}"),
    re.compile(r"(?<![\w&])[!%&$^]\d+"),
    re.compile(r'%"[^"]+"'),
    re.compile(r'~(?:\w+|"[^"]+")'),
    re.compile(r"\*iteration:\d+"),
]


def _as_rendered(markdown: str) -> str:
    """What a Markdown renderer leaves as text: escapes resolved, entities decoded."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


@pytest.mark.parametrize("output", ["report.markdown", "summary", "report.codequality"])
def test_no_reference_form_survives_into_rendered_text(tmp_path: Path, output: str) -> None:
    postmortem = local_postmortem(TITLE, [(TITLE, "2026-10-01")])
    config = local_config(tmp_path, {"outage.md": postmortem})
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG)
    assert run.exit_code == 1, run.output
    document = run.files[output]
    if output == "report.codequality":
        document = "\n".join(issue["description"] for issue in json.loads(document))
    text = _as_rendered(document)
    for pattern in RENDERED_REFERENCES:
        assert pattern.findall(text) == [], (output, pattern.pattern)
    assert text.replace("\u200b", "").count(TITLE) >= 1  # shown as written
