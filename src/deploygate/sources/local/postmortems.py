"""Postmortems as Markdown files with TOML front matter, written comfortably by hand.

The format (documented in the README, with an example in
``examples/quickstart/postmortems/``)::

    +++
    service = "checkout"
    date = 2026-09-14T10:20:00Z
    status = "closed"                 # or "open" while it is being written
    deployments = ["1041", "9f3c2e1"] # ids, URLs or shas it reviews
    jira = ["OPS-123"]                # its action items in Jira (with the jira source)
    +++
    # Checkout returned 500s after the payment config rollout

    ## Action items
    - [ ] Alert on payment error budget burn (due: 2026-10-01, team: payments)
    - [x] Validate payment config in CI (closed: 2026-09-20, fix: 4f2a9c1)
    - [-] Rewrite the client (reason: duplicate of the alerting item)

``[ ]`` is open, ``[x]`` done and ``[-]`` declined; ``closed`` says when a done
or declined item was closed, which the learning-loop report measures by; ``fix``
names the change that did it: a commit sha, which the check follows to tell
whether the lesson has shipped, or a pull or merge request URL, which names no
commit and is not followed (the local source says so in a notice).
Action items can also be ``[[action_items]]`` tables in the front matter. Anything malformed is an
:class:`InputError` naming the file and line: a postmortem that cannot be
read must never be skipped in silence, or its lessons would vanish.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from deploygate import toml
from deploygate.dates import (
    DATE_FORM,
    INSTANT_FORM,
    check_date,
    parse_date,
    parse_instant,
    start_of_day,
    to_utc,
)
from deploygate.errors import InputError, decode_utf8, did_you_mean
from deploygate.linking import COMMIT_NAME
from deploygate.model import ActionItem, ActionItemState, Fix, Postmortem, PostmortemState
from deploygate.sources.exports import JIRA_KEY
from deploygate.sources.markdown import first_heading, lines_outside_code, task

FENCE = "+++"
_YAML_FENCE = "---"
SKIPPED_NAMES = frozenset({"README.md"})
"""Files in the folder that are not postmortems. Names starting with ``_`` are templates."""


_FRONT_MATTER_KEYS = (
    "title",
    "service",
    "date",
    "status",
    "deployments",
    "url",
    "causes",
    "jira",
    "action_items",
)
MAX_FRONT_MATTER = 64 * 1024
"""Metadata is a few lines; a cap keeps TOML's parser, which is quadratic on some
shapes, from spending minutes on a contributor's file."""
_ITEM_KEYS = ("title", "state", "due", "team", "reason", "id", "closed", "fix")
_INLINE_KEYS = ("due", "team", "reason", "id", "closed", "fix")
_CHANGE_URL = re.compile(
    r"https?://[^\s/]+/\S+?/(?:-/)?(?:(?P<pull>pull)|(?P<merge>merge_requests)|commits?)/"
    r"(?P<name>[0-9a-f]+)/?(?:[?#]\S*)?",
    re.IGNORECASE,
)
"""A pull request's (GitHub), a merge request's (GitLab) or a commit's web address."""
_DATE_KEYS = ("due", "closed")
_TRAILING_ATTRIBUTES = re.compile(r"\(([^()]*)\)\s*$")
_MARKERS = {" ": ActionItemState.OPEN, "x": ActionItemState.DONE, "-": ActionItemState.DECLINED}


@dataclass(frozen=True, slots=True)
class _Document:
    path: Path
    front_matter: str
    front_matter_start: int
    """The file line number of the first front-matter line."""
    body: str
    body_start: int


def _split(path: Path, text: str) -> _Document:
    lines = toml.lines(text)
    if lines[0].strip() == _YAML_FENCE:
        # Jekyll, Hugo and most templates use YAML; say what to change, not only what is wrong.
        raise InputError(
            f"no front matter: {_YAML_FENCE} starts YAML front matter, which deploygate does "
            f"not read",
            path=path,
            line=1,
            expected=f'TOML between {FENCE} lines: {FENCE}, then e.g. service = "checkout", '
            f"then {FENCE}",
        )
    if lines[0].strip() != FENCE:
        raise InputError(
            "no front matter",
            path=path,
            line=1,
            expected=f"the file to start with a {FENCE} line, TOML metadata, and a {FENCE} line",
        )
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == FENCE:
            if sum(len(front) + 1 for front in lines[1 : number - 1]) > MAX_FRONT_MATTER:
                raise InputError(
                    f"front matter longer than {MAX_FRONT_MATTER // 1024} KiB",
                    path=path,
                    line=1,
                    expected="a few lines of metadata; the text goes below the front matter",
                )
            return _Document(
                path=path,
                front_matter="\n".join(lines[1 : number - 1]),
                front_matter_start=2,
                body="\n".join(lines[number:]),
                body_start=number + 1,
            )
    raise InputError("front matter is never closed", path=path, line=1, expected=f"a {FENCE} line")


def _key_line(document: _Document, key: str, occurrence: int = 0) -> int | None:
    pattern = re.compile(rf"^\s*(\[\[\s*{re.escape(key)}\s*\]\]|{re.escape(key)}\s*=)")
    seen = 0
    for offset, line in enumerate(toml.lines(document.front_matter)):
        if pattern.match(line):
            if seen == occurrence:
                return document.front_matter_start + offset
            seen += 1
    return None


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return start_of_day(value)
    if isinstance(value, str):
        return parse_instant(value)
    raise ValueError(f"{value!r} is not a time; expected {INSTANT_FORM}")


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return to_utc(value).date()
    if isinstance(value, date):
        return check_date(value)
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError(f"{value!r} is not a date; expected {DATE_FORM}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "item"


class _Parser:
    """Reads one file; every error it raises names the file, the line and the field."""

    def __init__(self, document: _Document, postmortem_id: str) -> None:
        self.document = document
        self.postmortem_id = postmortem_id
        self.item_ids: set[str] = set()

    def fail(
        self,
        problem: str,
        *,
        key: str | None = None,
        line: int | None = None,
        expected: str | None = None,
        occurrence: int = 0,
    ) -> InputError:
        if line is None and key is not None:
            line = _key_line(self.document, key.split(".")[0], occurrence)
        return InputError(problem, path=self.document.path, line=line, field=key, expected=expected)

    def metadata(self) -> dict[str, Any]:
        try:
            data = toml.parse(self.document.front_matter)
        except toml.TomlError as error:
            line = None if error.line is None else error.line + self.document.front_matter_start - 1
            raise self.fail(f"front matter is not valid TOML: {error.message}", line=line) from None
        for key in data:
            if key not in _FRONT_MATTER_KEYS:
                raise self.fail(
                    f"unknown key{did_you_mean(key, _FRONT_MATTER_KEYS)}",
                    key=key,
                    expected=", ".join(_FRONT_MATTER_KEYS),
                )
        return data

    def text(self, data: Mapping[str, Any], key: str, *, occurrence: int = 0) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be a non-empty string", key=key, occurrence=occurrence)
        return value.strip()

    def parse(self, title_fallback: str) -> Postmortem:
        data = self.metadata()
        if "date" not in data:
            raise self.fail("missing key", key="date", line=1, expected=INSTANT_FORM)
        try:
            created_at = _instant(data["date"])
        except ValueError as error:
            raise self.fail(str(error), key="date") from None
        status = self.text(data, "status") or PostmortemState.CLOSED.value
        try:
            state = PostmortemState(status)
        except ValueError:
            raise self.fail(
                f"unknown status {status!r}", key="status", expected="'open' or 'closed'"
            ) from None
        refs = data.get("deployments", [])
        if not isinstance(refs, list) or not all(isinstance(ref, str | int) for ref in refs):
            raise self.fail(
                "must be a list", key="deployments", expected='ids, URLs or shas, e.g. ["1041"]'
            )
        url = self.text(data, "url")
        causes = data.get("causes", [])
        if not isinstance(causes, list) or not all(
            isinstance(cause, str) and cause.strip() for cause in causes
        ):
            raise self.fail("must be a list of strings", key="causes",
                            expected='cause names, e.g. ["config-drift"]')  # fmt: skip
        jira = data.get("jira", [])
        if not isinstance(jira, list) or not all(
            isinstance(key, str) and JIRA_KEY.fullmatch(key) for key in jira
        ):
            raise self.fail("must be a list of Jira issue keys", key="jira",
                            expected='keys such as ["OPS-123"]')  # fmt: skip
        items = [*self.front_matter_items(data, created_at, url), *self.task_items(created_at, url)]
        return Postmortem(
            id=self.postmortem_id,
            title=self.text(data, "title") or first_heading(self.document.body) or title_fallback,
            state=state,
            created_at=created_at,
            service=self.text(data, "service"),
            url=url,
            deployment_refs=tuple(str(ref) for ref in refs),
            tracker_refs=tuple(jira),
            body=self.document.body,
            action_items=tuple(items),
            causes=tuple(cause.strip() for cause in causes),
        )

    def item_id(self, explicit: str | None, title: str, line: int | None) -> str:
        base = explicit or f"{self.postmortem_id}#{_slug(title)}"
        candidate, suffix = base, 2
        while candidate in self.item_ids:
            if explicit:
                raise self.fail(f"duplicate action item id {explicit!r}", key="id", line=line)
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        self.item_ids.add(candidate)
        return candidate

    def front_matter_items(
        self, data: Mapping[str, Any], created_at: datetime, url: str | None
    ) -> Iterator[ActionItem]:
        entries = data.get("action_items", [])
        if not isinstance(entries, list):
            raise self.fail(
                "must be an array of tables",
                key="action_items",
                expected="[[action_items]] entries",
            )
        for occurrence, entry in enumerate(entries):
            line = _key_line(self.document, "action_items", occurrence)
            if not isinstance(entry, dict):
                raise self.fail("must be a table", key="action_items", line=line)
            for key in entry:
                if key not in _ITEM_KEYS:
                    raise self.fail(
                        f"unknown key{did_you_mean(key, _ITEM_KEYS)}",
                        key=f"action_items.{key}",
                        line=line,
                        expected=", ".join(_ITEM_KEYS),
                    )
            fields = {key: value for key, value in entry.items() if key != "title"}
            title = entry.get("title")
            if not isinstance(title, str) or not title.strip():
                raise self.fail(
                    "missing or empty",
                    key="action_items.title",
                    line=line,
                    expected="a short description of the lesson",
                )
            state_text = fields.pop("state", "open")
            try:
                state = ActionItemState(state_text)
            except ValueError:
                raise self.fail(
                    f"unknown state {state_text!r}",
                    key="action_items.state",
                    line=line,
                    expected="'open', 'done' or 'declined'",
                ) from None
            yield self.item(title.strip(), state, fields, line, created_at, url, "action_items.")

    def item(
        self,
        title: str,
        state: ActionItemState,
        fields: Mapping[str, Any],
        line: int | None,
        created_at: datetime,
        url: str | None,
        prefix: str,
    ) -> ActionItem:
        for key in ("team", "reason", "id"):
            if key in fields and (not isinstance(fields[key], str) or not fields[key].strip()):
                raise self.fail("must be a non-empty string", key=prefix + key, line=line)
        due = None
        if "due" in fields:
            try:
                due = _date(fields["due"])
            except ValueError as error:
                raise self.fail(str(error), key=prefix + "due", line=line) from None
        if "reason" in fields and state is not ActionItemState.DECLINED:
            raise self.fail(
                "only declined items have a reason",
                key=prefix + "reason",
                line=line,
                expected="'[-]' or state = \"declined\" with a reason",
            )
        closed_at = None
        if "closed" in fields:
            if state is ActionItemState.OPEN:
                raise self.fail(
                    "an open item has no closing time",
                    key=prefix + "closed",
                    line=line,
                    expected="'[x]' or '[-]' (state \"done\" or \"declined\") with a closing date",
                )
            try:
                closed_at = _instant(fields["closed"])
            except ValueError as error:
                raise self.fail(str(error), key=prefix + "closed", line=line) from None
        fixes = (self.fix(fields["fix"], prefix + "fix", line),) if "fix" in fields else ()
        return ActionItem(
            id=self.item_id(fields.get("id"), title, line),
            title=title,
            state=state,
            created_at=created_at,
            url=url,
            due=due,
            team=fields.get("team"),
            reason=fields.get("reason"),
            closed_at=closed_at,
            line=line,
            fixes=fixes,
        )

    def fix(self, value: Any, key: str, line: int | None) -> Fix:
        """A ``fix``: a commit sha, or the web address of a pull request, merge request or
        commit. A request's merge commit is not in the file, so only a sha can be followed."""
        text = value.strip() if isinstance(value, str) else ""
        if COMMIT_NAME.fullmatch(text):
            return Fix(ref=text[:7], sha=text.lower())
        found = _CHANGE_URL.fullmatch(text)
        if found is None:
            raise self.fail(
                f"not a commit sha or a change's URL: {value!r:.60}",
                key=key,
                line=line,
                expected="a commit sha (7 to 64 hex digits), or a pull request, merge request "
                "or commit URL",
            )
        name = found.group("name")
        if found.group("pull"):
            return Fix(ref=f"PR #{name}", url=text)
        if found.group("merge"):
            return Fix(ref=f"!{name}", url=text)
        return Fix(ref=name[:7], url=text, sha=name.lower())

    def task_items(self, created_at: datetime, url: str | None) -> Iterator[ActionItem]:
        for number, line in lines_outside_code(self.document.body, self.document.body_start):
            found = task(line)
            if found is None:
                continue
            marker, text = found
            title, fields = self.inline_attributes(text, number)
            if not title:
                raise self.fail(
                    "task has no text",
                    line=number,
                    expected="'- [ ] what to do (due: YYYY-MM-DD, team: NAME)'",
                )
            state = _MARKERS[marker.lower()]
            yield self.item(title, state, fields, number, created_at, url, "")

    def inline_attributes(self, text: str, line: int) -> tuple[str, dict[str, str]]:
        """Split ``title (due: 2026-10-01, team: payments)`` into title and attributes.

        A trailing parenthesis whose first part is not a known ``key:`` is
        ordinary title text, so "Fix the cache (again)" stays whole.
        """
        match = _TRAILING_ATTRIBUTES.search(text)
        if match is None:
            return text.strip(), {}
        parts = [part.strip() for part in match.group(1).split(",")]
        first_key = parts[0].partition(":")[0].strip().lower()
        if first_key not in _INLINE_KEYS:
            self.refuse_a_date_without_colon(parts[0], line)
            return text.strip(), {}
        fields: dict[str, str] = {}
        for part in parts:
            key, colon, value = part.partition(":")
            key = key.strip().lower()
            if not colon or key not in _INLINE_KEYS:
                raise self.fail(
                    f"unknown attribute {part!r}{did_you_mean(key, _INLINE_KEYS)}",
                    line=line,
                    expected="'key: value' pairs with keys " + ", ".join(_INLINE_KEYS),
                )
            fields[key] = value.strip()
        return text[: match.start()].strip(), fields

    def refuse_a_date_without_colon(self, part: str, line: int) -> None:
        """``(due 2026-12-01)`` is a due date missing its colon, not title text: read as a
        title it would leave the item without a due date, so it could never be overdue.
        Only a date key followed by a digit is refused; "(due to load)" is a title."""
        words = part.split(None, 1)
        if len(words) == 2 and words[0].lower() in _DATE_KEYS and words[1][:1].isdigit():
            key, value = words[0].lower(), words[1].strip()
            raise self.fail(
                f"attribute {part!r} has no colon, so it would be read as the title",
                line=line,
                expected=f"'({key}: {value})'",
            )


def is_postmortem_file(path: Path) -> bool:
    """Markdown files count, except README.md and names starting with ``_`` (templates)."""
    return path.suffix == ".md" and path.name not in SKIPPED_NAMES and not path.name.startswith("_")


def parse_postmortem(path: Path, content: bytes, postmortem_id: str) -> Postmortem:
    """Parse one postmortem file; ``postmortem_id`` is its path relative to the root."""
    document = _split(path, decode_utf8(content, path))
    return _Parser(document, postmortem_id).parse(title_fallback=path.stem)
