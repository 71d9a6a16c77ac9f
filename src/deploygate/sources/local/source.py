"""The local source: reads the postmortem folder and the recorded deployment history."""

from __future__ import annotations

from pathlib import Path

from deploygate.errors import InputError, SourceError
from deploygate.model import History, Postmortem, Query, Usage
from deploygate.sources.local.config import LocalSettings
from deploygate.sources.local.files import (
    MAX_POSTMORTEM_BYTES,
    inside,
    markdown_files,
    read_capped,
    regular,
)
from deploygate.sources.local.postmortems import is_postmortem_file, parse_postmortem
from deploygate.sources.local.store import SOURCE_NAME, HistoryStore

_WHAT = "a postmortem Markdown file"


class LocalSource:
    """Reads the repository's postmortem folder and the recorded deployment history."""

    name = SOURCE_NAME

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings

    def collect(self, query: Query) -> History:
        """Every recorded deployment and every postmortem of the query's service."""
        deployments, notices = HistoryStore(self.settings.history).read(query.service)
        postmortems = tuple(
            postmortem for postmortem in self.postmortems() if postmortem.covers(query.service)
        )
        return History(deployments=deployments, postmortems=postmortems, notices=notices)

    def usage(self) -> Usage | None:
        """Files only: no requests, no rate limit."""
        return None

    def postmortems(self) -> list[Postmortem]:
        """All postmortems in the folder, in path order; a missing folder holds none.

        What is in the folder is the repository's content, so anything wrong
        with an entry (a dangling link, a pipe, a file too large) is an
        InputError naming it; only a folder that cannot be listed at all is
        a SourceError.
        """
        folder = self.settings.postmortems
        if not folder.exists():
            return []
        try:
            paths = sorted(path for path in markdown_files(folder) if is_postmortem_file(path))
        except OSError as error:
            raise SourceError(
                SOURCE_NAME, f"cannot read postmortems in {folder}: {error.strerror}"
            ) from None
        postmortems = []
        for path in paths:
            regular(path, _WHAT)
            inside(path, self.settings.root, _WHAT)
            try:
                content = read_capped(path, MAX_POSTMORTEM_BYTES, _WHAT)
            except OSError as error:
                raise InputError(
                    f"cannot read it: {error.strerror}", path=path, expected=_WHAT
                ) from None
            postmortems.append(parse_postmortem(path, content, self._id(path)))
        return postmortems

    def _id(self, path: Path) -> str:
        try:
            return path.relative_to(self.settings.root).as_posix()
        except ValueError:
            return path.as_posix()
