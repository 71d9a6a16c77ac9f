"""The reliability and security suite: which test covers which case of the issue.

Backends: the local store, GitHub (tests/fakes/github.py), GitLab (tests/fakes/gitlab.py),
Jira (tests/fakes/jira.py), incident.io (tests/fakes/incidentio.py), Rootly
(tests/fakes/rootly.py) and Linear (tests/fakes/linear.py), all through the real CLI.
GitLab's cases run on both of its paths (``fake_gitlab`` in reliability/helpers.py):
GraphQL, and the REST fallback of a GitLab before 17.8; the cases that forge REST answers
run on REST, and malformed GraphQL answers are
reliability/test_reliability_malformed.py::test_gitlab_malformed_graphql_answers. The
local store sends no request, so the network cases (6-11, 14, 16) do not apply to it; its
malformed files are tests/test_bad_input.py, tests/test_config.py and tests/test_fuzz.py.
Jira (tests/fakes/jira.py), incident.io (tests/fakes/incidentio.py), Rootly
(tests/fakes/rootly.py) and Linear (tests/fakes/linear.py) share one suite,
reliability/test_reliability_trackers.py, run once per tracker over its adapter in
tests/fakes/trackers.py:
::test_hostile_titles_never_become_runner_commands (1),
::test_a_markdown_title_is_inert (3),
::test_a_5xx_storm_is_bounded_and_not_verified and
::test_a_5xx_storm_under_on_error_warn_exits_0_not_verified (7),
::test_a_rate_limit_is_waited_out and ::test_a_rate_limit_an_hour_away_fails_at_once (8),
::test_junk_retry_after_never_crashes (9),
::test_a_hung_or_dripping_tracker_stops_at_the_deadline (10),
::test_a_redirect_to_another_host_is_refused (11),
::test_malformed_answers_fail_with_one_clear_line (12; a repeated page token, cursor or
links.next, 11),
::test_the_token_never_leaks and ::test_a_token_pasted_into_an_item_is_not_repeated (13),
::test_an_unreachable_tracker_is_not_verified (14),
::test_a_bug_in_the_source_is_exit_4 (exit 4, not 3), and the baseline the cases break,
::test_a_healthy_tracker_gives_the_expected_findings_and_leaks_nothing.
What only one vendor has stays in its own file. Jira, reliability/test_reliability_jira.py:
::test_a_reset_in_the_last_second_of_a_minute_is_waited_out (8),
::test_canary_a_real_run_against_a_dripping_jira_ends_by_itself (10, wall clock),
::test_a_redirect_on_the_same_host_is_followed (11),
::test_data_center_without_a_total_fails_clearly (12),
::test_a_400_that_echoes_the_token_is_redacted (13).
incident.io, reliability/test_reliability_incidentio.py:
::test_thousands_of_follow_ups_keep_the_summary_under_its_limit (5).
Rootly, reliability/test_reliability_rootly.py:
::test_a_thousand_one_kilobyte_items_fit_every_limit (5),
::test_a_next_page_on_another_host_is_never_sent_the_token (11); fuzzing its records (16):
sources/rootly/test_rootly_records.py; round two: a key with whitespace (1)
::test_a_rootly_key_pasted_with_its_line_end_is_stripped_and_works and
::test_a_rootly_key_with_whitespace_or_a_control_character_inside_is_refused_at_once, and its
endless, inflating or too deep answers (6) in reliability/test_reliability_answer_size.py.
Linear, reliability/test_reliability_linear.py:
::test_two_thousand_items_are_read_and_the_outputs_stay_bounded (5),
::test_malformed_items_fail_naming_the_issue (12).

Case -> tests (``reliability/`` is tests/reliability/; the others existed before):

1. Command injection (local, GitHub, GitLab; normal, error and --debug paths)
   -> reliability/test_reliability_injection.py: every test; partly before in
   sources/github/test_github_source.py::test_hostile_issue_titles_produce_no_workflow_command and
   formats/test_github_format.py::test_hostile_titles_produce_no_command_of_their_own.
2. Escaping oracle -> formats/test_github_format.py::
   test_workflow_commands_are_byte_identical_to_actions_core
   and ::test_each_line_decodes_to_exactly_one_command_with_the_original_text.
3. Markdown neutralising (comment, MR note, summary, Code Quality; local, GitHub, GitLab)
   -> reliability/test_reliability_markdown.py.
4. Sticky-comment spoofing -> sources/github/test_github_source.py::
   test_a_users_comment_with_the_marker_is_never_touched, sources/gitlab/test_gitlab_source.py::
   test_the_note_is_created_once_then_edited_and_a_users_note_is_untouched;
   a title that is the marker: reliability/test_reliability_markdown.py::
   test_a_spoofed_marker_in_a_title_does_not_make_a_second_marker.
5. Size -> reliability/test_reliability_size.py (GitHub with the PR comment and summary; the
   local store with the MR note).
6. Non-idempotent POST -> sources/github/test_github_source.py::
   test_a_failed_post_that_landed_is_edited_not_posted_again, sources/gitlab/test_gitlab_source.py::
   test_a_failed_post_that_landed_is_edited_not_posted_again,
   test_http.py::test_a_post_is_never_retried.
7. 5xx storm -> reliability/test_reliability_network.py::
   test_a_5xx_storm_is_bounded_and_inside_the_deadline,
   ::test_a_5xx_storm_backs_off_with_growing_jittered_gaps.
8. Rate limits -> reliability/test_reliability_network.py::
   test_a_primary_limit_an_hour_away_fails_at_once_naming_the_reset,
   ::test_a_primary_limit_two_seconds_away_is_waited_out,
   ::test_a_secondary_limit_without_retry_after_is_bounded.
9. Retry-After junk -> reliability/test_reliability_network.py::
   test_junk_retry_after_never_crashes_and_never_waits_too_long,
   ::test_junk_rate_limit_headers_never_crash.
10. Hung and slow servers -> reliability/test_reliability_network.py::
    test_a_hung_or_slow_server_stops_at_the_deadline,
    ::test_a_drip_fed_comment_gives_up_by_its_timeout,
    ::test_a_drip_fed_merge_request_note_gives_up_by_its_deadline, on virtual time;
    on the wall clock, real processes:
    ::test_canary_a_real_run_stops_at_the_deadline_of_a_hung_or_dripping_server
    and reliability/test_reliability_jira.py::
    test_canary_a_real_run_against_a_dripping_jira_ends_by_itself.
11. Pagination and redirects -> reliability/test_reliability_pagination.py; partly before in
    sources/gitlab/test_gitlab_source.py::test_a_next_page_on_another_host_is_never_sent_the_token.
12. Malformed data -> reliability/test_reliability_malformed.py.
13. Token canaries -> reliability/test_reliability_canaries.py, and helpers.assert_no_leak /
    helpers.leaks on every run of every reliability module.
14. Unreachable backend -> reliability/test_reliability_network.py::
    test_an_unreachable_backend_is_not_verified.
15. Concurrent writers -> sources/local/test_store.py::
    test_twenty_concurrent_record_processes_lose_nothing.
16. Fuzzing over API payloads -> reliability/test_reliability_fuzz.py.

Round two (hostile input a contributor, a paste or a server can bring):

1. A token with surrounding or inner whitespace ->
   reliability/test_reliability_secrets_in_transit.py::
   test_a_token_pasted_with_its_line_end_is_stripped_and_works,
   ::test_a_token_with_whitespace_or_a_control_character_inside_is_refused_at_once; its repr
   forms -> test_redaction.py::test_a_token_with_a_control_character_is_found_in_its_repr_forms.
2. Credentials in a URL -> reliability/test_reliability_secrets_in_transit.py::
   test_credentials_in_a_github_url_from_the_environment_are_refused,
   ::test_credentials_in_a_gitlab_url_from_the_environment_are_refused,
   ::test_credentials_in_a_configured_url_are_refused_at_their_line; report --publish to GitLab
   with a pasted line end -> platforms/test_publish_report.py::
   test_gitlab_a_token_pasted_with_its_line_end_publishes.
3, 4, 8 and 9. What a contributor can put where the local store reads (links, pipes, devices,
   sizes, a torn or cut-short history, long ids, deep trees) ->
   reliability/test_reliability_repository_files.py: every test.
5. Super-linear patterns on untrusted text, and tomllib's quadratic dotted keys ->
   reliability/test_reliability_linear_parsing.py.
6. Answers without end, gzip bombs, JSON 100,000 deep ->
   reliability/test_reliability_answer_size.py.
7. A line a format starts with untrusted text (a front-matter or history URL) ->
   reliability/test_reliability_injection.py::test_no_format_starts_a_line_with_a_runner_command.
10. Invisible text (zero-width, soft hyphen, Hangul fillers, tag characters) ->
    reliability/test_reliability_invisible.py.
11. Cross-references (#12, GH-12, owner/repo#12, owner/repo@sha, !12, %12, &12, ~label, ...) ->
    reliability/test_reliability_references.py.
12. GitLab's section markers on a pipe -> reliability/test_reliability_gitlab_sections.py.
13. A token that is not in the environment (``gh auth token``), pasted into the data ->
    reliability/test_reliability_canaries.py::
    test_a_token_from_gh_pasted_into_the_data_is_not_repeated; a token in the learning-loop
    report -> test_report_command.py::
    test_a_token_written_into_the_history_is_not_repeated_by_the_report.

A bug inside a source (a planted TypeError or KeyError) is exit 4 with its traceback under
--debug, also under --on-error warn, never exit 3 -> reliability/test_reliability_bugs.py
(GitHub, GitLab) and reliability/test_reliability_trackers.py::test_a_bug_in_the_source_is_exit_4
(Jira, incident.io, Rootly, Linear).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_map_names_exists() -> None:
    """Every file the map names exists, and every ``::test_name`` is defined in one of them."""
    doc = __doc__ or ""
    files = {name.removeprefix("tests/") for name in re.findall(r"(?:\w+/)*test_\w+\.py", doc)}
    assert len(files) >= 12
    defined: set[str] = set()
    for file in files:
        path = TESTS / file
        assert path.exists(), file
        defined |= _defined(path)
    names = re.findall(r"::\s*(test_\w+)", doc)
    assert len(names) >= 20
    missing = [name for name in names if name not in defined]
    assert missing == []


def test_every_reliability_module_is_on_the_map() -> None:
    """Each test_reliability_*.py module appears in the map above."""
    here = Path(__file__).resolve().parent
    modules = {path.name for path in here.glob("test_reliability_*.py")} - {Path(__file__).name}
    assert modules
    for module in modules:
        assert f"reliability/{module}" in (__doc__ or ""), module
