"""Did the lesson ship? The five cases on the local store, with a real git repository.

The repository is made here with git itself (``commit-tree``, so an old
branch can lack a fix), the deployments as ``deploygate record --sha`` writes them, and
the postmortems name each fix by its commit in the task list's parenthesis
or the front matter. The check asks ``git merge-base --is-ancestor``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import findings_by_rule, json_report, run_cli
from fakes.shipped import (
    COMMITS,
    EXPECTED_FIXES,
    NO_CHANGE,
    UNSHIPPED,
    days_ago,
    local_story,
    record_history,
    write_postmortems,
)
from fakes.worlds import NOW

Story = tuple[Path, dict[str, str]]
"""The project folder and the shas of the story's commits by name."""


def check(proj: Path, *args: str) -> dict[str, Any]:
    result = run_cli(
        "check", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", "json", *args,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return json_report(result.stdout)


@pytest.fixture
def story(proj: Path) -> Story:
    return proj, local_story(proj)


def test_a_fix_merged_after_the_last_deploy_is_unshipped(story: Story) -> None:
    proj, shas = story
    report = check(proj)
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["level"] == "warning"
    assert unshipped["action_item"]["title"] == UNSHIPPED
    assert (
        f"its fix ({shas['F'][:7]}, merged {days_ago(2).date()}) has not reached production: "
        f"the latest production deployment ({shas['I'][:7]}, {days_ago(5).date()}) does not "
        "contain it" in unshipped["message"]
    )
    [fix] = unshipped["fixes"]
    assert fix["shipped"] is False
    assert fix["latest_deployment"]["sha"] == shas["I"]
    assert fix["in_deploying"] is None


def test_a_fix_that_shipped_is_no_finding_and_says_when(story: Story) -> None:
    """shipped_at is the first production deploy that held the fix, whatever the repeat saw:
    the learning-loop report's lesson lead time reads it."""
    proj, shas = story
    report = check(proj)
    unshipped = findings_by_rule(report, "unshipped-fix")
    assert {finding["action_item"]["title"] for finding in unshipped} == {UNSHIPPED}
    shipped_at = {
        shipment["fix"]["sha"]: shipment["fix"]["shipped_at"]
        for finding in findings_by_rule(report, "repeat-failure")
        for shipment in finding["fixes"]
    }
    for title, commit in (("Coalesce cache refills", "C"), ("Bound the payment queue", "E")):
        expected = days_ago(EXPECTED_FIXES[title]).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert shipped_at[shas[commit]] == expected, title
    assert shipped_at[shas["F"]] is None


def test_a_repeat_after_the_fix_shipped_says_the_lesson_did_not_work(story: Story) -> None:
    proj, shas = story
    report = check(proj)
    repeat = next(
        finding
        for finding in findings_by_rule(report, "repeat-failure")
        if finding["deployment"]["sha"] == shas["D"]
    )
    assert repeat["level"] == "error"
    assert (
        f"its fix {shas['C'][:7]} shipped to production in deployment checkout-3 on "
        f"{days_ago(44).date()}, and the failure repeated on {days_ago(30).date()}: the lesson "
        "did not work" in repeat["message"]
    )
    assert f"“{NO_CHANGE}” (no linked change)" in repeat["message"]
    [shipment] = repeat["fixes"]
    assert shipment["shipped"] is True
    assert shipment["shipped_in"]["sha"] == shas["C"]


def test_a_repeat_before_the_fix_shipped_says_so(story: Story) -> None:
    proj, shas = story
    report = check(proj)
    repeat = next(
        finding
        for finding in findings_by_rule(report, "repeat-failure")
        if finding["deployment"]["sha"] == shas["D'"]
    )
    assert (
        f"“Bound the payment queue” (its fix {shas['E'][:7]} had not shipped when the failure "
        "repeated)" in repeat["message"]
    )
    assert (
        f"“Alert on queue depth” (its fix {shas['F'][:7]} was merged only after the failure "
        "repeated)" in repeat["message"]
    )
    shipments = {shipment["fix"]["sha"]: shipment for shipment in repeat["fixes"]}
    assert shipments[shas["E"]]["shipped"] is False
    assert shipments[shas["E"]]["latest_deployment"]["sha"] == shas["C"]


def test_an_item_closed_with_no_change_is_no_finding(story: Story) -> None:
    proj, _ = story
    report = check(proj)
    about = [f for f in report["findings"] if (f["action_item"] or {}).get("title") == NO_CHANGE]
    assert about == []


def test_the_sha_being_deployed_ships_the_fix(story: Story) -> None:
    proj, shas = story
    report = check(proj, "--sha", shas["F"])
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["level"] == "notice"
    assert unshipped["message"].endswith("; this deploy ships it")
    assert unshipped["fixes"][0]["in_deploying"] is True
    # A deploy from the old branch does not ship it: still a warning.
    report = check(proj, "--sha", shas["D'"])
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["level"] == "warning"


def test_a_deploying_sha_is_one_commit_in_any_case_never_a_digit(story: Story) -> None:
    """git reads a name of 7+ hex digits in either case; one digit in common with the fix is
    not the fix, and is refused before anything is read."""
    proj, shas = story
    [unshipped] = findings_by_rule(check(proj, "--sha", shas["F"][:7].upper()), "unshipped-fix")
    assert unshipped["level"] == "notice"
    result = run_cli(
        "check", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", "json", "--sha", shas["F"][0],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert f"'{shas['F'][0]}' is not a commit sha; expected 7 to 64 hex digits" in line


def test_record_refuses_a_sha_that_is_not_hex(proj: Path) -> None:
    result = run_cli(
        "record", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--environment", "production", "--status", "success", "--sha", "abc1234&straight=true",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert "'abc1234&straight=true' is not a commit sha; expected 7 to 64 hex digits" in line
    assert (proj / "deployments.jsonl").read_text() == ""  # nothing recorded


def test_the_ci_sha_is_the_one_being_deployed(story: Story) -> None:
    proj, shas = story
    result = run_cli(
        "check", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", "json", env={"CI_COMMIT_SHA": shas["F"]},
    )  # fmt: skip
    [unshipped] = findings_by_rule(json_report(result.stdout), "unshipped-fix")
    assert unshipped["level"] == "notice"


def test_a_service_that_deploys_to_prod_is_told_to_name_it_not_warned_per_fix(
    story: Story,
) -> None:
    """With no environment named, fixes follow production; a service whose environment is
    ``prod`` would get a warning for every done fix, so it gets one notice instead."""
    proj, _ = story
    history = proj / "deployments.jsonl"
    history.write_text(history.read_text().replace('"production"', '"prod"'))
    report = check(proj)
    assert findings_by_rule(report, "unshipped-fix") == []
    [local] = report["sources"]
    [notice] = [n for n in local["notices"] if "--environment" in n]
    assert notice == (
        "whether each done item's fix has shipped was not checked: checkout has no successful "
        "production deployment and no environment was named; name the one its fixes must "
        "reach with --environment (checkout deploys to prod)"
    )
    [unshipped] = findings_by_rule(check(proj, "--environment", "prod"), "unshipped-fix")
    assert unshipped["level"] == "warning"


def test_without_a_repository_the_check_says_it_could_not_follow_fixes(proj: Path) -> None:
    shas = {commit.name: f"{index:x}" * 40 for index, commit in enumerate(COMMITS, start=1)}
    shas = {name: sha[:40] for name, sha in shas.items()}
    record_history(proj, shas)
    write_postmortems(proj, shas)  # and no repository
    report = check(proj)
    assert findings_by_rule(report, "unshipped-fix") == []
    [local] = report["sources"]
    assert any(
        notice.startswith(f"no git repository at {proj}: whether each done item's fix has shipped")
        for notice in local["notices"]
    ), local["notices"]
    # A deployment of the fix's own commit holds it, git or not, but whether an earlier one
    # did cannot be told without git: when it first shipped is unknown, not that deployment.
    messages = " ".join(
        finding["message"] for finding in findings_by_rule(report, "repeat-failure")
    )
    assert f"its fix {shas['C'][:7]} shipped to production" not in messages
    assert f"its fix {shas['C'][:7]}: whether it had shipped could not be told" in messages
    assert f"its fix {shas['E'][:7]}: whether it had shipped could not be told" in messages


def test_a_fix_key_that_is_neither_sha_nor_url_is_refused(proj: Path) -> None:
    (proj / "postmortems" / "pm.md").write_text(
        '+++\nservice = "checkout"\ndate = 2026-11-10\n+++\n# Down\n'
        "- [x] Add a check (fix: the big refactor)\n"
    )
    result = run_cli(
        "check", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--now", NOW.isoformat(),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "pm.md:6: fix:" in result.stderr
    assert "not a commit sha or a change's URL" in result.stderr


def test_a_fix_that_is_a_pull_request_url_says_it_cannot_be_followed(proj: Path) -> None:
    """The file holds no merge commit for a request's URL: the check says which item it
    cannot follow and how to let it, rather than look as if it followed it."""
    (proj / "postmortems" / "pm.md").write_text(
        '+++\nservice = "checkout"\ndate = 2026-11-10\n+++\n# Down\n'
        "- [x] Add a check (fix: https://github.com/acme/shop/pull/42)\n"
        "- [x] Bound the queue (fix: 4f2a9c1)\n"
    )
    report = check(proj)
    [local] = report["sources"]
    unfollowed = [notice for notice in local["notices"] if "names no commit" in notice]
    assert unfollowed == [
        "action item “Add a check” (postmortems/pm.md:6): its fix PR #42 names no commit; "
        "write fix: SHA to follow it"
    ]
