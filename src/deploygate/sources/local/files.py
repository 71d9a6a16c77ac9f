"""Reading what a contributor put in the repository, without letting it hang, flood or mislead.

Anyone who can push a file can put a dangling symlink, a symlink loop, a
directory named ``x.md``, a FIFO or a link to ``/dev/zero`` where deploygate
reads. None of that is an unreachable backend: it is input to fix, so it is
an :class:`~deploygate.errors.InputError` (exit 2) naming the path, never a
:class:`~deploygate.errors.SourceError` (exit 3), which ``--on-error warn``
would turn into a pass. A path is looked at before it is opened, only
regular files are read, and never more than a stated size.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from deploygate.errors import InputError

MAX_POSTMORTEM_BYTES = 4 * 1024 * 1024
"""A postmortem is a page or two of Markdown; 4 MiB is a hundred times that."""
MAX_HISTORY_BYTES = 256 * 1024 * 1024
"""About a million recorded deployments: far past the benchmark's 100,000 (20 MB)."""


def _mib(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB"


def regular(path: Path, what: str) -> os.stat_result:
    """``path``'s status, following links; an InputError unless it is a regular file."""
    try:
        status = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                "dangling symlink", path=path, expected=f"{what}, or a link to one"
            ) from None
        raise InputError("gone while it was being read", path=path, expected=what) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError("symlink loop", path=path, expected=what) from None
        raise InputError(f"cannot read it: {error.strerror}", path=path, expected=what) from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError("a directory, not a file", path=path, expected=what)
    if not stat.S_ISREG(status.st_mode):
        raise InputError("not a regular file (a pipe or a device?)", path=path, expected=what)
    return status


def inside(path: Path, root: Path, what: str) -> None:
    """An InputError when ``path`` is a link that leads outside ``root``: the report would
    show a file of the runner's that nobody reviewed in the repository."""
    if not path.is_symlink():
        return
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        raise InputError(
            "a symlink to a file outside the repository",
            path=path,
            expected=f"{what} inside {root}",
        )


def read_capped(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``; an InputError past ``limit`` bytes.

    The file is opened without blocking and checked again once open, so a
    path swapped for a pipe between the look and the open cannot hang the
    read; it reads at most ``limit + 1`` bytes whatever the file claims.
    """
    regular(path, what)
    with open_regular(path, os.O_RDONLY, what) as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise InputError(f"larger than {_mib(limit)}", path=path, expected=f"{what} under that")
    return content


@contextmanager
def open_regular(path: Path, flags: int, what: str, mode: str = "rb") -> Iterator[IO[bytes]]:
    """``path`` opened with ``flags`` (plus O_NONBLOCK) as a binary file, if it is a regular
    file; an InputError naming it if it turns out to be anything else."""
    descriptor = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o666)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InputError("not a regular file", path=path, expected=what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, mode)
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield handle


def markdown_files(folder: Path) -> Iterator[Path]:
    """Every ``*.md`` entry below ``folder``, walked without recursion (a tree a thousand
    folders deep is no RecursionError) and without following linked folders (a link
    loop is never walked)."""
    pending = [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.name.endswith(".md"):
                    yield Path(entry.path)
