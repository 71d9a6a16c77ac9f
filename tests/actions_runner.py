"""A model of how the GitHub Actions runner reads workflow commands from a step's log.

Written after actions/runner's ActionCommand.TryParseV2 (``::name k=v,k=v::data``,
found after trimming the line) and TryParse (the legacy ``##[name k=v;]data``
form, found anywhere in a line), with the same unescaping order. The tests
pass deploygate's stdout and stderr through it to see which commands the
runner would act on.
"""

from __future__ import annotations

from dataclasses import dataclass

# C#'s char.IsWhiteSpace, which String.Trim() uses (Python's isspace differs on \x1c-\x1f).
_CSHARP_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_DATA_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


@dataclass(frozen=True)
class Command:
    name: str
    properties: dict[str, str]
    data: str


def _unescape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in escapes:
        text = text.replace(escaped, plain)
    return text


def parse_line(line: str) -> Command | None:
    """The command the runner would run for one log line, or None."""
    trimmed = line.strip(_CSHARP_WHITESPACE)
    if trimmed.startswith("::"):
        end = trimmed.find("::", 2)
        if end >= 0:
            info = trimmed[2:end]
            name, _, raw_properties = info.partition(" ")
            properties = {}
            for pair in raw_properties.split(","):
                key, equals, value = pair.partition("=")
                if equals and key:
                    properties[key] = _unescape(value, _PROPERTY_ESCAPES)
            return Command(name, properties, _unescape(trimmed[end + 2 :], _DATA_ESCAPES))
    start = line.find("##[")
    if start >= 0:
        end = line.find("]", start)
        if end > start:
            name = line[start + 3 : end].partition(" ")[0]
            return Command(name, {}, line[end + 1 :])
    return None


def commands(log: str) -> list[Command]:
    """Every command the runner would act on in ``log`` (stdout or stderr)."""
    return [command for line in log.split("\n") if (command := parse_line(line))]


def trimmed_end(text: str) -> str:
    """What survives the runner's Trim() at the end of a line."""
    return text.rstrip(_CSHARP_WHITESPACE)
