"""Round two, cases 3, 4, 8 and 9: what a contributor can put where the local store reads.

Input: a project whose one postmortem has an overdue action item (the check
blocks, exit 1), with ``on-error = "warn"`` so that a failed source (exit 3)
would pass. Beside it in ``postmortems/``: a dangling symlink, a symlink
loop, a link outside the repository, a FIFO, a link to ``/dev/zero``, a
linked folder named ``x.md``, an oversized file or front matter; in place of
the history: a folder, a FIFO, a link to ``/dev/zero``. Then a history torn
by a crash, an append cut short by a file-size limit, a 5,000-digit id, and
a postmortem tree 1,200 folders deep.

Expected: every one is exit 2 naming the path (the input to fix), never exit
3 and so never a pass under ``on-error = "warn"``; nothing hangs (each run
is a real process killed after 30 s); a torn last line is left out with a
notice and repaired by the next ``record``; a failed append leaves the file
as it was.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from reliability.helpers import (
    NOW_ARG,
    OVERDUE_TITLE,
    Launch,
    check,
    clean_env,
    local_config,
    local_postmortem,
    process_env,
)

LIMIT = 30.0
"""Seconds a run may take before it counts as hung; a healthy one takes about one."""


def _blocked_project(tmp_path: Path) -> Path:
    config = local_config(
        tmp_path, {"outage.md": local_postmortem("Outage", [(OVERDUE_TITLE, "2026-10-01")])}
    )
    config.write_text('on-error = "warn"\n' + config.read_text("utf-8"), encoding="utf-8")
    return config


def _dangling(folder: Path) -> Path:
    (folder / "gone.md").symlink_to(folder / "nowhere.md")
    return folder / "gone.md"


def _loop(folder: Path) -> Path:
    (folder / "a.md").symlink_to(folder / "b.md")
    (folder / "b.md").symlink_to(folder / "a.md")
    return folder / "a.md"


def _outside(folder: Path) -> Path:
    secret = folder.parent.parent / "runner-secret.md"
    secret.write_text("+++\ndate = 2026-10-01\n+++\n# not in the repository\n", "utf-8")
    (folder / "borrowed.md").symlink_to(secret)
    return folder / "borrowed.md"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.md")
    return folder / "pipe.md"


def _zero(folder: Path) -> Path:
    (folder / "zero.md").symlink_to("/dev/zero")
    return folder / "zero.md"


def _linked_folder(folder: Path) -> Path:
    (folder.parent / "elsewhere").mkdir()
    (folder / "x.md").symlink_to(folder.parent / "elsewhere")
    return folder / "x.md"


def _huge(folder: Path) -> Path:
    path = folder / "huge.md"
    path.write_text("+++\ndate = 2026-10-01\n+++\n" + "words " * 1_000_000, "utf-8")
    return path


def _long_front_matter(folder: Path) -> Path:
    path = folder / "meta.md"
    path.write_text("+++\ndate = 2026-10-01\n" + "# pad\n" * 20_000 + "+++\n# x\n", "utf-8")
    return path


POSTMORTEM_ENTRIES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "dangling-symlink": (_dangling, "dangling symlink"),
    "symlink-loop": (_loop, "symlink loop"),
    "link-outside-the-repository": (_outside, "a symlink to a file outside the repository"),
    "fifo": (_fifo, "not a regular file"),
    "dev-zero": (_zero, "not a regular file"),
    "linked-folder-named-md": (_linked_folder, "a directory, not a file"),
    "over-4-mib": (_huge, "larger than 4 MiB"),
    "front-matter-over-64-kib": (_long_front_matter, "front matter longer than 64 KiB"),
}


@pytest.mark.parametrize("entry", POSTMORTEM_ENTRIES, ids=list(POSTMORTEM_ENTRIES))
def test_a_hostile_entry_among_the_postmortems_is_exit_2_naming_it(
    tmp_path: Path, entry: str
) -> None:
    """Exit 2 with one line naming the entry: the input to fix, never a failed source."""
    config = _blocked_project(tmp_path)
    make, problem = POSTMORTEM_ENTRIES[entry]
    path = make(tmp_path / "postmortems")
    run = Launch(tmp_path, config, clean_env(), "--now", NOW_ARG, limit=LIMIT).wait()
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith(f"deploygate: error: {path}"), run.stderr
    assert problem in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert "not in the repository" not in run.output


def test_a_plain_folder_named_like_a_postmortem_is_walked_into(tmp_path: Path) -> None:
    """A real folder called ``2025.md`` is a folder: its postmortems count, and the check
    still blocks on the overdue item."""
    config = _blocked_project(tmp_path)
    archive = tmp_path / "postmortems" / "2025.md"
    archive.mkdir()
    (archive / "older.md").write_text(
        local_postmortem("Older outage", [("Rotate the keys", "2026-09-01")]), "utf-8"
    )
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 1, run.output
    assert "Rotate the keys" in run.stdout
    assert OVERDUE_TITLE in run.stdout


def _history_folder(path: Path) -> None:
    path.mkdir()


def _history_fifo(path: Path) -> None:
    os.mkfifo(path)


def _history_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


HISTORY_ENTRIES: dict[str, Callable[[Path], None]] = {
    "folder": _history_folder,
    "fifo": _history_fifo,
    "dev-zero": _history_zero,
}


@pytest.mark.parametrize("command", ["check", "record"])
@pytest.mark.parametrize("entry", HISTORY_ENTRIES, ids=list(HISTORY_ENTRIES))
def test_a_history_that_is_not_a_file_is_exit_2_for_check_and_record(
    tmp_path: Path, entry: str, command: str
) -> None:
    """Neither reading nor appending hangs on a pipe or reads a device dry."""
    config = _blocked_project(tmp_path)
    history = tmp_path / "deployments.jsonl"
    history.unlink()
    HISTORY_ENTRIES[entry](history)
    if command == "check":
        run = Launch(tmp_path, config, clean_env(), "--now", NOW_ARG, limit=LIMIT).wait()
        exit_code, stderr = run.exit_code, run.stderr
    else:
        done = _record(config, "--status", "failure", "--environment", "production")
        exit_code, stderr = done.returncode, done.stderr
    assert exit_code == 2, stderr
    assert stderr.startswith(f"deploygate: error: {history}"), stderr
    assert stderr.count("\n") == 1, stderr


_RECORD = (sys.executable, "-m", "deploygate", "record")


def _record(config: Path, *args: str, limit: float = LIMIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_RECORD, "--config", str(config), "--service", "checkout", *args],
        env=process_env(clean_env()),
        capture_output=True,
        text=True,
        timeout=limit,
        check=False,
    )


def _line(deployment_id: str, status: str = "failure") -> str:
    return json.dumps(
        {
            "id": deployment_id,
            "service": "checkout",
            "environment": "production",
            "status": status,
            "created_at": "2026-11-10T10:00:00Z",
        }
    )


def test_a_torn_last_line_is_left_out_with_a_notice_and_repaired_by_the_next_record(
    tmp_path: Path,
) -> None:
    config = _blocked_project(tmp_path)
    history = tmp_path / "deployments.jsonl"
    whole = _line("checkout-1") + "\n"
    history.write_text(whole + _line("checkout-2")[:30], "utf-8")
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, "--format", "json",
                actions=False, reports=False)  # fmt: skip
    assert run.exit_code == 1, run.output  # the overdue item still blocks
    local = json.loads(run.stdout)["sources"][0]
    assert any(f"{history}:2: a torn last line" in notice for notice in local["notices"])

    done = _record(config, "--status", "success", "--environment", "production")
    assert done.returncode == 0, done.stderr
    lines = history.read_text("utf-8").splitlines()
    assert lines[0] == whole.strip()
    assert [json.loads(line)["id"] for line in lines] == ["checkout-1", "checkout-2"]


def test_an_append_cut_short_leaves_the_history_as_it_was(tmp_path: Path) -> None:
    """A file-size limit makes the write fail half-way, as a full disk does: exit 3 naming
    the file, and the file is cut back to its old bytes, so every later check still reads."""
    config = _blocked_project(tmp_path)
    history = tmp_path / "deployments.jsonl"
    before = (_line("checkout-1") + "\n").encode()
    history.write_bytes(before)
    limit = len(before) + 20  # room for part of the next line only

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "deploygate", "record", "--config", str(config), "--service",
         "checkout", "--status", "failure", "--environment", "production",
         "--description", "a description long enough to pass the limit"],
        env=process_env(clean_env()), capture_output=True, text=True, timeout=LIMIT,
        check=False, preexec_fn=small_files,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert f"cannot write {history}" in done.stderr
    assert history.read_bytes() == before
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 1, run.output


def test_check_and_record_agree_on_a_5000_digit_id(tmp_path: Path) -> None:
    """Both accept it: the reader keeps it as text, and record hands out the next small id."""
    config = _blocked_project(tmp_path)
    history = tmp_path / "deployments.jsonl"
    history.write_text(_line("checkout-" + "9" * 5000) + "\n", "utf-8")
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 1, run.output
    done = _record(config, "--status", "success", "--environment", "production")
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in history.read_text("utf-8").splitlines()]
    assert ids[1] == "checkout-1"


def test_a_postmortem_tree_1200_folders_deep_is_walked(tmp_path: Path) -> None:
    """No RecursionError: the walk keeps its own list of folders to visit."""
    config = _blocked_project(tmp_path)
    deep = tmp_path / "postmortems"
    for _ in range(1200):  # one at a time: mkdir(parents=True) recurses itself
        deep = deep / "d"
        deep.mkdir()
    (deep / "deep.md").write_text(
        local_postmortem("Deep outage", [("Add the missing alert", "2026-09-01")]), "utf-8"
    )
    try:
        run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    finally:  # pytest's own clean-up of tmp_path recurses, so take the tree down here
        (deep / "deep.md").unlink()
        while deep != tmp_path / "postmortems":
            deep.rmdir()
            deep = deep.parent
    assert run.exit_code == 1, run.output
    assert "Add the missing alert" in run.stdout


@pytest.mark.parametrize("shape", ["file", "dangling-link"])
def test_a_postmortems_folder_that_is_not_a_folder_is_exit_2(tmp_path: Path, shape: str) -> None:
    config = _blocked_project(tmp_path)
    folder = tmp_path / "postmortems"
    for entry in folder.iterdir():
        entry.unlink()
    folder.rmdir()
    if shape == "file":
        folder.write_text("not a folder", "utf-8")
    else:
        folder.symlink_to(tmp_path / "gone")
    config.write_text(config.read_text("utf-8").replace('postmortems = "postmortems"\n', ""))
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith(f"deploygate: error: {folder}"), run.stderr


def test_a_link_through_a_file_is_exit_2_not_a_crash(tmp_path: Path) -> None:
    """``a.md -> README/x``: stat fails with ENOTDIR, an input error like any broken link."""
    config = _blocked_project(tmp_path)
    (tmp_path / "README").write_text("a file", "utf-8")
    (tmp_path / "postmortems" / "a.md").symlink_to(tmp_path / "README" / "x")
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 2, run.output
    assert "cannot read it" in run.stderr
