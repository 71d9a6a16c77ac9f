"""The GitLab source's decoders and mappers, on hand-written answers: each record decoded
once, a malformed one refused naming the record and the field, and the statuses mapped
member by member."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, get_args

import pytest

from deploygate.errors import SourceError
from deploygate.model import ActionItemState, DeploymentStatus, PostmortemState
from deploygate.sources.gitlab import records, source
from deploygate.sources.gitlab.settings import GitLabSettings

SINCE = datetime(2026, 10, 1, tzinfo=timezone.utc)
SETTINGS = GitLabSettings(url="https://gitlab.example", project="group/shop",
                          postmortem_project="group/shop")  # fmt: skip


def deployment(**fields: Any) -> dict[str, Any]:
    return {
        "id": 41,
        "status": "failed",
        "created_at": "2026-11-02T10:00:00.000Z",
        "sha": "0123456789abcdef",
        "environment": {"name": "production"},
        "deployable": {
            "name": "deploy",
            "failure_reason": "script_failure",
            "web_url": "https://gitlab.example/group/shop/-/jobs/7",
            "pipeline": {"web_url": "https://gitlab.example/group/shop/-/pipelines/3"},
            "commit": {"title": "Raise the pool size"},
        },
    } | fields


def issue(**fields: Any) -> dict[str, Any]:
    return {
        "id": 900,
        "iid": 2,
        "project_id": 5,
        "title": "Add an alert on the pool",
        "state": "closed",
        "labels": ["team::payments", "wontfix"],
        "references": {"full": "group/shop#2"},
        "description": "- [ ] #3",
        "web_url": "https://gitlab.example/group/shop/-/issues/2",
        "created_at": "2026-11-03T09:00:00Z",
        "closed_at": "2026-11-04T09:00:00Z",
        "due_date": "2026-11-10",
    } | fields


def job(**fields: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "name": "deploy 2/3",
        "ref": "main",
        "status": "failed",
        "failure_reason": "script_failure",
        "created_at": "2026-11-02T10:00:00Z",
        "web_url": "https://gitlab.example/group/shop/-/jobs/7",
        "commit": {"id": "abc123", "title": "Raise the pool size"},
        "pipeline": {"sha": "def456", "web_url": "https://gitlab.example/group/shop/-/pipelines/3"},
    } | fields


WANTED = records.RunsWanted(job="deploy", branch="main", since=SINCE)


def test_a_deployment_is_decoded_and_mapped() -> None:
    mapped = source.deployment(records.decode_deployment(deployment()), "checkout")
    assert mapped.id == "41"
    assert mapped.status is DeploymentStatus.FAILURE
    assert mapped.environment == "production"
    assert mapped.url == "https://gitlab.example/group/shop/-/jobs/7"
    assert mapped.failure_signature == "deploy: script_failure"
    assert mapped.failure_messages == ("script_failure",)  # the rules judge it generic
    assert mapped.commit_title == "Raise the pool size"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"id": None}, ["deployment None of 0123456", "whose id is None"]),
        ({"id": True}, ["whose id is True"]),
        ({"created_at": "yesterday"}, ["deployment 41", "created_at ('yesterday')"]),
        ({"status": "exploded"}, ["deployment 41", "status 'exploded'"]),
        ({"deployable": "job"}, ["deployment 41", "deployable 'job'"]),
        ({"environment": ["production"]}, ["deployment 41", "environment ['production']"]),
    ],
)
def test_a_malformed_deployment_is_refused_naming_it(
    fields: dict[str, Any], named: list[str]
) -> None:
    with pytest.raises(SourceError) as raised:
        records.decode_deployment(deployment(**fields))
    assert raised.value.source == "gitlab"
    for name in named:
        assert name in raised.value.problem


def test_every_deployment_and_job_status_maps() -> None:
    assert set(source.DEPLOYMENT_STATUSES) == set(get_args(records.DeploymentState))
    assert set(source.JOB_STATUSES) == set(records.JOB_STATES)


def test_a_deploy_jobs_parallel_copy_is_a_run_and_drops_its_shard() -> None:
    record = records.decode_job(job(), WANTED)
    assert record.run is not None
    mapped = source.job_deployment(record.run, "checkout", "production")
    assert mapped.failure_signature == "deploy: script_failure"
    assert mapped.failure_messages == ("script_failure",)
    assert mapped.sha == "abc123"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "test"},
        {"ref": "feature"},
        {"created_at": (SINCE - timedelta(days=1)).isoformat()},
    ],
    ids=["another-job", "another-branch", "before-the-window"],
)
def test_a_job_not_wanted_is_never_read_beyond_its_created_at(fields: dict[str, Any]) -> None:
    record = records.decode_job(job(web_url=None, status=1, **fields), WANTED)
    assert record.run is None


def test_a_deploy_run_without_a_web_url_is_refused() -> None:
    with pytest.raises(SourceError, match=r"job 7 without a web_url"):
        records.decode_job(job(web_url=""), WANTED)


def test_an_action_item_is_decoded_and_mapped() -> None:
    decoded = records.decode_action_item(issue())
    assert decoded.key == ("group/shop", 2)
    item = source.action_item(decoded, SETTINGS)
    assert item.id == "group/shop#2"
    assert item.state is ActionItemState.DECLINED
    assert item.reason == "closed as wontfix"
    assert item.team == "payments"
    assert item.due == date(2026, 11, 10)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"labels": "postmortem"}, "labels"),
        ({"labels": [1]}, "labels"),
        ({"references": {"full": 3}}, "references"),
        ({"due_date": 20261021}, "due_date"),
        ({"closed_at": "last week"}, "closed_at"),
        ({"created_at": None}, "created_at"),
        ({"state": "locked"}, "state"),
        ({"title": ["x"]}, "title"),
    ],
)
def test_a_malformed_action_item_is_refused_naming_it(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(SourceError) as raised:
        records.decode_action_item(issue(**fields))
    assert "#2 " in raised.value.problem
    assert field in raised.value.problem


def test_a_postmortem_needs_an_id_and_keeps_any_state() -> None:
    with pytest.raises(SourceError, match=r"whose id is None"):
        records.decode_postmortem(issue(id=None))
    decoded = records.decode_postmortem(issue(state="locked", labels=["service::checkout"]))
    assert source.covers(decoded, "checkout", SETTINGS)
    assert not source.covers(decoded, "search", SETTINGS)
    mapped = source.postmortem(decoded, [], {}, "checkout", SETTINGS)
    assert mapped.state is PostmortemState.CLOSED
    assert mapped.service == "checkout"


def test_a_postmortems_items_are_its_links_then_its_task_list() -> None:
    postmortem = records.decode_postmortem(issue(description="- [ ] #3\n- [ ] #2"))
    linked = records.decode_action_item(issue())
    referenced = records.decode_action_item(issue(iid=3, references={"full": "group/shop#3"}))
    looked_up = {("group/shop", 3): referenced}
    mapped = source.postmortem(postmortem, [linked], looked_up, "checkout", SETTINGS)
    assert [item.id for item in mapped.action_items] == ["group/shop#2", "group/shop#3"]


def test_the_username_and_default_branch() -> None:
    assert records.decode_username({"username": None}) == ""
    with pytest.raises(SourceError, match=r"the username 3"):
        records.decode_username({"username": 3})
    assert records.decode_default_branch({"default_branch": "main"}, "project p") == "main"
    with pytest.raises(SourceError, match=r"project p has no default branch"):
        records.decode_default_branch({"default_branch": ""}, "project p")
