"""platforms: which platform a run writes to, and the one sticky upsert every writer uses.

The writers themselves are tested against the fake GitHub and GitLab in
test_publish_report, test_override_notes and the reliability suite.
"""

from __future__ import annotations

import pytest

from deploygate import platforms
from deploygate.platforms.sticky import NotLanded, upsert


@pytest.mark.parametrize(
    ("sources", "env", "expected"),
    [
        (("github",), {"GITLAB_CI": "true"}, "github"),
        (("local", "gitlab"), {"GITHUB_ACTIONS": "true"}, "gitlab"),
        (("local",), {"GITLAB_CI": "true"}, "gitlab"),
        (("local",), {"GITHUB_ACTIONS": "true"}, "github"),
        (("local", "jira"), {}, None),
    ],
)
def test_the_platform_is_the_sources_else_the_ci(
    sources: tuple[str, ...], env: dict[str, str], expected: str | None
) -> None:
    assert platforms.pick(sources, env) == expected


class Thread:
    """A list of comments with a create that can fail before or after it lands."""

    def __init__(self, *, ours: bool = False, fail: str | None = None) -> None:
        self.comments: list[str] = ["ours: old"] if ours else []
        self.fail = fail
        self.creates = 0

    def find(self) -> int | None:
        return next((i for i, body in enumerate(self.comments) if body.startswith("ours")), None)

    def create(self) -> int:
        self.creates += 1
        if self.fail == "after landing":
            self.comments.append("ours: new")
            raise TimeoutError("the answer was lost")
        if self.fail == "before landing":
            raise TimeoutError("refused")
        if self.fail == "forbidden":
            raise PermissionError("403")
        self.comments.append("ours: new")
        return len(self.comments) - 1

    def edit(self, index: int) -> None:
        self.comments[index] = "ours: edited"


def upsert_into(thread: Thread) -> tuple[int, bool]:
    return upsert(
        thread.find,
        thread.create,
        thread.edit,
        errors=(TimeoutError, PermissionError),
        final=lambda error: isinstance(error, PermissionError),
    )


def test_ours_is_edited_and_nothing_is_created() -> None:
    thread = Thread(ours=True)
    assert upsert_into(thread) == (0, False)
    assert (thread.comments, thread.creates) == (["ours: edited"], 0)


def test_a_create_that_landed_is_found_and_edited_never_created_twice() -> None:
    thread = Thread(fail="after landing")
    assert upsert_into(thread) == (0, False)
    assert (thread.comments, thread.creates) == (["ours: edited"], 1)


def test_a_create_that_did_not_land_is_not_retried() -> None:
    thread = Thread(fail="before landing")
    with pytest.raises(NotLanded) as failed:
        upsert_into(thread)
    assert isinstance(failed.value.cause, TimeoutError)
    assert (thread.comments, thread.creates) == ([], 1)


def test_a_final_error_is_raised_without_looking_again() -> None:
    thread = Thread(fail="forbidden")
    with pytest.raises(PermissionError):
        upsert_into(thread)
    assert thread.creates == 1
