"""Find, load and validate ``deploygate.toml`` or ``[tool.deploygate]`` in ``pyproject.toml``.

Every mistake is a :class:`ConfigError` that names the file, the line and
the key, and suggests the closest valid key: a gate that ignores a typo in
its own policy would enforce something nobody wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from deploygate import toml
from deploygate.dates import DURATION_FORM, format_duration, parse_duration
from deploygate.errors import ConfigError, OnError, decode_utf8, did_you_mean
from deploygate.model import Level, RuleId, Waiver
from deploygate.rules import (
    DEFAULT_LEVELS,
    INFORMATIONAL_RULES,
    RULE_HELP,
    RULE_OPTIONS,
    Policy,
    PolicyOption,
)
from deploygate.sanitize import terminal
from deploygate.sources import SOURCES, TRACKERS
from deploygate.sources.local import LocalSettings

DEFAULT_POLICY = Policy()
CONFIG_NAME = "deploygate.toml"
PYPROJECT_NAME = "pyproject.toml"
DEFAULT_POSTMORTEMS = "postmortems"
DEFAULT_HISTORY = ".deploygate/deployments.jsonl"
LEVEL_FORM = "one of 'off', 'notice', 'warning', 'error'"

_TOP_KEYS = (
    "source",
    "lookback",
    "link-window",
    "strict",
    "on-error",
    "local",
    "rules",
    "environments",
    "github",
    "gitlab",
    "services",
    "waivers",
    "jira",
    "rollbacks",
    "lessons-headings",
)
_LOCAL_KEYS = ("postmortems", "history")
_GITHUB_KEYS = (
    "repository",
    "postmortem-repository",
    "postmortem-labels",
    "service-label",
    "team-label",
    "cause-label",
    "token-env",
    "api-url",
    "graphql-url",
    "deadline",
)
_GITLAB_KEYS = (
    "url",
    "project",
    "postmortem-project",
    "postmortem-labels",
    "incidents",
    "service-label",
    "team-label",
    "cause-label",
    "declined-labels",
    "token-env",
    "deadline",
)
_SERVICE_KEYS = ("environments", "workflow", "job", "branch")
_JIRA_KEYS = (
    "url",
    "browse-url",
    "projects",
    "jql",
    "postmortem-label",
    "team-field",
    "declined-resolutions",
    "email-env",
    "token-env",
    "deadline",
)
_ROLLBACK_KEYS = ("detect", "window")
DEFAULT_JQL = (
    'project in ({projects}) AND labels = "{postmortem_label}" '
    'AND (component = "{service}" OR labels = "service:{service}")'
)
"""The Jira query for a service's action items; ``{projects}``, ``{postmortem_label}``
and ``{service}`` are filled in (quoted for JQL) before it is sent."""
DEFAULT_JQL_BY_LABEL = (
    'project in ({projects}) AND labels = "{postmortem_label}" AND labels = "service:{service}"'
)
"""The default query without its component clause: Jira refuses a whole query that names
a component the project does not have, so a team without one still gets its items."""
_JQL_FIELDS = ("projects", "postmortem_label", "service")
_WAIVER_KEYS = ("finding", "rule", "subject", "reason", "expires", "team")
MAX_WAIVER_DAYS = 90
"""A waiver expires at most this many days after the check: accepted risks get revisited."""
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
REPOSITORY_FORM = "OWNER/NAME, e.g. acme/shop"
SOURCES_FORM = (
    "one of " + ", ".join(repr(name) for name in SOURCES) + ", or a list of them such as "
    "['github', 'jira']"
)
_ENVIRONMENT_KEYS = ("rules",)
_RULE_NAMES = tuple(rule.value for rule in RuleId)
_LEVELS: Mapping[str, Level | None] = {"off": None} | {level.label: level for level in Level}
_INFORMATIONAL_LEVELS: Mapping[str, Level | None] = {"off": None, "notice": Level.NOTICE}
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
# The first part of a plain, quoted or dotted key ("rules.open-action-item = ...").
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*[=.]""")


@dataclass(frozen=True, slots=True)
class RuleOverride:
    """What one config table says about one rule: a level, options, or both."""

    level: Level | None = None
    level_set: bool = False
    """Whether ``level`` was written; ``None`` with this set means "off"."""
    options: Mapping[str, timedelta] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GitHubConfig:
    """The ``[github]`` table. Unset values fall back to the Actions environment."""

    repository: str | None = None
    postmortem_repository: str | None = None
    postmortem_labels: tuple[str, ...] = ("postmortem",)
    service_label: str = "service:{service}"
    team_label: str = "team:{team}"
    cause_label: str = "cause:{cause}"
    token_env: str = "GITHUB_TOKEN"
    api_url: str | None = None
    graphql_url: str | None = None
    deadline: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class GitLabConfig:
    """The ``[gitlab]`` table. Unset values fall back to the GitLab CI variables."""

    url: str | None = None
    project: str | None = None
    postmortem_project: str | None = None
    postmortem_labels: tuple[str, ...] = ("postmortem",)
    incidents: bool = True
    service_label: str = "service::{service}"
    team_label: str = "team::{team}"
    cause_label: str = "cause::{cause}"
    declined_labels: tuple[str, ...] = ("wontfix", "won't do", "duplicate", "declined")
    token_env: str = "GITLAB_TOKEN"
    deadline: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class JiraConfig:
    """The ``[jira]`` table: where action items live when a team tracks them in Jira.

    Jira Cloud authenticates with an account's email and an API token (basic
    auth); Jira Data Center with a personal access token (bearer). Which one
    is used follows from whether the email variable is set.
    """

    url: str | None = None
    """The site, e.g. https://acme.atlassian.net; required when the jira source is used."""
    browse_url: str | None = None
    """Where people open issues, when ``url`` is not it: Atlassian's API gateway
    (https://api.atlassian.com/ex/jira/CLOUD_ID, for scoped API tokens) serves the API
    but no issue pages. Default: ``url``."""
    projects: tuple[str, ...] = ()
    """Project keys (``OPS``): only keys of these projects in a postmortem are Jira items,
    so ``SHA-256`` or ``UTF-8`` in prose is never taken for one."""
    jql: str = DEFAULT_JQL
    postmortem_label: str = "postmortem"
    team_field: str = "components"
    """Where an item's owning team is: ``components`` (the first component's name), or a
    field id such as ``customfield_10001`` (a team, select, or text field)."""
    declined_resolutions: tuple[str, ...] = ("won't do", "won't fix", "duplicate", "declined")
    """Resolutions (lower case) that mark a done item as decided against, not done."""
    email_env: str = "JIRA_EMAIL"
    token_env: str = "JIRA_API_TOKEN"
    deadline: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class RollbackConfig:
    """The ``[rollbacks]`` table: whether a rolled-back deployment counts as failed."""

    detect: bool = True
    window: timedelta = timedelta(hours=24)
    """How soon an older version must follow a deployment for it to count as rolled back."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """One ``[services.NAME]`` table."""

    environments: tuple[str, ...] = ()
    """Its deployment environments; empty means every environment."""
    workflow: str | None = None
    """GitHub: the deploy workflow's file (``deploy.yml``) whose runs are this service's
    deployments, for teams that do not record GitHub deployments."""
    job: str | None = None
    """The deploying job's name: in that workflow (GitHub), or in the project's
    pipelines (GitLab), whose runs are then the deployments."""
    branch: str | None = None
    """The branch deploys run from; default: the repository's default branch."""


@dataclass(frozen=True, slots=True)
class Config:
    """A validated configuration, with paths already resolved against its file."""

    path: Path | None
    """The file it came from; None when no file was found and defaults apply."""
    local: LocalSettings
    source: tuple[str, ...] = ("local",)
    """The sources, in order: each contributes what it knows; a tracker (jira) adds
    action items to the postmortems the others found."""
    lookback: timedelta = DEFAULT_POLICY.lookback
    link_window: timedelta = DEFAULT_POLICY.link_window
    lessons_headings: tuple[str, ...] = DEFAULT_POLICY.lessons_headings
    strict: bool = False
    on_error: OnError = OnError.FAIL
    rules: Mapping[RuleId, RuleOverride] = field(default_factory=dict)
    environments: Mapping[str, Mapping[RuleId, RuleOverride]] = field(default_factory=dict)
    github: GitHubConfig = field(default_factory=GitHubConfig)
    gitlab: GitLabConfig = field(default_factory=GitLabConfig)
    jira: JiraConfig = field(default_factory=JiraConfig)
    rollbacks: RollbackConfig = field(default_factory=RollbackConfig)
    services: Mapping[str, ServiceConfig] = field(default_factory=dict)
    """Each ``[services.NAME]`` table."""
    waivers: tuple[tuple[Waiver, int | None], ...] = ()
    """Each ``[[waivers]]`` entry with its line, checked against the time of the check."""

    def check_waivers(self, now: datetime) -> None:
        """Every waiver expires at most 90 days after ``now``; a longer one is a config error."""
        latest = now.date() + timedelta(days=MAX_WAIVER_DAYS)
        for waiver, line in self.waivers:
            if waiver.expires > latest:
                raise ConfigError(
                    f"expires {waiver.expires.isoformat()}, more than {MAX_WAIVER_DAYS} days ahead",
                    path=self.path,
                    line=line,
                    field="waivers.expires",
                    expected=f"a date no later than {latest.isoformat()}",
                )

    def settings(
        self,
        environment: str | None,
        *,
        source: tuple[str, ...] | None = None,
        strict: bool | None = None,
        on_error: OnError | None = None,
    ) -> Settings:
        """What one run uses: the command line or environment where given, else this file."""
        return Settings(
            sources=source or self.source,
            policy=self.policy(environment, strict=strict),
            on_error=on_error or self.on_error,
        )

    def policy(self, environment: str | None, *, strict: bool | None = None) -> Policy:
        """The policy for one environment: defaults, then ``[rules]``, then its overrides."""
        levels = dict(DEFAULT_LEVELS)
        options: dict[PolicyOption, timedelta] = {}
        layers = [self.rules]
        if environment is not None and environment in self.environments:
            layers.append(self.environments[environment])
        for layer in layers:
            for rule, override in layer.items():
                if override.level_set:
                    levels[rule] = override.level
                for key, value in override.options.items():
                    options[RULE_OPTIONS[rule][key]] = value
        return Policy(
            waivers=tuple(waiver for waiver, _ in self.waivers),
            levels=levels,
            lookback=self.lookback,
            link_window=self.link_window,
            lessons_headings=self.lessons_headings,
            grace=options.get("grace", DEFAULT_POLICY.grace),
            max_age=options.get("max_age", DEFAULT_POLICY.max_age),
            strict=self.strict if strict is None else strict,
            rollback_window=self.rollbacks.window if self.rollbacks.detect else None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force for one run, after command line, environment and file."""

    sources: tuple[str, ...]
    policy: Policy
    on_error: OnError


def parse_sources(names: Iterable[object]) -> tuple[str, ...]:
    """Validate a list of source names: known, each once, and at least one with deployments.

    Raises ValueError with the problem; callers add where it was written.
    """
    found: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in SOURCES:
            hint = did_you_mean(name, tuple(SOURCES)) if isinstance(name, str) else ""
            raise ValueError(f"unknown source {name!r}{hint}")
        if name in found:
            raise ValueError(f"source {name!r} is named twice")
        found.append(name)
    if all(name in TRACKERS for name in found):
        raise ValueError(
            f"{' and '.join(found)} holds action items only; name a source of deployments too"
        )
    return tuple(found)


def default_config(root: Path) -> Config:
    """The configuration used when no file is found: local source under ``root``."""
    return Config(path=None, local=_local_settings({}, root, None))


def discover(start: Path) -> Path | None:
    """The nearest ``deploygate.toml``, or ``pyproject.toml`` with ``[tool.deploygate]``."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT_NAME
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[tool\.deploygate(\]|\.)", text, re.MULTILINE) is not None


def load(path: Path | None, cwd: Path) -> Config:
    """Load ``path``, or the file found from ``cwd`` upwards, or the defaults."""
    if path is None:
        path = discover(cwd)
        if path is None:
            return default_config(cwd)
    elif not path.is_file():
        raise ConfigError("config file not found", path=path, expected="an existing TOML file")
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", path=path) from None
    return parse(decode_utf8(content, path), path.resolve())


def parse(text: str, path: Path) -> Config:
    """Validate a config file's text; ``path`` names it in errors and anchors relative paths."""
    try:
        document = toml.parse(text)
    except toml.TomlError as error:
        raise ConfigError(f"not valid TOML: {error.message}", path=path, line=error.line) from None
    reader = _Reader(text, path, ())
    if path.name == PYPROJECT_NAME:
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise reader.error((), "tool", "must be a table", "a [tool] table")
        document = tool.get("deploygate", {})
        if not isinstance(document, dict):
            raise _Reader(text, path, ("tool",)).error(
                (), "deploygate", "must be a table", "a [tool.deploygate] table"
            )
        reader = _Reader(text, path, ("tool", "deploygate"))
    return reader.config(document)


def _local_settings(table: Mapping[str, Any], root: Path, reader: _Reader | None) -> LocalSettings:
    paths = {}
    for key, default in (("postmortems", DEFAULT_POSTMORTEMS), ("history", DEFAULT_HISTORY)):
        value = table.get(key, default)
        if reader is not None and (not isinstance(value, str) or not value.strip()):
            raise reader.error(
                ("local",),
                key,
                f"{value!r} is not a path",
                "a path relative to the config file, as a string",
            )
        resolved = root / value
        if key == "postmortems" and key in table and not resolved.is_dir() and reader is not None:
            raise reader.error(
                ("local",),
                key,
                f"folder {resolved} does not exist",
                "a folder of postmortem Markdown files, relative to the config",
            )
        paths[key] = resolved
    return LocalSettings(postmortems=paths["postmortems"], history=paths["history"], root=root)


class _Reader:
    """Validates one document; knows the text so that errors can name the line."""

    def __init__(self, text: str, path: Path, prefix: tuple[str, ...]) -> None:
        self.lines = toml.lines(text)
        self.path = path
        self.prefix = prefix

    def line_of(self, table: tuple[str, ...], key: str) -> int | None:
        """The line where ``key`` is set inside ``table``, or where that table starts.

        A key inside an inline table or a dotted key has no line of its own:
        then the line of the enclosing key is the one to edit.
        """
        wanted = (*self.prefix, *table)
        current: tuple[str, ...] = ()
        table_line = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                current = tuple(part.strip().strip("\"'") for part in header.group(1).split("."))
                if current == (*wanted, key):
                    return number
                if current == wanted:
                    table_line = number
                continue
            found = _KEY.match(line)
            if found and current == wanted and key in found.groups():
                return number
        if table_line is None and table:
            return self.line_of(table[:-1], table[-1])
        return table_line

    def error(
        self, table: tuple[str, ...], key: str, problem: str, expected: str | None = None
    ) -> ConfigError:
        return ConfigError(
            problem,
            path=self.path,
            line=self.line_of(table, key),
            field=".".join((*self.prefix, *table, key)),
            expected=expected,
        )

    def table(self, document: Any, table: tuple[str, ...], keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise self.error(table[:-1], table[-1], "must be a table", "a [table]")
        for key in document:
            if key not in keys:
                hint = did_you_mean(key, keys)
                raise self.error(table, key, f"unknown key{hint}", "one of " + ", ".join(keys))
        return document

    def duration(self, table: tuple[str, ...], key: str, value: Any) -> timedelta:
        if not isinstance(value, str):
            raise self.error(table, key, f"{value!r} is not a duration", DURATION_FORM)
        try:
            return parse_duration(value)
        except ValueError as error:
            raise self.error(table, key, str(error)) from None

    def choice(
        self, table: tuple[str, ...], key: str, value: Any, choices: Mapping[str, Any]
    ) -> Any:
        if isinstance(value, str) and value in choices:
            return choices[value]
        raise self.error(
            table,
            key,
            f"unknown value {value!r}",
            "one of " + ", ".join(repr(choice) for choice in choices),
        )

    def config(self, document: Mapping[str, Any]) -> Config:
        top = self.table(document, (), _TOP_KEYS)
        strict = top.get("strict", False)
        if not isinstance(strict, bool):
            raise self.error((), "strict", f"{strict!r} is not a boolean", "true or false")
        root = self.path.parent
        return Config(
            path=self.path,
            local=_local_settings(
                self.table(top.get("local", {}), ("local",), _LOCAL_KEYS), root, self
            ),
            source=self.sources(top.get("source", "local")),
            lookback=self.duration((), "lookback", top["lookback"])
            if "lookback" in top
            else DEFAULT_POLICY.lookback,
            link_window=self.duration((), "link-window", top["link-window"])
            if "link-window" in top
            else DEFAULT_POLICY.link_window,
            lessons_headings=self.texts((), "lessons-headings", top["lessons-headings"])
            if "lessons-headings" in top
            else DEFAULT_POLICY.lessons_headings,
            strict=strict,
            on_error=self.choice(
                (),
                "on-error",
                top.get("on-error", "fail"),
                {choice.value: choice for choice in OnError},
            ),
            rules=self.rules(top.get("rules", {}), ("rules",)),
            environments=self.environments(top.get("environments", {})),
            github=self.github(top.get("github", {})),
            gitlab=self.gitlab(top.get("gitlab", {})),
            services=self.services(top.get("services", {})),
            waivers=self.waivers(top.get("waivers", [])),
            jira=self.jira(top.get("jira", {})),
            rollbacks=self.rollbacks(top.get("rollbacks", {})),
        )

    def sources(self, value: Any) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise self.error(
                (), "source", f"{value!r} is not a source or a list of sources", SOURCES_FORM
            )
        try:
            return parse_sources(names)
        except ValueError as error:
            raise self.error((), "source", str(error), SOURCES_FORM) from None

    def field(
        self,
        where: tuple[str, ...],
        table: Mapping[str, Any],
        key: str,
        read: Callable[[tuple[str, ...], str, Any], Any],
        default: Any,
    ) -> Any:
        """``read`` the key's value when it is set, else ``default``."""
        return read(where, key, table[key]) if key in table else default

    def boolean(self, table: tuple[str, ...], key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.error(table, key, f"{value!r} is not a boolean", "true or false")
        return value

    def jira(self, document: Any) -> JiraConfig:
        where = ("jira",)
        table = self.table(document, where, _JIRA_KEYS)
        defaults = JiraConfig()

        def get(key: str, read: Callable[[tuple[str, ...], str, Any], Any], default: Any) -> Any:
            return self.field(where, table, key, read, default)

        projects = get("projects", self.texts, ())
        for project in projects:
            if not re.fullmatch(r"[A-Z][A-Z0-9_]+", project):
                raise self.error(
                    where, "projects", f"{project!r} is not a Jira project key", "e.g. OPS"
                )
        return JiraConfig(
            url=get("url", self.expecting("the site URL, e.g. https://acme.atlassian.net"), None),
            browse_url=get(
                "browse-url", self.expecting("the site URL, e.g. https://acme.atlassian.net"), None
            ),
            projects=projects,
            jql=get("jql", self.jql, defaults.jql),
            postmortem_label=get(
                "postmortem-label", self.expecting("a label"), defaults.postmortem_label
            ),
            team_field=get(
                "team-field", self.expecting("components, or a field id"), defaults.team_field
            ),
            declined_resolutions=get(
                "declined-resolutions", self.lower_texts, defaults.declined_resolutions
            ),
            email_env=get("email-env", self.expecting("a variable name"), defaults.email_env),
            token_env=get("token-env", self.expecting("a variable name"), defaults.token_env),
            deadline=get("deadline", self.duration, defaults.deadline),
        )

    def jql(self, table: tuple[str, ...], key: str, value: Any) -> str:
        text = self.text(table, key, value, "a JQL query with {service}")
        try:
            text.format_map(dict.fromkeys(_JQL_FIELDS, ""))
        except (KeyError, ValueError, IndexError) as error:
            among = "{" + "}, {".join(_JQL_FIELDS) + "}"
            raise self.error(
                table, key, f"bad placeholder {error}",
                f"placeholders among {among}; double braces for a literal",
            ) from None  # fmt: skip
        if "{service}" not in text:
            raise self.error(
                table, key, "the query never names {service}", "a JQL query with {service}"
            )
        return text

    def rollbacks(self, document: Any) -> RollbackConfig:
        where = ("rollbacks",)
        table = self.table(document, where, _ROLLBACK_KEYS)
        defaults = RollbackConfig()
        return RollbackConfig(
            detect=self.field(where, table, "detect", self.boolean, defaults.detect),
            window=self.field(where, table, "window", self.duration, defaults.window),
        )

    def waivers(self, document: Any) -> tuple[tuple[Waiver, int | None], ...]:
        if not isinstance(document, list):
            raise self.error((), "waivers", "must be an array of tables", "[[waivers]] entries")
        found = []
        for index, entry in enumerate(document):
            line = self.nth_line("waivers", index)
            where = ("waivers",)
            if not isinstance(entry, dict):
                raise ConfigError("must be a table", path=self.path, line=line, field="waivers")
            for key in entry:
                if key not in _WAIVER_KEYS:
                    raise ConfigError(
                        f"unknown key{did_you_mean(key, _WAIVER_KEYS)}", path=self.path,
                        line=line, field=f"waivers.{key}", expected=", ".join(_WAIVER_KEYS),
                    )  # fmt: skip
            missing = [key for key in ("reason", "expires", "team") if key not in entry]
            if missing:
                raise ConfigError(
                    f"a waiver needs {', '.join(missing)}", path=self.path, line=line,
                    field=f"waivers.{missing[0]}",
                    expected="reason, expires (a date at most 90 days ahead) and team",
                )  # fmt: skip
            by_fingerprint = "finding" in entry
            if by_fingerprint == ("rule" in entry or "subject" in entry) or (
                not by_fingerprint and not ("rule" in entry and "subject" in entry)
            ):
                raise ConfigError(
                    "name one finding", path=self.path, line=line, field="waivers",
                    expected="finding = FINGERPRINT, or rule = RULE-ID with subject = ID",
                )  # fmt: skip
            expires = entry["expires"]
            if not isinstance(expires, date) or isinstance(expires, datetime):
                # TOML values, as the user wrote them: a datetime is '2026-12-01T10:00:00Z'.
                shown = expires.isoformat() if isinstance(expires, date) else repr(expires)
                raise ConfigError(
                    f"{shown} is not a date (a waiver holds through whole days)",
                    path=self.path, line=line,
                    field="waivers.expires", expected="a TOML date such as 2027-01-31",
                )  # fmt: skip
            rule = None
            if "rule" in entry:
                rule = self.choice(where, "rule", entry["rule"], {r.value: r for r in RuleId})
            waiver = Waiver(
                reason=self.text(where, "reason", entry["reason"], "why the risk is accepted"),
                expires=expires,
                team=self.text(where, "team", entry["team"], "the team that accepts the risk"),
                fingerprint=self.text(where, "finding", entry["finding"], "a fingerprint")
                if by_fingerprint
                else None,
                rule=rule,
                subject=None
                if by_fingerprint
                else self.text(where, "subject", entry["subject"], "a deployment or item id"),
            )
            found.append((waiver, line))
        return tuple(found)

    def nth_line(self, array: str, index: int) -> int | None:
        """The line of the ``index``-th ``[[array]]`` header."""
        headers = [
            number
            for number, line in enumerate(self.lines, start=1)
            if re.match(rf"^\s*\[\[\s*{re.escape('.'.join((*self.prefix, array)))}\s*\]\]", line)
        ]
        return headers[index] if index < len(headers) else None

    def text(self, table: tuple[str, ...], key: str, value: Any, expected: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(table, key, f"{value!r} is not a non-empty string", expected)
        return value.strip()

    def texts(self, table: tuple[str, ...], key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.error(
                table, key, f"{value!r} is not a list", 'a list of strings, e.g. ["a"]'
            )
        return tuple(self.text(table, key, item, "a list of strings") for item in value)

    def repository(self, table: tuple[str, ...], key: str, value: Any) -> str:
        text = self.text(table, key, value, REPOSITORY_FORM)
        if not _REPOSITORY.match(text):
            raise self.error(table, key, f"{text!r} is not a repository", REPOSITORY_FORM)
        return text

    def template(self, name: str) -> Callable[[tuple[str, ...], str, Any], str]:
        """A reader of a label template that ends with ``{name}``."""

        def read(table: tuple[str, ...], key: str, value: Any) -> str:
            text = self.text(
                table, key, value, f"a label with {{{name}}}, e.g. '{name}:{{{name}}}'"
            )
            if text.count(f"{{{name}}}") != 1 or not text.endswith(f"{{{name}}}"):
                raise self.error(
                    table, key, f"{text!r} must end with {{{name}}}", f"e.g. '{name}:{{{name}}}'"
                )
            return text

        return read

    def expecting(self, expected: str) -> Callable[[tuple[str, ...], str, Any], str]:
        """A reader of a non-empty string; ``expected`` says what it should be."""
        return lambda table, key, value: self.text(table, key, value, expected)

    def lower_texts(self, table: tuple[str, ...], key: str, value: Any) -> tuple[str, ...]:
        return tuple(item.lower() for item in self.texts(table, key, value))

    def github(self, document: Any) -> GitHubConfig:
        where = ("github",)
        table = self.table(document, where, _GITHUB_KEYS)
        defaults = GitHubConfig()

        def get(key: str, read: Callable[[tuple[str, ...], str, Any], Any], default: Any) -> Any:
            return self.field(where, table, key, read, default)

        return GitHubConfig(
            repository=get("repository", self.repository, None),
            postmortem_repository=get("postmortem-repository", self.repository, None),
            postmortem_labels=get("postmortem-labels", self.texts, defaults.postmortem_labels),
            service_label=get("service-label", self.template("service"), defaults.service_label),
            team_label=get("team-label", self.template("team"), defaults.team_label),
            cause_label=get("cause-label", self.template("cause"), defaults.cause_label),
            token_env=get("token-env", self.expecting("a variable name"), defaults.token_env),
            api_url=get("api-url", self.expecting("a URL"), None),
            graphql_url=get("graphql-url", self.expecting("a URL"), None),
            deadline=get("deadline", self.duration, defaults.deadline),
        )

    def gitlab(self, document: Any) -> GitLabConfig:
        where = ("gitlab",)
        table = self.table(document, where, _GITLAB_KEYS)
        defaults = GitLabConfig()

        def get(key: str, read: Callable[[tuple[str, ...], str, Any], Any], default: Any) -> Any:
            return self.field(where, table, key, read, default)

        project = self.expecting("GROUP/NAME or a numeric id")
        return GitLabConfig(
            url=get("url", self.expecting("the server URL, e.g. https://gitlab.example.com"), None),
            project=get("project", project, None),
            postmortem_project=get("postmortem-project", project, None),
            postmortem_labels=get("postmortem-labels", self.texts, defaults.postmortem_labels),
            incidents=get("incidents", self.boolean, defaults.incidents),
            service_label=get("service-label", self.template("service"), defaults.service_label),
            team_label=get("team-label", self.template("team"), defaults.team_label),
            cause_label=get("cause-label", self.template("cause"), defaults.cause_label),
            declined_labels=get("declined-labels", self.lower_texts, defaults.declined_labels),
            token_env=get("token-env", self.expecting("a variable name"), defaults.token_env),
            deadline=get("deadline", self.duration, defaults.deadline),
        )

    def services(self, document: Any) -> dict[str, ServiceConfig]:
        if not isinstance(document, dict):
            raise self.error((), "services", "must be a table", "[services.NAME] tables")
        services = {}
        for name, table in document.items():
            where = ("services", name)
            checked = self.table(table, where, _SERVICE_KEYS)

            services[name] = ServiceConfig(
                environments=self.field(where, checked, "environments", self.texts, ()),
                workflow=self.field(
                    where,
                    checked,
                    "workflow",
                    self.expecting("a workflow file, e.g. deploy.yml"),
                    None,
                ),
                job=self.field(
                    where, checked, "job", self.expecting("the deploy job's name"), None
                ),
                branch=self.field(where, checked, "branch", self.expecting("a branch name"), None),
            )
        return services

    def environments(self, document: Any) -> dict[str, Mapping[RuleId, RuleOverride]]:
        if not isinstance(document, dict):
            raise self.error((), "environments", "must be a table", "[environments.NAME.rules]")
        result: dict[str, Mapping[RuleId, RuleOverride]] = {}
        for name, table in document.items():
            checked = self.table(table, ("environments", name), _ENVIRONMENT_KEYS)
            result[name] = self.rules(checked.get("rules", {}), ("environments", name, "rules"))
        return result

    def rules(self, document: Any, table: tuple[str, ...]) -> dict[RuleId, RuleOverride]:
        checked = self.table(document, table, _RULE_NAMES)
        return {
            RuleId(name): self.rule(RuleId(name), value, table) for name, value in checked.items()
        }

    def level(self, table: tuple[str, ...], key: str, rule: RuleId, value: Any) -> Level | None:
        choices = _INFORMATIONAL_LEVELS if rule in INFORMATIONAL_RULES else _LEVELS
        level: Level | None = self.choice(table, key, value, choices)
        return level

    def rule(self, rule: RuleId, value: Any, table: tuple[str, ...]) -> RuleOverride:
        if isinstance(value, str):
            return RuleOverride(level=self.level(table, rule.value, rule, value), level_set=True)
        options = RULE_OPTIONS.get(rule, {})
        keys = ("level", *options)
        if not isinstance(value, dict):
            raise self.error(
                table,
                rule.value,
                f"{value!r} is not a level or a table",
                f"{LEVEL_FORM}, or a table with " + ", ".join(keys),
            )
        inner = (*table, rule.value)
        checked = self.table(value, inner, keys)
        return RuleOverride(
            level=self.level(inner, "level", rule, checked["level"])
            if "level" in checked
            else None,
            level_set="level" in checked,
            options={
                key: self.duration(inner, key, checked[key]) for key in options if key in checked
            },
        )


def explain(config: Config, settings: Settings, environment: str | None) -> str:
    """What the configuration means for one environment, as a person reads it.

    Every value is passed through :func:`terminal`, so a path or key holding a
    line break cannot print a line of its own.
    """
    policy = settings.policy
    facts = [
        ("config file", str(config.path) if config.path else "none found; using defaults"),
        ("sources", ", ".join(settings.sources)),
        ("postmortems", str(config.local.postmortems)),
        ("history", str(config.local.history)),
        ("lookback", format_duration(policy.lookback)),
        ("link window", format_duration(policy.link_window)),
        ("lessons under", ", ".join(policy.lessons_headings)),
        ("strict", "yes: warnings block" if policy.strict else "no: only errors block"),
        ("on error", settings.on_error.value),
        ("environment", environment or "all (no --environment given)"),
        ("overrides for", ", ".join(sorted(config.environments)) or "no environment"),
        (
            "rollbacks",
            f"a deployment replaced by an older version within "
            f"{format_duration(policy.rollback_window)} counts as failed"
            if policy.rollback_window is not None
            else "not detected ([rollbacks] detect = false)",
        ),
    ]
    for name, service in sorted(config.services.items()):
        history = (
            f"runs of job {service.job}"
            + (f" in workflow {service.workflow}" if service.workflow else "")
            if service.job
            else f"runs of workflow {service.workflow}"
            if service.workflow
            else "deployment records"
        )
        branch = f" on {service.branch}" if service.branch else ""
        where = ", ".join(service.environments) or "every environment"
        facts.append((f"service {name}", f"{history}{branch}; {where}"))
    if "github" in settings.sources:
        github = config.github
        facts += [
            ("repository", github.repository or "--repo, or GITHUB_REPOSITORY"),
            ("postmortems in", github.postmortem_repository or "the same repository"),
            (
                "labels",
                f"{', '.join(github.postmortem_labels)}; {github.service_label}; "
                f"{github.team_label}",
            ),
            ("token from", f"{github.token_env} (or gh auth token outside CI)"),
        ]
    if "jira" in settings.sources:
        jira = config.jira
        facts += [
            ("jira site", jira.url or "not set: [jira] url is required"),
            ("jira projects", ", ".join(jira.projects) or "none: set [jira] projects"),
            ("jira query", jira.jql),
            (
                "jira auth",
                f"{jira.email_env} and {jira.token_env} (Cloud), or {jira.token_env} alone "
                "(Data Center)",
            ),
        ]
    lines = [f"{name + ':':<15} {terminal(value)}" for name, value in facts]
    lines.append("rules:")
    for rule in RuleId:
        level = policy.levels[rule]
        option_text = "".join(
            f", {key} {format_duration(getattr(policy, name))}"
            for key, name in RULE_OPTIONS.get(rule, {}).items()
        )
        state = level.label if level else "off"
        lines.append(f"  {rule.value:<22} {state:<8} {RULE_HELP[rule]}{option_text}")
    lines.append("The configuration is valid.")
    return "\n".join(lines)


_GITHUB_STARTER = """
[github]
# Read by default from GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_GRAPHQL_URL
# inside Actions; the token comes from GITHUB_TOKEN (or `gh auth token`).
# repository = "OWNER/NAME"
# postmortem-repository = "OWNER/incidents"   # where postmortem issues live
postmortem-labels = ["postmortem"]
service-label = "service:{service}"          # a postmortem without one is for every service
team-label = "team:{team}"                   # the team that owns an action item
deadline = "60s"

# Each service's deployment environments; --environment picks one.
# [services.checkout]
# environments = ["production"]
"""


def starter_config(platform: str | None, evidence: str | None) -> str:
    """A commented ``deploygate.toml``: GitHub's source when GitHub was detected, else local."""
    source = "github" if platform == "github" else "local"
    detected = (
        f"# Detected {platform} ({terminal(evidence or '')}).\n"
        if platform
        else "# No GitHub or GitLab detected.\n"
    )
    return f"""\
# deploygate configuration. Check it with: deploygate config
{detected}
# Where history comes from: "local" (Markdown postmortems and `deploygate record`),
# "github" (deployments, postmortem issues and their sub-issues) or "gitlab"; or a
# list that adds Jira action items, e.g. ["github", "jira"] (see the README).
source = "{source}"

# How far back failed deployments count, and how long after a failure a
# postmortem of the same service is taken to review it when it does not
# reference the deployment.
lookback = "{format_duration(DEFAULT_POLICY.lookback)}"
link-window = "{format_duration(DEFAULT_POLICY.link_window)}"

# The headings of a postmortem's lessons section, quoted in the lessons digest.
# lessons-headings = ["Lessons", "Lessons learned", "What we learned", "What we learnt"]

# Warnings block too when true; on-error = "warn" lets a deploy through
# (exit 0, loudly NOT VERIFIED) when a source cannot be read.
strict = false
on-error = "fail"

[local]
# Postmortems as Markdown files with TOML front matter, and the history that
# `deploygate record` appends to. Paths are relative to this file; these are
# the defaults. A postmortems folder named here must exist.
# postmortems = "{DEFAULT_POSTMORTEMS}"
# history = "{DEFAULT_HISTORY}"
{_GITHUB_STARTER if source == "github" else ""}
[rules]
# Levels: "off", "notice", "warning", "error". A table sets options too.
unreviewed-failure = {{ level = "warning", grace = "3d" }}
reviewed-failure = "notice"
open-action-item = "warning"
overdue-action-item = {{ level = "error", max-age = "30d" }}
declined-action-item = "notice"

# Per-environment overrides, e.g. be gentler before staging:
# [environments.staging.rules]
# overdue-action-item = "warning"

# A deployment replaced by an older version within the window counts as failed.
# [rollbacks]
# detect = true
# window = "24h"
"""
