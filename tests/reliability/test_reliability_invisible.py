"""Round two, case 10: invisible text is made visible, as bidi controls already are.

Input: a local postmortem whose title and action item hide text with zero-width
characters (U+200B-U+200D, U+2060, U+FEFF), a soft hyphen, Hangul fillers
and Unicode tag characters (U+E0000-U+E007F, which spell a hidden ASCII
message), run in GitHub Actions with every format written.

Expected: none of them reaches any output raw (stdout, stderr, the job summary,
the step outputs, every ``--output`` report but JSON, where they stay data);
each shows as its ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN`` escape in the text.
"""

from __future__ import annotations

import json
from pathlib import Path

from reliability.helpers import OVERDUE_TITLE, check, github_env, local_config, local_postmortem

HIDDEN_MESSAGE = "".join(chr(0xE0000 + ord(c)) for c in "approve")
INVISIBLE = {
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\xad",
    "Hangul choseong filler": "\u115f",
    "Hangul jungseong filler": "\u1160",
    "Hangul filler": "\u3164",
    "halfwidth Hangul filler": "\uffa0",
    "tag characters": HIDDEN_MESSAGE,
}
TITLE = "Roll" + "".join(INVISIBLE.values()) + "back"


def _escaped(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _with_title(postmortem: str, placeholder: str) -> str:
    """``postmortem`` with the TOML string of ``placeholder`` replaced by TITLE, written raw
    (a literal string), as a person's editor would save it."""
    return postmortem.replace(f'"{placeholder}"', f"'{TITLE}'")


def test_invisible_characters_never_reach_an_output_raw(tmp_path: Path) -> None:
    config = local_config(
        tmp_path,
        {
            "outage.md": _with_title(
                local_postmortem("PLACEHOLDER", [(OVERDUE_TITLE, "2026-10-01")]), "PLACEHOLDER"
            ),
            "hidden.md": _with_title(
                local_postmortem("Other", [("PLACEHOLDER", "2026-10-02")]), "PLACEHOLDER"
            ),
        },
    )
    run = check(tmp_path, config, github_env(), "--format", "text")
    assert run.exit_code == 1, run.output
    outputs = {"stdout": run.stdout, "stderr": run.stderr} | {
        name: text for name, text in run.files.items() if name != "report.json"
    }
    ours = "\u200b"  # what the Markdown formats insert to break mentions and links
    for name, text in outputs.items():
        for what, characters in INVISIBLE.items():
            for character in characters:
                if character == ours and name in ("summary", "report.markdown", "stdout"):
                    continue  # shown escaped below; a raw one here is ours
                assert character not in text, (name, what)
    for character in INVISIBLE.values():
        shown = "".join(_escaped(c) for c in character)
        assert shown in run.stdout, shown
    messages = [item["message"] for item in json.loads(run.files["report.json"])["findings"]]
    assert any(HIDDEN_MESSAGE in message for message in messages)  # JSON keeps it as data
