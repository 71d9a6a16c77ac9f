"""Property tests: no config, postmortem or history content ends in a traceback.

Whatever a person writes, each parser returns its record or raises
:class:`InputError` naming the file, never anything else: anything else
would reach the CLI as an internal error (exit 4) instead of a usage error
(exit 2) that says what to fix.

Inputs that once broke the parsers are pinned by fixed-input tests (here and
in ``test_bad_input.py``) rather than left to chance: times next to year 1 or
9999, integers of over 4,300 digits, thousands of nested brackets, and keys
or paths holding line breaks. The strategies below keep to ordinary ranges
so that each run stays fast.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploygate import toml
from deploygate.config import Config, parse
from deploygate.errors import ConfigError, InputError
from deploygate.model import Deployment, Postmortem
from deploygate.sources import REGISTRY, SourceContext, check_sources
from deploygate.sources.local.postmortems import parse_postmortem
from deploygate.sources.local.store import HistoryStore

FUZZ = settings(max_examples=250, deadline=None)

# --- where the files live --------------------------------------------------------------


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixed folder, so relative paths in the config resolve the same way every time."""
    folder = tmp_path_factory.mktemp("fuzz").resolve()
    (folder / "postmortems").mkdir()
    return folder


# --- text ------------------------------------------------------------------------------

ANY_TEXT = st.characters(exclude_categories=("Cs",))
"""Any character Python can encode, control characters and line breaks included."""
ONE_LINE_TEXT = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"))
"""No character that ``str.splitlines`` breaks on, so a message built from it stays one line."""


@functools.cache
def words(alphabet: st.SearchStrategy[str], max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, max_size=max_size)


# --- a small TOML writer, so that structured documents are valid TOML ------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    return str(value.isoformat())  # datetime.time


def toml_document(document: dict[str, Any], headers: bool) -> str:
    """TOML for ``document``: tables as ``[headers]`` or all inline, as a person might write."""
    lines: list[str] = []

    def emit(table: dict[str, Any], path: tuple[str, ...]) -> None:
        later: list[tuple[str, Any, bool]] = []
        for key, value in table.items():
            if headers and isinstance(value, dict):
                later.append((key, value, False))
            elif (
                headers
                and isinstance(value, list)
                and value
                and all(isinstance(entry, dict) for entry in value)
            ):
                later.append((key, value, True))
            else:
                lines.append(f"{toml_key(key)} = {toml_value(value)}")
        for key, value, is_array in later:
            name = ".".join(toml_key(part) for part in (*path, key))
            for entry in value if is_array else [value]:
                lines.append(f"[[{name}]]" if is_array else f"[{name}]")
                emit(entry, (*path, key))

    emit(document, ())
    return "\n".join(lines) + "\n"


# --- values ----------------------------------------------------------------------------

TIMEZONES = st.none() | st.sampled_from(
    [timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
DATETIMES = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31), timezones=TIMEZONES
)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
PLAUSIBLE = st.sampled_from(
    [
        "90d",
        "72h",
        "3d",
        "0d",
        "forever",
        "off",
        "notice",
        "warning",
        "error",
        "loud",
        "local",
        "github",
        "fail",
        "warn",
        "open",
        "closed",
        "done",
        "declined",
        "postmortems",
        "no-such-folder",
        "deployments.jsonl",
        "2026-09-14",
        "2026-09-14T10:20:00Z",
        "2026-13-45",
        "yes",
        "",
        " ",
    ]
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Pick a strategy in proportion to its weight.

    ``st.one_of(a, a, b)`` would not do: it draws each distinct branch equally often.
    """
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


@functools.cache
def scalars(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(),
        st.booleans(),
        PLAUSIBLE,
        words(alphabet),
        DATES,
        DATETIMES,
        st.times(),
    )


@functools.cache
def keys(real: tuple[str, ...], alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly the real keys, sometimes a near miss or junk."""
    real_key = st.sampled_from(real)
    typo = real_key.map(lambda key: key[:-1] or "x")
    return weighted((3, real_key), (1, typo), (1, words(alphabet, 8).filter(bool)))


@functools.cache
def values(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    junk_keys = st.one_of(PLAUSIBLE, words(alphabet, 8))
    return st.recursive(
        scalars(alphabet),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(junk_keys, children, max_size=3)
        ),
        max_leaves=8,
    )


@functools.cache
def maybe(
    right: st.SearchStrategy[Any], alphabet: st.SearchStrategy[str]
) -> st.SearchStrategy[Any]:
    """Usually a value of the right kind, sometimes any value at all."""
    return weighted((6, right), (1, values(alphabet)))


def rarely(
    key: st.SearchStrategy[str], value: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """One extra, probably wrong, key in one table out of four; none in the others."""
    return weighted((3, st.just({})), (1, st.dictionaries(key, value, min_size=1, max_size=1)))


def _without(pair: tuple[dict[str, Any], str]) -> dict[str, Any]:
    table, missing = pair
    return {key: value for key, value in table.items() if key != missing}


def sometimes_missing(
    table: st.SearchStrategy[dict[str, Any]], required: tuple[str, ...]
) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly ``table`` whole; one time in ten without one of its ``required`` keys."""
    return weighted((9, table), (1, st.tuples(table, st.sampled_from(required)).map(_without)))


def merged(
    known: st.SearchStrategy[dict[str, Any]], extra: st.SearchStrategy[dict[str, Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda a, b: {**a, **b}, known, extra)


# --- config documents ------------------------------------------------------------------

TOP_KEYS = (
    "source",
    "lookback",
    "link-window",
    "strict",
    "on-error",
    "local",
    "rules",
    "environments",
)
RULE_NAMES = (
    "unreviewed-failure",
    "reviewed-failure",
    "open-action-item",
    "overdue-action-item",
    "declined-action-item",
)
LEVELS = st.sampled_from(["off", "notice", "warning", "error", "loud", "Error"])
DURATIONS = st.one_of(
    st.sampled_from(["90d", "72h", "30m", "2w", "1s", "ninety days", "90", "-1d", "90 d"]),
    st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 9999), st.sampled_from("smhdwy")),
)


@functools.cache
def config_documents(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    rule_table = merged(
        st.fixed_dictionaries(
            {},
            optional={
                "level": maybe(LEVELS, alphabet),
                "grace": maybe(DURATIONS, alphabet),
                "max-age": maybe(DURATIONS, alphabet),
            },
        ),
        rarely(keys(("level", "grace", "max-age"), alphabet), values(alphabet)),
    )
    rules = st.dictionaries(
        keys(RULE_NAMES, alphabet), st.one_of(LEVELS, rule_table, values(alphabet)), max_size=4
    )
    local = merged(
        st.fixed_dictionaries(
            {},
            optional={
                "postmortems": maybe(st.sampled_from(["postmortems", ".", "missing"]), alphabet),
                "history": maybe(st.sampled_from(["deployments.jsonl", "a/b.jsonl"]), alphabet),
            },
        ),
        rarely(keys(("postmortems", "history"), alphabet), values(alphabet)),
    )
    environment = st.dictionaries(keys(("rules",), alphabet), maybe(rules, alphabet), max_size=2)
    known = st.fixed_dictionaries(
        {},
        optional={
            "source": maybe(weighted((4, st.just("local")), (1, st.just("github"))), alphabet),
            "lookback": maybe(DURATIONS, alphabet),
            "link-window": maybe(DURATIONS, alphabet),
            "strict": maybe(st.booleans(), alphabet),
            "on-error": maybe(st.sampled_from(["fail", "warn", "maybe"]), alphabet),
            "local": maybe(local, alphabet),
            "rules": maybe(rules, alphabet),
            "environments": maybe(
                st.dictionaries(
                    st.sampled_from(["staging", "production"]) | words(alphabet, 6),
                    maybe(environment, alphabet),
                    max_size=2,
                ),
                alphabet,
            ),
        },
    )
    extra = rarely(keys(TOP_KEYS, alphabet), values(alphabet))
    return merged(known, extra)


CONFIG_LINES = st.sampled_from(
    [
        'source = "local"',
        'lookback = "90d"',
        'lookbak = "90d"',
        'link-window = "72h"',
        "strict = false",
        'strict = "yes"',
        'on-error = "warn"',
        "[local]",
        'postmortems = "postmortems"',
        'history = "deployments.jsonl"',
        "[rules]",
        'unreviewed-failure = { level = "warning", grace = "3d" }',
        'overdue-action-item = { level = "error", max-age = "30d" }',
        'open-action-item = "loud"',
        "[rules.overdue-action-item]",
        'level = "error"',
        "[environments.staging.rules]",
        "[tool.deploygate]",
        "[[rules]]",
        "# a comment",
        "",
        "x = [1, {a = 2}, 'three']",
    ]
)


def assert_config_outcome(text: str, path: Path) -> InputError | None:
    """``parse`` and the selected backends' checks (what ``deploygate config`` runs) accept
    the file or raise an InputError about ``path``; return the error."""
    try:
        result = parse(text, path, REGISTRY)
        assert isinstance(result, Config)
        assert result.path == path
        check_sources(
            result.source,
            result,
            SourceContext(env={"GITHUB_REPOSITORY": "a/b", "CI_PROJECT_PATH": "g/p"}),
        )
    except InputError as caught:
        error = caught
    else:
        return None
    assert isinstance(error, ConfigError)
    assert error.path == path
    if error.line is not None:
        assert 1 <= error.line <= len(text.splitlines()) + 1
    return error


@FUZZ
@given(text=st.text(alphabet=ANY_TEXT))
def test_config_arbitrary_text(root: Path, text: str) -> None:
    assert_config_outcome(text, root / "deploygate.toml")


@FUZZ
@given(
    lines=st.lists(weighted((2, CONFIG_LINES), (1, words(ANY_TEXT, 20))), max_size=12),
    name=st.sampled_from(["deploygate.toml", "pyproject.toml"]),
)
def test_config_lines_of_real_configs_shuffled_and_mangled(
    root: Path, lines: list[str], name: str
) -> None:
    assert_config_outcome("\n".join(lines), root / name)


@FUZZ
@given(document=config_documents(ANY_TEXT), headers=st.booleans(), in_pyproject=st.booleans())
def test_config_structured_but_wrong_toml(
    root: Path, document: dict[str, Any], headers: bool, in_pyproject: bool
) -> None:
    if in_pyproject:
        text = toml_document(
            {"project": {"name": "shop"}, "tool": {"deploygate": document}}, headers
        )
        path = root / "pyproject.toml"
    else:
        text = toml_document(document, headers)
        path = root / "deploygate.toml"
    error = assert_config_outcome(text, path)
    if error is not None:
        # The text is valid TOML, so the error is about a value and must name its key.
        assert error.field
        if in_pyproject:
            assert error.field.startswith("tool.deploygate.")


def test_toml_writer_round_trips() -> None:
    """The strategies above are only as good as this writer: check it on a hard case."""
    document = {
        "a b": 'quote " back \\ nl \n tab \t del \x7f',
        "when": datetime(2026, 9, 14, 10, 20, tzinfo=timezone(timedelta(hours=-8))),
        "t": {"x": [1, 2.5, float("inf")], "u": {"v": date(2026, 1, 1)}},
        "items": [{"title": "a"}, {"title": "b", "sub": {"k": True}}],
    }
    for headers in (False, True):
        assert toml.loads(toml_document(document, headers)) == document


# --- postmortems -----------------------------------------------------------------------

FRONT_MATTER_KEYS = ("title", "service", "date", "status", "deployments", "url", "action_items")
ITEM_KEYS = ("title", "state", "due", "team", "reason", "id")
INLINE_KEYS = ("due", "due", "team", "reason", "id", "owner", "Due")


@functools.cache
def front_matter(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    when = weighted(
        (3, DATETIMES), (3, DATES), (2, DATETIMES.map(datetime.isoformat)), (1, PLAUSIBLE)
    )
    item = merged(
        st.fixed_dictionaries(
            {"title": maybe(words(alphabet).filter(str.strip), alphabet)},
            optional={
                "state": maybe(st.sampled_from(["open", "done", "declined", "finished"]), alphabet),
                "due": maybe(when, alphabet),
                "team": maybe(st.sampled_from(["payments", ""]), alphabet),
                "reason": maybe(words(alphabet), alphabet),
                "id": maybe(st.sampled_from(["a", "b"]), alphabet),
            },
        ),
        rarely(keys(ITEM_KEYS, alphabet), values(alphabet)),
    )
    item = sometimes_missing(item, ("title",))
    known = st.fixed_dictionaries(
        {"date": maybe(when, alphabet)},
        optional={
            "title": maybe(words(alphabet), alphabet),
            "service": maybe(st.sampled_from(["checkout", "payments"]), alphabet),
            "status": maybe(st.sampled_from(["open", "closed", "done"]), alphabet),
            "deployments": maybe(
                st.lists(st.one_of(st.integers(0, 10**6), words(alphabet, 8)), max_size=3),
                alphabet,
            ),
            "url": maybe(st.just("https://example.com/pm/1"), alphabet),
            "action_items": maybe(st.lists(item, max_size=3), alphabet),
        },
    )
    extra = rarely(keys(FRONT_MATTER_KEYS, alphabet), values(alphabet))
    return sometimes_missing(merged(known, extra), ("date",))


def _task_line(bullet: str, marker: str, title: str, attributes: list[tuple[str, ...]]) -> str:
    suffix = ""
    if attributes:
        suffix = " (" + ", ".join("".join(parts) for parts in attributes) + ")"
    return f"{bullet} [{marker}] {title}{suffix}"


@functools.cache
def task_lines(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    attribute = st.tuples(
        weighted((4, st.sampled_from(INLINE_KEYS)), (1, words(alphabet, 5))),
        weighted((4, st.just(": ")), (1, st.sampled_from([":", "", "="]))),
        weighted((3, DATES.map(date.isoformat)), (1, PLAUSIBLE), (1, words(alphabet, 10))),
    )
    return st.builds(
        _task_line,
        st.sampled_from(["-", "*", "+", "   -", "    -"]),
        st.sampled_from([" ", "x", "X", "-", "?"]),
        words(alphabet, 20),
        st.lists(attribute, max_size=3),
    )


def _postmortem_text(meta: dict[str, Any], headers: bool, body: list[str]) -> str:
    return "+++\n" + toml_document(meta, headers) + "+++\n" + "\n".join(body) + "\n"


@functools.cache
def postmortem_texts(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    body_line = weighted(
        (2, task_lines(alphabet)),
        (1, st.sampled_from(["# Outage", "## Lessons", "## Action items", "```", "~~~", ""])),
        (1, words(alphabet, 30)),
    )
    return st.builds(
        _postmortem_text, front_matter(alphabet), st.booleans(), st.lists(body_line, max_size=8)
    )


def assert_postmortem_outcome(content: bytes, path: Path) -> InputError | None:
    """``parse_postmortem`` returns a Postmortem or raises an InputError about ``path``."""
    try:
        result = parse_postmortem(path, content, "postmortems/pm.md")
    except InputError as caught:
        error = caught
    else:
        assert isinstance(result, Postmortem)
        assert result.id == "postmortems/pm.md"
        assert len({item.id for item in result.action_items}) == len(result.action_items)
        return None
    assert error.path == path
    if error.line is not None:
        assert 1 <= error.line <= content.count(b"\n") + 1
    return error


@FUZZ
@given(content=st.binary(max_size=400))
def test_postmortem_arbitrary_bytes(root: Path, content: bytes) -> None:
    assert_postmortem_outcome(content, root / "postmortems" / "pm.md")


@FUZZ
@given(meta=st.text(alphabet=ANY_TEXT), body=st.text(alphabet=ANY_TEXT))
def test_postmortem_arbitrary_front_matter_and_body(root: Path, meta: str, body: str) -> None:
    content = f"+++\n{meta}\n+++\n{body}".encode()
    assert_postmortem_outcome(content, root / "postmortems" / "pm.md")


@FUZZ
@given(text=postmortem_texts(ANY_TEXT))
def test_postmortem_structured_but_wrong(root: Path, text: str) -> None:
    assert_postmortem_outcome(text.encode(), root / "postmortems" / "pm.md")


PLAIN_LINES = words(ONE_LINE_TEXT, 30).filter(
    lambda line: not line.lstrip().startswith(("-", "*", "+", "`", "~"))
)


@FUZZ
@given(before=st.lists(PLAIN_LINES, max_size=8), after=st.lists(PLAIN_LINES, max_size=4))
def test_postmortem_bad_task_is_reported_at_its_file_line(
    root: Path, before: list[str], after: list[str]
) -> None:
    path = root / "postmortems" / "pm.md"
    head = '+++\nservice = "checkout"\ndate = 2026-09-14\n+++\n'
    lines = [*before, "- [ ] Add an alert (due: 2026-13-45)", *after]
    with pytest.raises(InputError) as raised:
        parse_postmortem(path, (head + "\n".join(lines) + "\n").encode(), "pm.md")
    assert raised.value.line == 4 + len(before) + 1
    assert raised.value.field == "due"


# --- the history file ------------------------------------------------------------------

FIELDS = ("id", "service", "environment", "status", "sha", "url", "description", "created_at")


JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats()


def _history_line(record: dict[str, Any], ascii_only: bool, cut: float | None) -> str:
    line = json.dumps(record, ensure_ascii=ascii_only)
    return line if cut is None else line[: int(len(line) * cut)]


@functools.cache
def history_records(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """JSON lines shaped like records, with wrong values, extra keys and torn ends."""
    json_values = st.recursive(
        JSON_SCALARS | words(alphabet),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(words(alphabet, 5), children, max_size=3)
        ),
        max_leaves=6,
    )

    def near(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return weighted((6, right), (1, json_values))

    record = merged(
        st.fixed_dictionaries(
            {
                "service": near(st.sampled_from(["checkout", "payments"])),
                "id": near(st.sampled_from(["1", "2", "3", ""])),
                "environment": near(st.sampled_from(["production", ""])),
                "status": near(st.sampled_from(["success", "failure", "error", "exploded"])),
                "created_at": near(
                    st.one_of(
                        DATETIMES.map(datetime.isoformat), DATES.map(date.isoformat), PLAUSIBLE
                    )
                ),
            },
            optional={
                "sha": near(st.none() | st.just("9f3c2e1")),
                "url": near(st.none() | st.just("https://ci.example.com/1")),
                "description": near(st.none() | words(alphabet)),
            },
        ),
        rarely(keys(FIELDS, alphabet), json_values),
    )
    record = sometimes_missing(record, ("id", "environment", "status", "created_at"))
    # Now and then a line torn off part-way, as by a crash mid-write.
    torn = weighted((4, st.none()), (1, st.floats(0, 1)))
    return st.builds(_history_line, record, st.booleans(), torn)


def assert_history_outcome(path: Path, content: bytes) -> InputError | None:
    """``HistoryStore.read`` returns deployments or raises an InputError about ``path``."""
    path.write_bytes(content)
    try:
        recorded = HistoryStore(path).read("checkout")
        result, notices = recorded.deployments, recorded.notices
    except InputError as caught:
        error = caught
    else:
        assert isinstance(result, tuple)
        assert len(notices) <= 1
        assert all(isinstance(item, Deployment) and item.service == "checkout" for item in result)
        assert len({item.id for item in result}) == len(result)
        return None
    assert error.path == path
    assert error.line is not None
    assert 1 <= error.line <= content.count(b"\n") + 1
    return error


@FUZZ
@given(lines=st.lists(st.binary(max_size=80), max_size=6))
def test_history_arbitrary_lines(root: Path, lines: list[bytes]) -> None:
    assert_history_outcome(root / "deployments.jsonl", b"\n".join(lines))


@FUZZ
@given(lines=st.lists(history_records(ANY_TEXT), max_size=6))
def test_history_structured_but_wrong_records(root: Path, lines: list[str]) -> None:
    assert_history_outcome(root / "deployments.jsonl", "\n".join(lines).encode() + b"\n")


# --- every message is one line ---------------------------------------------------------


@st.composite
def one_line_inputs(draw: st.DrawFn) -> tuple[str, bytes]:
    """Some input for one of the three parsers, with no line break inside any key or value."""
    kind = draw(st.sampled_from(["config", "pyproject", "postmortem", "history", "config-lines"]))
    if kind in ("config", "pyproject"):
        document = draw(config_documents(ONE_LINE_TEXT))
        if kind == "pyproject":
            document = {"tool": {"deploygate": document}}
        return kind, toml_document(document, draw(st.booleans())).encode()
    if kind == "config-lines":
        lines = draw(st.lists(st.one_of(CONFIG_LINES, words(ONE_LINE_TEXT, 20)), max_size=8))
        return kind, "\n".join(lines).encode()
    if kind == "postmortem":
        return kind, draw(postmortem_texts(ONE_LINE_TEXT)).encode()
    lines = draw(st.lists(history_records(ONE_LINE_TEXT), min_size=1, max_size=4))
    return kind, "\n".join(lines).encode() + b"\n"


def raised_error(root: Path, kind: str, content: bytes) -> InputError | None:
    if kind in ("config", "config-lines"):
        return assert_config_outcome(content.decode(), root / "deploygate.toml")
    if kind == "pyproject":
        return assert_config_outcome(content.decode(), root / "pyproject.toml")
    if kind == "postmortem":
        return assert_postmortem_outcome(content, root / "postmortems" / "pm.md")
    return assert_history_outcome(root / "deployments.jsonl", content)


@FUZZ
@given(case=one_line_inputs())
def test_every_error_renders_as_one_line(root: Path, case: tuple[str, bytes]) -> None:
    error = raised_error(root, *case)
    if error is not None:
        message = error.render()
        assert message == str(error)
        assert "\n" not in message
        assert "\r" not in message
        assert message.strip()


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        pytest.param("config", b'"look\\nback" = "90d"\n', id="config-key"),
        pytest.param("config", b'[local]\npostmortems = "post\\nmortems"\n', id="config-path"),
        pytest.param(
            "postmortem",
            b'+++\ndate = 2026-09-14\n"sta\\ntus" = "open"\n+++\n',
            id="front-matter-key",
        ),
        pytest.param("history", b'{"service":"checkout","own\\ner":"bob"}\n', id="history-field"),
    ],
)
def test_newline_in_key_or_path_stays_on_one_line(root: Path, kind: str, content: bytes) -> None:
    error = raised_error(root, kind, content)
    assert error is not None
    assert "\n" not in error.render()
