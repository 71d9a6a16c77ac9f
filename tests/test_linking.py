"""Failure ↔ postmortem linking: references first, then the time window, with evidence."""

from __future__ import annotations

from datetime import timedelta

from conftest import ago, deployment, postmortem

from deploygate.linking import link_failures, normalise_url, reference_keys
from deploygate.model import LinkKind

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


def test_reference_keys_trim_sentence_punctuation() -> None:
    keys = reference_keys("Deployment 4711. Then #4712, and (4713)")
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
