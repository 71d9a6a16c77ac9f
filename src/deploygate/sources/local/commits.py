"""The local store's repository, asked through git: when a fix landed, and whether a
deployed commit contains it (``git merge-base --is-ancestor``).

Without a repository (or without git) nothing is guessed: the check says,
once, that it could not follow the fixes, and no finding rests on that.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from deploygate import ci
from deploygate.dates import parse_instant
from deploygate.model import Fix, Postmortem
from deploygate.shipping import ContainmentUnknown


class GitRepository:
    """The git repository that holds ``root``, asked one question at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._present: bool | None = None

    @property
    def present(self) -> bool:
        """Whether ``root`` is inside a git work tree, and git runs: asked once."""
        if self._present is None:
            result = ci.git(self.root, "rev-parse", "--is-inside-work-tree")
            self._present = result is not None and result.stdout.strip() == "true"
        return self._present

    def contains(self, commit: str, head: str) -> bool:
        """Whether ``commit`` is ``head`` or an ancestor of it."""
        if not self.present:
            raise ContainmentUnknown(
                f"no git repository at {self.root}: whether each done item's fix has "
                "shipped was not checked (run the check in a clone)"
            )
        result = ci.git(self.root, "merge-base", "--is-ancestor", commit, head)
        if result is not None and result.returncode in (0, 1):
            return result.returncode == 0
        raise ContainmentUnknown(
            f"the git repository at {self.root} does not hold commit {commit[:12]} or "
            f"{head[:12]} (a shallow clone? fetch the full history): whether that fix has "
            "shipped was not checked"
        )

    def committed_at(self, sha: str) -> datetime | None:
        """When ``sha`` was committed (a merge commit: when it was merged); None if unknown."""
        if not self.present:
            return None
        result = ci.git(self.root, "show", "-s", "--format=%cI", sha, "--")
        if result is None or result.returncode != 0:
            return None
        try:
            return parse_instant(result.stdout.strip())
        except ValueError:
            return None

    def with_merge_times(self, postmortems: list[Postmortem]) -> list[Postmortem]:
        """``postmortems`` with each fix's ``merged_at`` read from its commit, where known."""
        if not any(fix.sha for pm in postmortems for item in pm.action_items for fix in item.fixes):
            return postmortems

        def timed(fix: Fix) -> Fix:
            if fix.sha is None or fix.merged_at is not None:
                return fix
            return replace(fix, merged_at=self.committed_at(fix.sha))

        return [
            replace(
                postmortem,
                action_items=tuple(
                    replace(item, fixes=tuple(map(timed, item.fixes)))
                    for item in postmortem.action_items
                ),
            )
            for postmortem in postmortems
        ]
