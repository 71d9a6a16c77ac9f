"""Failure ↔ postmortem linking: references first, then the time window, with evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import ago, deployment, postmortem

from deploygate.linking import link_failures, mentions, normalise_url, path_reference
from deploygate.model import Deployment, LinkKind

WINDOW = timedelta(hours=72)


def test_id_as_a_whole_word_links_by_reference() -> None:
    failure = deployment("4711", at=ago(days=30))
    review = link_failures([failure], [postmortem(body="Deployment 4711 failed.")], WINDOW)
    assert review["4711"].link is LinkKind.REFERENCE
    assert review["4711"].evidence == "mentions deployment id 4711"


def test_id_inside_a_longer_word_or_version_does_not_link() -> None:
    failure = deployment("10", at=ago(days=30), sha=None)
    body = "We rolled back to v2.10 and deployment 4710; see checkout-10 and 100 users."
    assert link_failures([failure], [postmortem(at=ago(days=1), body=body)], WINDOW) == {}


def test_sha_prefix_of_seven_or_more_hex_links_case_insensitively() -> None:
    failure = deployment("1", at=ago(days=30), sha="9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90")
    review = link_failures([failure], [postmortem(body="Commit 9B2E7D41 broke it")], WINDOW)
    assert review["1"].evidence == "mentions sha 9b2e7d41"


def test_six_hex_characters_are_not_enough() -> None:
    failure = deployment("1", at=ago(days=30), sha="9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90")
    assert link_failures([failure], [postmortem(body="Commit 9b2e7d broke it")], WINDOW) == {}


def test_url_links_despite_trailing_slash_punctuation_and_host_case() -> None:
    failure = deployment("1", at=ago(days=30), sha=None, url="https://ci.example/deploys/77")
    body = "See (https://CI.example/deploys/77/)."
    review = link_failures([failure], [postmortem(body=body)], WINDOW)
    assert review["1"].evidence == "links https://ci.example/deploys/77"


def test_explicit_front_matter_references_link() -> None:
    failure = deployment("1041", at=ago(days=30))
    review = link_failures([failure], [postmortem(refs=("1041",))], WINDOW)
    assert review["1041"].link is LinkKind.REFERENCE


def test_postmortem_written_before_the_deployment_cannot_review_it() -> None:
    failure = deployment("12", at=ago(days=5))
    old = postmortem(at=ago(days=60), body="Deployment 12 of the old system failed.")
    assert link_failures([failure], [old], WINDOW) == {}


def test_time_window_links_the_first_postmortem_written_inside_the_window() -> None:
    failure = deployment("7", at=ago(days=20), sha=None)
    late = postmortem("late", at=ago(days=20) + timedelta(hours=80))
    inside = postmortem("inside", at=ago(days=20) + timedelta(hours=22))
    review = link_failures([failure], [late, inside], WINDOW)
    assert review["7"].postmortem.id == "inside"
    assert review["7"].link is LinkKind.TIME_WINDOW
    assert "22 h after the failure" in review["7"].evidence


def test_postmortem_outside_the_window_does_not_link() -> None:
    failure = deployment("7", at=ago(days=20), sha=None)
    assert (
        link_failures(
            [failure], [postmortem(at=ago(days=20) + timedelta(hours=73))], timedelta(hours=72)
        )
        == {}
    )


def test_reference_wins_over_an_earlier_time_window_match() -> None:
    failure = deployment("7", at=ago(days=20), sha=None)
    near = postmortem("near", at=ago(days=20) + timedelta(hours=1))
    referencing = postmortem("ref", at=ago(days=10), body="deployment 7")
    review = link_failures([failure], [near, referencing], WINDOW)
    assert (review["7"].postmortem.id, review["7"].link) == ("ref", LinkKind.REFERENCE)


def test_mentions_trim_sentence_punctuation() -> None:
    keys, _ = mentions("Deployment 4711. Then #4712, and (4713)")
    assert {"4711", "4712", "4713"} <= keys
    assert "4711." not in keys


def test_normalise_url_keeps_path_case() -> None:
    assert normalise_url("HTTPS://GitHub.com/Org/Repo/") == "https://github.com/Org/Repo"


def test_prose_numbers_never_match_service_prefixed_ids() -> None:
    failure = deployment("checkout-1", at=ago(days=30), sha=None)
    body = "It took 1 hour; checkout-10 was fine."  # written after the link window
    assert link_failures([failure], [postmortem(at=ago(days=20), body=body)], WINDOW) == {}
    named = postmortem(at=ago(days=20), body="Deployment checkout-1 failed.")
    assert link_failures([failure], [named], WINDOW)["checkout-1"].link is LinkKind.REFERENCE


def test_text_reference_counts_from_the_day_of_the_failure() -> None:
    # A postmortem dated by day alone (midnight) still reviews that day's failure.
    failure = deployment("checkout-4", at=ago(days=10) + timedelta(hours=14), sha=None)
    same_day = postmortem(at=failure.created_at.replace(hour=0, minute=0), body="checkout-4")
    day_before = postmortem(at=same_day.created_at - timedelta(seconds=1), body="checkout-4")
    assert link_failures([failure], [same_day], WINDOW)["checkout-4"].postmortem is same_day
    assert link_failures([failure], [day_before], WINDOW) == {}


def test_an_explicit_front_matter_entry_counts_whenever_it_was_written() -> None:
    failure = deployment("checkout-4", at=ago(days=10), sha=None)
    listed = postmortem(at=ago(days=60), refs=("checkout-4",))
    review = link_failures([failure], [listed], WINDOW)["checkout-4"]
    assert review.evidence == "lists it: deployment id checkout-4"


def test_a_postmortem_about_one_failure_is_not_a_time_window_guess_for_another() -> None:
    first = deployment("checkout-1", at=ago(days=20), sha=None)
    second = deployment("checkout-2", at=ago(days=20) + timedelta(hours=1), sha=None)
    about_second = postmortem(at=ago(days=20) + timedelta(hours=5), body="checkout-2 failed")
    reviews = link_failures([first, second], [about_second], WINDOW)
    assert set(reviews) == {"checkout-2"}


def test_the_link_window_boundary_is_inclusive() -> None:
    failure = deployment("checkout-1", at=ago(days=20), sha=None)
    edge = postmortem(at=failure.created_at + WINDOW)
    assert link_failures([failure], [edge], WINDOW)["checkout-1"].link is LinkKind.TIME_WINDOW


# -- the references people paste -----------------------------------------------------

RUN = "https://github.com/acme/shop/actions/runs/987654321"
RUN_EVIDENCE = "links run 987654321 of its log URL"
GL_PROJECT = "https://gitlab.example.com/acme/platform/shop"
GL_JOB = f"{GL_PROJECT}/-/jobs/4242"
GL_PIPELINE = f"{GL_PROJECT}/-/pipelines/777"
SHA = "9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90"


def failed(url: str, *other_urls: str, sha: str | None = None) -> Deployment:
    return replace(deployment("1", at=ago(days=30), sha=sha, url=url), other_urls=other_urls)


def evidence(failure: Deployment, body: str) -> str | None:
    review = link_failures([failure], [postmortem(at=ago(days=1), body=body)], WINDOW).get("1")
    assert review is None or review.link is LinkKind.REFERENCE
    return review.evidence if review else None


RUN_PAGES = [
    RUN,
    f"{RUN}/",
    f"{RUN}/attempts/2",
    f"{RUN}/job/123456789",
    f"{RUN}/jobs/123456789",
    f"{RUN}?pr=12",
    f"{RUN}/job/123456789?pr=12#step:4:12",
    f"{RUN}#summary-123",
    "https://GitHub.com/Acme/Shop/actions/runs/987654321/attempts/1",
    "http://github.com/acme/shop/actions/runs/987654321/usage",
]


@pytest.mark.parametrize("pasted", RUN_PAGES)
@pytest.mark.parametrize("sentence", ["The deploy failed, see {}.", "See {}, then {}; or {}:"])
def test_any_page_of_the_run_links_a_failure_whose_log_url_is_a_job_of_it(
    pasted: str, sentence: str
) -> None:
    failure = failed(f"{RUN}/job/111222333")
    assert evidence(failure, sentence.format(pasted, "x", "y")) == RUN_EVIDENCE


@pytest.mark.parametrize("pasted", [page for page in RUN_PAGES if page.rstrip("/") != RUN])
def test_a_job_of_the_run_links_a_failure_whose_log_url_is_the_run(pasted: str) -> None:
    assert evidence(failed(RUN), f"Job log: <{pasted}>") == RUN_EVIDENCE


def test_pasting_the_log_url_itself_says_so_rather_than_the_run() -> None:
    job = f"{RUN}/job/111222333"
    assert evidence(failed(job), f"See {job}") == f"links {job}"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://github.com/acme/shop/actions/runs/98765432",  # a prefix of the run id
        "https://github.com/acme/shop/actions/runs/9876543210",
        "https://github.com/acme/api/actions/runs/987654321",  # another repository
        "https://github.example.com/acme/shop/actions/runs/987654321",  # another host
        "https://github.com/acme/shop/actions/workflows/deploy.yml",
        "run 987654321 failed",  # a number in prose is not a URL of the run
    ],
)
def test_another_run_or_a_bare_number_does_not_link(pasted: str) -> None:
    assert evidence(failed(f"{RUN}/job/111222333"), pasted) is None


def test_a_run_url_in_the_front_matter_list_links_whenever_it_was_written() -> None:
    failure = failed(f"{RUN}/job/111222333")
    listed = postmortem(at=ago(days=60), refs=(f"{RUN}/attempts/2",))
    review = link_failures([failure], [listed], WINDOW)["1"]
    assert review.evidence == f"lists it: {RUN_EVIDENCE}"


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        (f"{GL_JOB}/raw", "links its job 4242"),
        (f"{GL_JOB}#L120", "links its job 4242"),
        (f"{GL_JOB.upper().replace('/-/JOBS/', '/-/jobs/')}?x=1", "links its job 4242"),
        (f"{GL_PIPELINE}/failures", "links its pipeline 777"),
        (f"{GL_PIPELINE}?tab=jobs", "links its pipeline 777"),
        (GL_PIPELINE, f"links {GL_PIPELINE}"),
        (f"{GL_PROJECT}/-/jobs/42420", None),
        (f"{GL_PROJECT}/-/pipelines/7777", None),
        ("https://gitlab.example.com/acme/platform/api/-/jobs/4242", None),
        ("https://gitlab.example.com/acme/shop/-/pipelines/777", None),
    ],
)
def test_gitlab_job_and_pipeline_pages_link_the_failure_they_ran(
    pasted: str, expected: str | None
) -> None:
    failure = failed(GL_JOB, GL_JOB, GL_PIPELINE)
    assert evidence(failure, f"Broken by {pasted}") == expected


@pytest.mark.parametrize(
    ("deployed", "pasted", "expected"),
    [
        (SHA, f"https://github.com/acme/shop/commit/{SHA}", f"links commit {SHA}"),
        (SHA, f"https://github.com/acme/shop/commit/{SHA[:10]}.patch", f"links commit {SHA[:10]}"),
        (SHA, f"{GL_PROJECT}/-/commit/{SHA.upper()}?view=parallel", f"links commit {SHA}"),
        (SHA, f"https://github.com/acme/shop/pull/3/commits/{SHA}", f"links commit {SHA}"),
        # A short sha recorded by CI names the same commit as the full one pasted.
        (SHA[:7], f"https://github.com/acme/shop/commit/{SHA}", f"links commit {SHA}"),
        (SHA[:7], f"Reverted {SHA}.", f"mentions sha {SHA}"),
        (SHA, f"https://github.com/acme/shop/commit/{SHA[:6]}", None),
        (SHA[:7], f"https://github.com/acme/shop/commit/{SHA[:6]}f{SHA[7:]}", None),
    ],
)
def test_a_sha_or_a_commit_url_holding_it_links(
    deployed: str, pasted: str, expected: str | None
) -> None:
    failure = failed(f"{RUN}/job/1", sha=deployed)
    assert evidence(failure, pasted) == expected


def test_numbers_inside_urls_are_not_deployment_ids() -> None:
    # GitLab numbers deployments, issues and environments alike: issue 12 and the
    # environment page 12 say nothing about deployment 12.
    failure = replace(deployment("12", at=ago(days=30), sha=None), url=GL_JOB)
    body = f"- [ ] {GL_PROJECT}/-/issues/12\nSee {GL_PROJECT}/-/environments/12."
    assert link_failures([failure], [postmortem(at=ago(days=1), body=body)], WINDOW) == {}
    named = postmortem(at=ago(days=1), body="Deployment 12 failed.")
    assert link_failures([failure], [named], WINDOW)["12"].evidence == "mentions deployment id 12"


def test_path_reference_is_canonical_across_forms() -> None:
    forms = [f"{RUN}/attempts/2?x=1#y", "HTTP://GITHUB.COM/ACME/SHOP/actions/runs/987654321/"]
    keys = {getattr(path_reference(url), "key", None) for url in forms}
    assert keys == {"run:github.com/acme/shop/987654321"}
    assert path_reference("https://shop.example.com") is None
