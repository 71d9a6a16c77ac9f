"""The local source: reads the postmortem folder and the recorded deployment history."""

from __future__ import annotations

from pathlib import Path

from deploygate.errors import SourceError
from deploygate.model import History, Postmortem, Query, Usage
from deploygate.sources.local.config import LocalSettings
from deploygate.sources.local.postmortems import is_postmortem_file, parse_postmortem
from deploygate.sources.local.store import SOURCE_NAME, HistoryStore


class LocalSource:
    """Reads the repository's postmortem folder and the recorded deployment history."""

    name = SOURCE_NAME

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings

    def collect(self, query: Query) -> History:
        """Every recorded deployment and every postmortem of the query's service."""
        deployments = HistoryStore(self.settings.history).read(query.service)
        postmortems = tuple(
            postmortem for postmortem in self.postmortems() if postmortem.covers(query.service)
        )
        return History(deployments=deployments, postmortems=postmortems)

    def usage(self) -> Usage | None:
        """Files only: no requests, no rate limit."""
        return None

    def postmortems(self) -> list[Postmortem]:
        """All postmortems in the folder, in path order; a missing folder holds none."""
        folder = self.settings.postmortems
        if not folder.exists():
            return []
        try:
            paths = sorted(path for path in folder.rglob("*.md") if is_postmortem_file(path))
            contents = [(path, path.read_bytes()) for path in paths]
        except OSError as error:
            raise SourceError(
                SOURCE_NAME, f"cannot read postmortems in {folder}: {error}"
            ) from None
        return [parse_postmortem(path, content, self._id(path)) for path, content in contents]

    def _id(self, path: Path) -> str:
        try:
            return path.relative_to(self.settings.root).as_posix()
        except ValueError:
            return path.as_posix()
