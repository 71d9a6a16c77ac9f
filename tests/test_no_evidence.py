"""A check that saw nothing says so: the no-evidence rule, coverage per source, and the
history paths that do not exist, on the local store through the CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from conftest import NOW, ago, deployment, item, json_report, postmortem, run_cli

from deploygate.errors import SourceError
from deploygate.gate import check as gate_check
from deploygate.model import (
    Coverage,
    DeploymentStatus,
    History,
    Level,
    Query,
    RuleId,
    ServiceSeen,
    Verdict,
)
from deploygate.rules import Policy

WHEN = NOW.isoformat()


def check(config: Path, service: str, *args: str):
    return run_cli(
        "check", "--config", str(config), "--service", service, "--now", WHEN, *args
    )  # fmt: skip


def record(config: Path, service: str, environment: str, status: str, days_ago: int) -> None:
    result = run_cli(
        "record", "--config", str(config), "--service", service, "--environment", environment,
        "--status", status, "--time", f"2026-11-{20 - days_ago:02d}T10:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_an_explicit_history_that_does_not_exist_is_exit_2_at_its_line(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text('lookback = "30d"\n\n[local]\nhistory = "deploys.jsonl"\n')
    result = check(config, "checkout")
    assert result.exit_code == 2
    assert f"{config}:4: local.history: file {tmp_path / 'deploys.jsonl'} does not exist" in (
        result.stderr
    )
    assert result.stdout == ""
    # record creates it; from then on the check reads it.
    record(config, "checkout", "production", "success", 1)
    assert check(config, "checkout").exit_code == 0


def test_the_default_history_missing_is_a_notice_saying_how_to_start(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    result = check(config, "checkout", "--format", "json")
    assert result.exit_code == 0
    [source] = json_report(result.stdout)["sources"]
    [notice] = source["notices"]
    assert notice.startswith("no deployment history at .deploygate/deployments.jsonl yet")
    assert "deploygate record --service checkout --environment production" in notice


def test_coverage_in_text_and_markdown_counts_what_the_source_gave(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    record(config, "checkout", "staging", "success", 9)
    record(config, "checkout", "production", "failure", 3)
    record(config, "search", "production", "success", 2)
    text = check(config, "checkout").stdout
    assert (
        "read: local: 2 deployments to production, staging (2026-11-11 to 2026-11-17); "
        "0 postmortems; 0 action items"
    ) in text
    markdown = check(config, "checkout", "--format", "markdown").stdout
    assert "**Read from** local: 2 deployments to production, staging" in markdown
    assert "notice" not in text.split("read:", 1)[1]  # the history exists: no first-run notice


def test_the_loop_is_called_closed_only_when_the_service_was_seen(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text('[rules]\nno-evidence = "off"\n')
    record(config, "checkout", "production", "success", 1)
    seen = check(config, "checkout").stdout
    assert "verdict: pass: the learning loop is closed for this service" in seen
    unseen = check(config, "search").stdout  # off: a pass, but not a closed loop
    assert "verdict: pass: no source saw this service, so nothing was verified" in unseen
    assert "closed" not in unseen


def test_a_service_nobody_knows_names_those_the_sources_and_config_know(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("[services.payments]\n")
    record(config, "checkout", "production", "success", 1)
    result = check(config, "checkuot", "--format", "json")
    [finding] = json_report(result.stdout)["findings"]
    assert finding["rule"] == "no-evidence"
    assert "the sources and the config know 'checkout', 'payments'" in finding["message"]
    assert finding["message"].endswith("did you mean 'checkout'?")
    # Nothing close: the names, no guess.
    [far] = json_report(check(config, "ledger", "--format", "json").stdout)["findings"]
    assert "did you mean" not in far["message"]


def test_a_service_in_another_case_is_named_as_such(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "pm.md").write_text(
        '+++\nservice = "Checkout"\ndate = 2026-11-10T10:00:00Z\n+++\n# Checkout down\n'
    )
    record(config, "checkout", "production", "failure", 12)
    [finding] = [
        f
        for f in json_report(check(config, "checkout", "--format", "json").stdout)["findings"]
        if f["rule"] == "no-evidence"
    ]
    assert (
        "'checkout' is named in another case ('Checkout' in postmortem front matter)"
        in finding["message"]
    )


def test_a_seen_service_and_environment_give_no_finding(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    record(config, "checkout", "production", "success", 1)
    result = check(config, "checkout", "--environment", "production", "--format", "json")
    assert json_report(result.stdout)["findings"] == []


# -- The core, with sources answering from memory ------------------------------------


class MemorySource:
    """A source that answers from memory, or fails like an unreachable backend."""

    def __init__(self, name: str, history: History, *, fail: bool = False) -> None:
        self.name, self.history, self.fail = name, history, fail

    def collect(self, query: Query) -> History:
        if self.fail:
            raise SourceError(self.name, "connection refused")
        return self.history

    def usage(self) -> None:
        return None


class MemoryTracker(MemorySource):
    """A tracker that attaches one action item to every postmortem it is handed."""

    def enrich(self, query: Query, history: History) -> History:
        extra = item("From the tracker")
        return replace(
            history,
            postmortems=tuple(
                replace(pm, action_items=(*pm.action_items, extra)) for pm in history.postmortems
            ),
        )


def judge(*sources: MemorySource, environment: str | None = None, policy: Policy | None = None):
    policy = policy or Policy()
    query = Query("checkout", environment, NOW, policy.lookback)
    return gate_check(list(sources), query, policy, configured_services=("payments",))


def test_each_source_has_its_own_coverage_and_a_tracker_counts_what_it_attached() -> None:
    local = MemorySource(
        "local",
        History(
            deployments=(
                deployment("1", at=ago(days=20), environment="staging"),
                deployment("2", at=ago(days=2), status=DeploymentStatus.SUCCESS),
                deployment("3", at=ago(days=1), service="search"),
                deployment("4", at=NOW + (NOW - ago(days=1))),  # after the check: not read
            ),
        ),
    )
    github = MemorySource(
        "github", History(postmortems=(postmortem(at=ago(days=19), items=(item(),)),))
    )
    report = judge(local, github, MemoryTracker("jira", History()))
    assert [source.coverage for source in report.sources] == [
        Coverage(2, ("production", "staging"), ago(days=20), ago(days=2), 0, 0),
        Coverage(postmortems=1, action_items=1),
        Coverage(action_items=1),
    ]
    assert report.service_seen
    assert not [f for f in report.findings if f.rule is RuleId.NO_EVIDENCE]


def test_a_failed_source_claims_nothing_unseen() -> None:
    # It may hold the service: the verdict is unknown, and no-evidence says nothing.
    report = judge(MemorySource("local", History()), MemorySource("github", History(), fail=True))
    assert report.verdict is Verdict.UNKNOWN
    assert [source.coverage for source in report.sources] == [Coverage(), None]
    assert not [f for f in report.findings if f.rule is RuleId.NO_EVIDENCE]


def test_no_evidence_follows_its_configured_level() -> None:
    nothing = MemorySource("local", History(services_seen=(ServiceSeen("search", "the history"),)))
    [finding] = judge(nothing).findings
    assert (finding.rule, finding.level) == (RuleId.NO_EVIDENCE, Level.WARNING)
    assert "the sources and the config know 'payments', 'search'" in finding.message
    levels = dict(Policy().levels)
    levels[RuleId.NO_EVIDENCE] = None
    assert judge(nothing, policy=Policy(levels=levels)).findings == ()
    levels[RuleId.NO_EVIDENCE] = Level.ERROR
    assert judge(nothing, policy=Policy(levels=levels)).verdict is Verdict.BLOCK


def test_an_environment_the_service_never_deployed_to_names_the_ones_it_did() -> None:
    source = MemorySource("local", History(deployments=(deployment("1", at=ago(days=5)),)))
    [finding] = judge(source, environment="staging").findings
    assert finding.rule is RuleId.NO_EVIDENCE
    assert "to environment 'staging'" in finding.message
    assert "it deploys to 'production'" in finding.message
    # A source that found nothing there but knows where it deploys says so the same way.
    told = MemorySource("github", History(environments_seen=("production",)))
    [finding] = judge(told, MemorySource("x", History(postmortems=(postmortem(),))),
                      environment="staging").findings  # fmt: skip
    assert "it deploys to 'production'" in finding.message
