"""Write a rendered report to a file named by ``--output FORMAT=PATH``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from deploygate.errors import InputError


def write_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically, so a reader never sees half a report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise InputError(
            f"cannot write the report: {error.strerror}", path=path, field="--output"
        ) from None
