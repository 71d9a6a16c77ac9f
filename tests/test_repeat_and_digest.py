"""The repeat-failure rule (true repeats, near misses, normalisation) and the lessons digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import NOW, MemorySource, ago, deployment, item, postmortem

from deploygate.config import load
from deploygate.formats import FORMATS, RenderOptions
from deploygate.gate import check, learning_report
from deploygate.model import ActionItemState, History, Level, Query, RuleId, Waiver
from deploygate.rules import Policy, normalise_signature, specific_messages
from deploygate.sources import REGISTRY


def run(history: History):
    policy = Policy()
    return check([MemorySource(history)], Query("checkout", None, NOW, policy.lookback), policy)


def repeats(report):
    return [finding for finding in report.findings if finding.rule is RuleId.REPEAT_FAILURE]


def failed(
    id: str,
    days: float,
    description: str | None = None,
    signature: str | None = None,
    messages: tuple[str, ...] = (),
):
    return replace(
        deployment(id, at=ago(days=days), sha=None),
        description=description,
        failure_signature=signature,
        failure_messages=messages,
    )


def reviewed_by(failure, days: float, **changes):
    done = replace(item("Add a config schema check", state=ActionItemState.DONE), id="pm#done")
    return replace(
        postmortem(f"pm-{failure.id}", at=ago(days=days), refs=(failure.id,), items=(done,)),
        **changes,
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Timeout after 30s on pod web-7f9c2 at 2026-09-08T14:05Z",
            "timeout after 45s on pod web-1a2b3 at 2026-11-05T09:00Z",
        ),
        (
            "Timeout after 30s on pod web-7f9c2ab at 2026-09-08T14:05:07.123Z",
            "timeout after 45s on pod web-1a2b3cd at 2026-11-05 09:00",
        ),
        ("Migration 0042 failed: lock wait exceeded", "Migration 0057 FAILED: lock wait exceeded!"),
        (
            "request 123e4567-e89b-12d3-a456-426614174000 failed: upstream reset",
            "Request deadbeef-cafe-babe-face-feedfacecafe failed: upstream reset",
        ),
        (
            "pod checkout-7d9f8b6c5-x2k4p CrashLoopBackOff",
            "pod checkout-5c8b9d7f4-q9wzt CrashLoopBackOff",
        ),
        ("image sha256:9b2e7d4c0ffee pull failed", "image sha256:deadbeefcafe pull failed"),
    ],
)
def test_normalisation_drops_what_changes_between_runs(first: str, second: str) -> None:
    assert normalise_signature(first) == normalise_signature(second)
    assert len(normalise_signature(first).split()) >= 3


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Timeout on pod web-7f9c2", "Timeout on pod api-7f9c2"),
        ("Migration 0042 failed: lock wait exceeded", "Migration 0042 failed: disk full"),
        ("pod checkout CrashLoopBackOff", "pod checkout OOMKilled"),
    ],
)
def test_normalisation_keeps_what_tells_failures_apart(first: str, second: str) -> None:
    assert normalise_signature(first) != normalise_signature(second)


GENERIC = "Process completed with exit code 1."
MIGRATION = 'Error: migration 0042 failed: relation "orders_2026" already exists'


@pytest.mark.parametrize(
    "message",
    [
        "Process completed with exit code 1.",
        "Error: Process completed with exit code 137.",
        "The process '/usr/bin/helm' failed with exit code 1",
        "The operation was canceled.",
        "The job running on runner GitHub Actions 12 has exceeded the maximum execution time "
        "of 360 minutes.",
        "The runner has received a shutdown signal. This can happen when the runner service "
        "is stopped, or a manually started runner is canceled.",
        "script_failure",
        "unknown_failure",
        "Deployment failed",
        "deploy failed",
        "The deployment has failed",
        "Failed",
        "error",
        "",
    ],
)
def test_a_generic_message_is_no_evidence(message: str) -> None:
    """What every failed deploy says names no failure, so it can never make two alike."""
    assert specific_messages(failed("d1", 1, messages=(message,))) == ()


@pytest.mark.parametrize(
    "message",
    [
        MIGRATION,
        "runner_system_failure",
        "missing_dependency_failure",
        "Helm upgrade failed: timed out waiting for the condition",
        "OOMKilled",
    ],
)
def test_a_message_that_names_the_failure_is_evidence(message: str) -> None:
    """It is kept, normalised, and the generic line beside it is not."""
    assert specific_messages(failed("d1", 1, messages=(message, GENERIC))) == (
        normalise_signature(message).removeprefix("error "),
    )


def test_the_same_failing_job_alone_is_a_related_prior_failure_notice() -> None:
    """Deploy jobs fail in the same step whatever the cause: the place is no evidence."""
    earlier = failed("d1", 40, signature="deploy: script_failure", messages=("script_failure",))
    later = failed("d2", 10, signature="deploy: script_failure", messages=("script_failure",))
    report = run(History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 39),)))
    [finding] = repeats(report)
    assert finding.level is Level.NOTICE
    assert finding.deployment is later
    assert finding.message.startswith("Related prior failure: deployment d2")
    assert "the same failing job (deploy: script_failure) as deployment d1" in finding.message
    assert report.verdict.value != "block"


def test_the_same_specific_error_is_a_repeat_with_its_evidence() -> None:
    earlier = failed("d1", 40, signature="deploy: Deploy", messages=(MIGRATION, GENERIC))
    later = failed(
        "d2",
        10,
        signature="deploy: Deploy",
        messages=('Error: migration 0057 failed: relation "orders_2027" already exists', GENERIC),
    )
    report = run(History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 39),)))
    [finding] = repeats(report)
    assert finding.level is Level.ERROR
    assert finding.deployment is later
    assert finding.message.startswith("Repeat failure: deployment d2")
    assert (
        "the same error (“migration failed relation orders already exists”) as deployment d1"
        in finding.message
    )
    assert "its done action items: “Add a config schema check”" in finding.message


def test_a_shared_cause_label_is_a_repeat() -> None:
    earlier, later = failed("d1", 40), failed("d2", 10)
    history = History(
        deployments=(earlier, later),
        postmortems=(
            reviewed_by(earlier, 39, causes=("config-drift",)),
            reviewed_by(later, 9, causes=("config-drift", "alerting")),
        ),
    )
    [finding] = repeats(run(history))
    assert "the same cause (config-drift)" in finding.message


def test_a_similar_description_is_only_a_related_prior_failure_notice() -> None:
    earlier = failed("d1", 40, "Health check failed on canary web-1a2b3c4 after 120s")
    later = failed("d2", 10, "Health check failed on canary web-9f8e7d6 after 95s")
    report = run(History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 39),)))
    [finding] = repeats(report)
    assert finding.level is Level.NOTICE
    assert finding.message.startswith("Related prior failure:")


@pytest.mark.parametrize(
    "near_miss",
    [
        "other errors",
        "generic description",
        "earlier failure not reviewed",
        "postmortem written after the later failure",
        "different causes",
        "later failure first",
    ],
)
def test_near_misses_are_not_repeats(near_miss: str) -> None:
    earlier = failed("d1", 40, messages=(MIGRATION,))
    later = failed("d2", 10, messages=(MIGRATION,))
    postmortems = (reviewed_by(earlier, 39),)
    if near_miss == "other errors":
        later = replace(later, failure_messages=("Error: disk full on /var/lib/postgresql",))
    elif near_miss == "generic description":
        earlier = replace(earlier, failure_messages=(), description="Deploy failed")
        later = replace(later, failure_messages=(), description="Deploy failed")
    elif near_miss == "earlier failure not reviewed":
        postmortems = ()
    elif near_miss == "postmortem written after the later failure":
        postmortems = (reviewed_by(earlier, 5),)
    elif near_miss == "different causes":
        earlier = replace(earlier, failure_messages=())
        later = replace(later, failure_messages=())
        postmortems = (
            reviewed_by(earlier, 39, causes=("config-drift",)),
            reviewed_by(later, 9, causes=("capacity",)),
        )
    elif near_miss == "later failure first":
        earlier, later = replace(earlier, created_at=later.created_at + timedelta(days=1)), later
    assert repeats(run(History(deployments=(earlier, later), postmortems=postmortems))) == []


@pytest.mark.parametrize(
    ("earlier_messages", "later_messages"),
    [
        ((MIGRATION, GENERIC), ("Error: disk full on /var/lib/postgresql", GENERIC)),
        ((GENERIC,), (GENERIC,)),
        (("script_failure",), ("unknown_failure",)),
    ],
    ids=["same step, different specific errors", "generic text only", "generic reasons"],
)
def test_the_same_step_without_the_same_specific_error_is_only_related(
    earlier_messages: tuple[str, ...], later_messages: tuple[str, ...]
) -> None:
    earlier = failed("d1", 40, signature="deploy: Deploy", messages=earlier_messages)
    later = failed("d2", 10, signature="deploy: Deploy", messages=later_messages)
    report = run(History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 39),)))
    assert [(f.level, f.message.split(":")[0]) for f in repeats(report)] == [
        (Level.NOTICE, "Related prior failure")
    ]


def test_the_digest_is_in_the_markdown_on_a_passing_run_too() -> None:
    body = (
        "# Cart totals\n\n## What we learned:\n\n- Rounding belongs to the provider's contract\n"
        "- Test every currency @all <b>x</b>\n\n## Action items\n\n- [ ] not a lesson\n"
    )
    pm = replace(postmortem("pm-1", at=ago(days=30)), body=body, url="https://x.example/1")
    older = [replace(postmortem(f"old-{n}", at=ago(days=100 + n)), lessons="old") for n in range(3)]
    report = run(History(postmortems=(pm, *older)))
    assert report.verdict.value == "pass"
    markdown = FORMATS["markdown"](report, RenderOptions())
    digest = markdown.split("#### Lessons from past failures of checkout", 1)[1]
    assert "- **[Postmortem pm-1](https://x.example/1)** (2026-10-21)" in digest
    assert "Rounding belongs to the provider's contract · Test every currency" in digest
    assert "@all" not in digest
    assert "<b>" not in digest
    assert "- and 1 older postmortem" in digest
    assert "not a lesson" not in digest


def test_the_lessons_headings_come_from_the_config(tmp_path) -> None:
    body = "# Cart totals\n\n## Takeaways\n\nRound at the provider, not in the cart.\n"
    history = History(postmortems=(replace(postmortem("pm-1", at=ago(days=30)), body=body),))
    default = run(history)
    assert default.postmortems[0].lessons == ""
    config = tmp_path / "deploygate.toml"
    config.write_text('lessons-headings = ["Takeaways", "Lessons"]\n')
    policy = load(config, tmp_path, REGISTRY).policy(None)
    assert policy.lessons_headings == ("Takeaways", "Lessons")
    report = check([MemorySource(history)], Query("checkout", None, NOW, policy.lookback), policy)
    markdown = FORMATS["markdown"](report, RenderOptions())
    assert "> Round at the provider, not in the cart." in markdown


def test_a_repeat_of_a_failure_before_the_lookback_window_is_still_a_repeat() -> None:
    # The earlier failure is 120 days old, the window 90: it is never judged
    # itself, but its lesson still did not stick.
    earlier = failed("d1", 120, signature="deploy: Deploy", messages=(MIGRATION,))
    later = failed("d2", 10, signature="deploy: Deploy", messages=(MIGRATION,))
    report = run(History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 119),)))
    [finding] = repeats(report)
    assert finding.level is Level.ERROR
    assert "as deployment d1 (production, 2026-07-23)" in finding.message
    assert report.summary.failed_deployments == 1
    assert report.summary.reviewed_failures == 0
    assert all(f.deployment is not earlier for f in report.findings)


def test_the_report_counts_repeats_whatever_their_level_or_where_the_earlier_failure_is() -> None:
    earlier = failed("d1", 120, signature="deploy: Deploy", messages=(MIGRATION,))
    later = failed("d2", 10, signature="deploy: Deploy", messages=(MIGRATION,))
    history = History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 119),))
    waived = Policy(
        waivers=(
            Waiver(
                reason="known flaky runner",
                expires=(NOW + timedelta(days=30)).date(),
                team="platform",
                rule=RuleId.REPEAT_FAILURE,
                subject="d2",
            ),
        )
    )
    off = Policy(levels={**Policy().levels, RuleId.REPEAT_FAILURE: None})
    for policy in (Policy(), waived, off):
        loop = learning_report(
            [MemorySource(history)], ["checkout"], policy, now=NOW, period=timedelta(days=30)
        )
        assert loop.services[0].repeat_failures == 1


@pytest.mark.parametrize("by", ["description", "failing job"])
def test_the_report_counts_a_related_prior_failure_apart_from_repeats(by: str) -> None:
    if by == "description":
        earlier = failed("d1", 40, description="Deploy failed: migration lock wait exceeded")
        later = failed("d2", 10, description="Deploy failed: migration lock wait exceeded")
    else:
        earlier = failed("d1", 40, signature="deploy: Deploy", messages=(GENERIC,))
        later = failed("d2", 10, signature="deploy: Deploy", messages=(GENERIC,))
    history = History(deployments=(earlier, later), postmortems=(reviewed_by(earlier, 39),))
    [finding] = repeats(run(history))
    assert finding.level is Level.NOTICE
    loop = learning_report(
        [MemorySource(history)], ["checkout"], Policy(), now=NOW, period=timedelta(days=90)
    )
    assert (loop.services[0].repeat_failures, loop.services[0].related_failures) == (0, 1)


def test_a_failure_before_the_window_never_changes_how_the_windows_failures_are_linked() -> None:
    # The postmortem names the 100-day-old failure and was written five hours after
    # the new one: within the window it reviews the new one by time, as it would on
    # a source that holds only the window.
    old = replace(failed("old", 100), sha="a" * 40)
    new = replace(failed("new", 10), sha="b" * 40)
    review = replace(
        postmortem("pm", at=ago(days=10) + timedelta(hours=5)), body=f"caused by {'a' * 40}"
    )
    with_old = run(History(deployments=(old, new), postmortems=(review,)))
    window_only = run(History(deployments=(new,), postmortems=(review,)))
    assert with_old.findings == window_only.findings
    [reviewed] = [f for f in with_old.findings if f.rule is RuleId.REVIEWED_FAILURE]
    assert reviewed.deployment == new
    assert "linked by time-window" in reviewed.message
