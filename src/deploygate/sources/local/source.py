"""The local source: reads the postmortem folder and the recorded deployment history."""

from __future__ import annotations

from pathlib import Path

from deploygate.errors import SourceError
from deploygate.model import History, Postmortem, Query, ServiceSeen, Usage
from deploygate.sources.local.config import LocalSettings
from deploygate.sources.local.postmortems import is_postmortem_file, parse_postmortem
from deploygate.sources.local.store import SOURCE_NAME, HistoryStore


class LocalSource:
    """Reads the repository's postmortem folder and the recorded deployment history."""

    name = SOURCE_NAME

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings

    def collect(self, query: Query) -> History:
        """Every recorded deployment and every postmortem of the query's service.

        The services named by the history and by the postmortems' front matter
        are kept too, for ``no-evidence``; a history that does not exist yet
        (the default path, on a first run: a path set in the config must
        exist) is a notice saying how to start one.
        """
        deployments, services = HistoryStore(self.settings.history).read_with_services(
            query.service
        )
        every = self.postmortems()
        seen = [ServiceSeen(name, "the deployment history") for name in sorted(services)] + [
            ServiceSeen(name, "postmortem front matter")
            for name in sorted({pm.service for pm in every if pm.service is not None})
        ]
        notices = () if self.settings.history.exists() else (self._no_history(query),)
        return History(
            deployments=deployments,
            postmortems=tuple(pm for pm in every if pm.covers(query.service)),
            notices=notices,
            services_seen=tuple(seen),
        )

    def _no_history(self, query: Query) -> str:
        environment = query.environment or "production"
        return (
            f"no deployment history at {self._id(self.settings.history)} yet; start one by "
            f"recording each deploy: deploygate record --service {query.service} "
            f"--environment {environment} --status success (or failure)"
        )

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
