"""GitLab outputs: the sectioned job log, the Code Quality report and the dotenv file."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from conftest import NOW, MemorySource, ago, deployment, item, postmortem

from deploygate.formats import FORMATS, RenderOptions
from deploygate.gate import check
from deploygate.model import History, Query, SourceStatus, Verdict
from deploygate.rules import Policy

HOSTILE = "@all <script>x</script> ![i](http://evil.invalid) \x1b[2J\r\n::error::x"


def report(items: int = 3, failures: int = 2):
    pm = postmortem(
        "postmortems/pm.md",
        at=ago(days=300),
        items=tuple(
            replace(item(due="2026-01-01"), id=f"i{n}", title=f"{HOSTILE} {n}")
            for n in range(items)
        ),
    )
    history = History(
        deployments=tuple(deployment(str(n), at=ago(days=10, hours=n)) for n in range(failures)),
        postmortems=(pm,),
    )
    policy = Policy()
    return check([MemorySource(history)], Query("checkout", None, NOW, policy.lookback), policy)


def test_codequality_has_the_documented_fields_and_unique_stable_fingerprints() -> None:
    options = RenderOptions(config_path="services/checkout/deploygate.toml")
    first = json.loads(FORMATS["codequality"](report(), options))
    again = json.loads(FORMATS["codequality"](report(), options))
    assert [issue["fingerprint"] for issue in first] == [issue["fingerprint"] for issue in again]
    assert len({issue["fingerprint"] for issue in first}) == len(first) == 5
    for issue in first:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["lines"]["begin"] == 1
        assert issue["check_name"].startswith("deploygate/")
    paths = {issue["location"]["path"] for issue in first}
    assert paths == {"services/checkout/postmortems/pm.md", "services/checkout/deploygate.toml"}


def test_codequality_descriptions_are_inert() -> None:
    text = FORMATS["codequality"](report(), RenderOptions())
    for issue in json.loads(text):
        description = issue["description"]
        assert "<script>" not in description
        assert "@all" not in description
        assert "\x1b" not in description
        assert "\n" not in description


def test_codequality_says_not_verified_when_a_source_failed() -> None:
    failed = replace(
        report(), verdict=Verdict.UNKNOWN, sources=(SourceStatus("gitlab", False, "down"),)
    )
    first = json.loads(FORMATS["codequality"](failed, RenderOptions()))[0]
    assert (first["check_name"], first["severity"]) == ("deploygate/not-verified", "critical")


def test_dotenv_holds_the_verdict_and_counts() -> None:
    text = FORMATS["dotenv"](report(), RenderOptions())
    assert text.splitlines() == [
        "DEPLOYGATE_VERDICT=block",
        "DEPLOYGATE_ENFORCED=true",
        "DEPLOYGATE_BLOCKING=true",
        "DEPLOYGATE_FINDINGS=5",
        "DEPLOYGATE_ERRORS=3",
        "DEPLOYGATE_WARNINGS=2",
        "DEPLOYGATE_NOTICES=0",
    ]


def test_job_log_folds_the_findings_into_one_section() -> None:
    log = FORMATS["gitlab"](report(items=12), RenderOptions())
    stamp = int(NOW.timestamp())
    starts = re.findall(
        r"\x1b\[0Ksection_start:(\d+):deploygate_findings\[collapsed=(\w+)\]\r", log
    )
    ends = re.findall(r"\x1b\[0Ksection_end:(\d+):deploygate_findings\r\x1b\[0K", log)
    assert starts == [(str(stamp), "true")]
    assert ends == [str(stamp)]
    inside = log.split("section_start", 1)[1].split("section_end", 1)[0]
    assert inside.count("OVERDUE") == 0
    assert inside.count("ERROR    overdue-action-item") == 12
    # Untrusted text never carries its own escape codes or carriage returns into the log.
    assert log.count("\r") == 2
    assert log.count("\x1b") == 4


def test_codequality_points_at_the_line_of_a_local_action_item() -> None:
    lesson = replace(item(due="2026-01-01"), id="i", line=17)
    pm = postmortem("postmortems/pm.md", at=ago(days=300), items=(lesson,))
    policy = Policy()
    checked = check(
        [MemorySource(History(postmortems=(pm,)))],
        Query("checkout", None, NOW, policy.lookback),
        policy,
    )
    [issue] = json.loads(FORMATS["codequality"](checked, RenderOptions()))
    assert issue["location"] == {"path": "postmortems/pm.md", "lines": {"begin": 17}}
    waive = f'or waive it with finding = "{checked.findings[0].short_fingerprint}"'
    assert issue["description"].endswith(f"at postmortems/pm.md:17; {waive}")
