"""Write a rendered report to a file named by ``--output FORMAT=PATH``."""

from __future__ import annotations

import os
from pathlib import Path

from deploygate.errors import InputError

_NEW_FILE_MODE = 0o666
"""What ``open(path, "w")`` asks for; the kernel takes the umask off, so a report is
0644 under the usual umask 022 and readable by the CI job's other steps, not mkstemp's 0600."""


def require_directory(path: Path, *, field: str) -> None:
    """Fail unless ``path``'s directory exists: deploygate never creates directories, so a
    typo in a path is an error naming the option, not a new tree nobody looks in."""
    if not path.parent.is_dir():
        raise InputError(
            f"the directory {path.parent} does not exist",
            path=path,
            field=field,
            expected="a file in an existing directory",
        )


def write_file(path: Path, text: str, *, field: str) -> None:
    """Replace ``path`` atomically, so a reader never sees half a report. ``field`` is the
    option that named the path, for the error."""
    require_directory(path, field=field)
    try:
        descriptor, temporary = _create_beside(path)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise InputError(
            f"cannot write the file: {error.strerror}", path=path, field=field
        ) from None


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty file in ``path``'s directory (so the rename is atomic), created with the
    mode a plain ``open`` would give it. O_EXCL makes a name clash an error, never a write
    into someone else's file; the random part makes a clash practically impossible."""
    # os.urandom rather than the secrets module, which costs a few ms of every run's start-up.
    temporary = path.with_name(f".{path.name}.{os.urandom(8).hex()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    return os.open(temporary, flags, _NEW_FILE_MODE), temporary
