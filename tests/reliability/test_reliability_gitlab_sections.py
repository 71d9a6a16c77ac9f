"""Round two, case 12: GitLab's collapsible sections fold in a real job log.

Input: ``deploygate check --format gitlab`` as a GitLab runner starts it: a
process whose stdout is a pipe, not a terminal.

Expected: the bytes it writes hold both section markers whole, erase-line
codes included (``ESC [0K section_start:…``), and no other ANSI code, since
colour is off on a pipe.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from reliability.helpers import (
    NOW_ARG,
    OVERDUE_TITLE,
    clean_env,
    local_config,
    local_postmortem,
    process_env,
)


def test_the_section_markers_reach_a_pipe_intact(tmp_path: Path) -> None:
    config = local_config(
        tmp_path, {"outage.md": local_postmortem("Outage", [(OVERDUE_TITLE, "2026-10-01")])}
    )
    done = subprocess.run(
        [sys.executable, "-m", "deploygate", "check", "--config", str(config),
         "--service", "checkout", "--now", NOW_ARG, "--format", "gitlab"],
        env=process_env(clean_env(GITLAB_CI="true")), capture_output=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    log = done.stdout
    start = re.search(
        rb"\x1b\[0Ksection_start:\d+:deploygate_findings\[collapsed=false\]\r\x1b\[0K", log
    )
    end = re.search(rb"\x1b\[0Ksection_end:\d+:deploygate_findings\r\x1b\[0K", log)
    assert start is not None, log
    assert end is not None, log
    assert start.end() < log.index(OVERDUE_TITLE.encode()) < end.start()
    assert re.findall(rb"\x1b\[[0-9;]*m", log) == []  # no colour on a pipe
