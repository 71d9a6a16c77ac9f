"""The local source: reads the postmortem folder and the recorded deployment history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from deploygate.errors import InputError, SourceError
from deploygate.model import ActionItemState, History, Postmortem, Query, ServiceSeen, Usage
from deploygate.sources.local.commits import GitRepository
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
        self.repository = GitRepository(settings.root)

    def collect(self, query: Query) -> History:
        """Every recorded deployment and every postmortem of the query's service.

        The services named by the history and by the postmortems' front matter
        are kept too, for ``no-evidence``; a history that does not exist yet
        (the default path, on a first run: a path set in the config must
        exist) is a notice saying how to start one.
        """
        recorded = HistoryStore(self.settings.history).read(query.service)
        every = self.postmortems()
        seen = [
            ServiceSeen(name, "the deployment history") for name in sorted(recorded.services)
        ] + [
            ServiceSeen(name, "postmortem front matter")
            for name in sorted({pm.service for pm in every if pm.service is not None})
        ]
        started = self.settings.history.exists() or self.settings.history.is_symlink()
        notices = recorded.notices if started else (self._no_history(query),)
        covering = [pm for pm in every if pm.covers(query.service)]
        return History(
            deployments=recorded.deployments,
            postmortems=tuple(self.repository.with_merge_times(covering)),
            notices=(*notices, *_unfollowed_fixes(covering)),
            services_seen=tuple(seen),
        )

    def _no_history(self, query: Query) -> str:
        environment = query.environment or "production"
        return (
            f"no deployment history at {self._id(self.settings.history)} yet; start one by "
            f"recording each deploy: deploygate record --service {query.service} "
            f"--environment {environment} --status success (or failure)"
        )

    def contains(self, commit: str, head: str) -> bool:
        """Whether the deployed ``head`` holds ``commit``, asked of the repository's git."""
        return self.repository.contains(commit, head)

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
        if folder.is_symlink() and not folder.exists():
            raise InputError("dangling symlink", path=folder, expected="a folder of postmortems")
        if not folder.exists():
            return []
        if not folder.is_dir():
            raise InputError("not a folder", path=folder, expected="a folder of postmortems")
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


def _unfollowed_fixes(postmortems: Iterable[Postmortem]) -> Iterator[str]:
    """A notice for each done item whose ``fix`` is a pull or merge request URL: the file
    holds no merge commit, so whether it shipped cannot be followed, and the item must not
    look followed when it is not."""
    for postmortem in postmortems:
        for item in postmortem.action_items:
            if (
                item.state is ActionItemState.DONE
                and item.fixes
                and not any(fix.sha for fix in item.fixes)
            ):
                where = f"{postmortem.id}:{item.line}" if item.line else postmortem.id
                refs = ", ".join(fix.ref for fix in item.fixes)
                yield (
                    f"action item “{item.title}” ({where}): its fix {refs} names no commit; "
                    "write fix: SHA to follow it"
                )
