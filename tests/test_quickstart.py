"""The README's first command on examples/quickstart: the verdict and findings a new user sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, json_report

CONFIG = "examples/quickstart/deploygate.toml"


def deploygate(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script from the repository root, as the README does."""
    script = Path(sys.executable).parent / "deploygate"
    return subprocess.run(
        [str(script), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_readme_command_blocks_on_the_quickstart() -> None:
    # Without --now, as in the README: the overdue lessons keep blocking whatever the date.
    result = deploygate("check", "--config", CONFIG, "--service", "checkout")
    assert result.returncode == 1, result.stderr
    assert "verdict: block" in result.stdout
    assert "Overdue action item “Alert on the payment error budget burn rate”" in result.stdout
    assert result.stderr == ""


def test_quickstart_findings_at_a_fixed_time() -> None:
    result = deploygate(
        "check",
        "--config",
        CONFIG,
        "--service",
        "checkout",
        "--format",
        "json",
        "--now",
        "2026-11-20T12:00:00Z",
    )
    assert result.returncode == 1
    report = json_report(result.stdout)
    observed = [
        (
            f["level"],
            f["rule"],
            (f["deployment"] or {}).get("id"),
            (f["action_item"] or {}).get("title"),
            f["link"],
        )
        for f in report["findings"]
    ]
    assert observed == [
        ("error", "overdue-action-item", None, "Alert on the payment error budget burn rate", None),
        (
            "error",
            "overdue-action-item",
            None,
            "Contract test against the provider's sandbox for every currency we sell in",
            None,
        ),
        ("error", "repeat-failure", "checkout-9", None, None),
        (
            "warning",
            "open-action-item",
            None,
            "Load test checkout with production-like carts before each release",
            None,
        ),
        (
            "warning",
            "open-action-item",
            None,
            "Compare all service configs between staging and production in CI",
            None,
        ),
        ("notice", "declined-action-item", None, "Rewrite the payment client", None),
        ("notice", "reviewed-failure", "checkout-3", None, "reference"),
        ("notice", "reviewed-failure", "checkout-6", None, "time-window"),
        ("notice", "reviewed-failure", "checkout-9", None, "reference"),
        ("notice", "unreviewed-failure", "checkout-11", None, None),
    ]
    assert report["summary"] == {
        "failed_deployments": 4,
        "reviewed_failures": 3,
        "postmortems": 3,
        "open_action_items": 4,
        "overdue_action_items": 2,
    }
    assert report["verdict"] == "block"
    closed = {
        f["action_item"]["title"]: f["action_item"]["closed_at"]
        for f in report["findings"]
        if f["action_item"]
    }
    assert closed["Rewrite the payment client"] == "2026-09-11T00:00:00Z"
    assert closed["Alert on the payment error budget burn rate"] is None


def test_readme_shows_the_output_that_the_quickstart_prints() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("so\nthat the dates are those of this example, it prints:\n\n```\n", 1)[1]
    shown = shown.split("```", 1)[0]
    result = deploygate(
        "check", "--config", CONFIG, "--service", "checkout", "--now", "2026-11-20T12:00:00Z"
    )
    assert result.stdout == shown


def test_every_example_config_is_valid() -> None:
    configs = sorted((REPO_ROOT / "examples").rglob("deploygate.toml"))
    assert configs, "examples/ holds at least the quickstart"
    for config in configs:
        result = deploygate("config", "--config", str(config))
        assert result.returncode == 0, result.stderr


def test_the_docs_configuration_example_is_a_valid_config(tmp_path: Path) -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    example = page.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "deploygate.toml").write_text(example)
    result = deploygate("config", "--config", str(tmp_path / "deploygate.toml"))
    assert result.returncode == 0, result.stderr
    assert "lessons under" in result.stdout


def test_a_misspelt_service_warns_naming_the_right_one_and_is_never_closed() -> None:
    # The first case: one wrong letter in CI must not pass quietly for ever.
    for output in ("text", "markdown", "json"):
        result = deploygate(
            "check", "--config", CONFIG, "--service", "chekout", "--format", output
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "closed" not in result.stdout
        assert "no-evidence" in result.stdout
        assert "did you mean 'checkout'?" in result.stdout
    report = json_report(result.stdout)
    assert report["verdict"] == "warn"
    [source] = report["sources"]
    assert source["coverage"] == {
        "deployments": 0,
        "environments": [],
        "first_deployment": None,
        "last_deployment": None,
        "postmortems": 0,
        "action_items": 0,
    }


def test_an_environment_nobody_deploys_to_warns_naming_the_real_ones() -> None:
    result = deploygate(
        "check", "--config", CONFIG, "--service", "checkout", "--environment", "prod",
        "--format", "json", "--now", "2026-11-20T12:00:00Z",
    )  # fmt: skip
    [finding] = [f for f in json_report(result.stdout)["findings"] if f["rule"] == "no-evidence"]
    assert finding["level"] == "warning"
    assert "it deploys to 'production', 'staging'" in finding["message"]
    assert "did you mean 'production'?" in finding["message"]


def test_no_evidence_at_error_makes_a_strict_gate(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    original = (REPO_ROOT / CONFIG).read_text()
    config.write_text(original.replace("[rules]\n", '[rules]\nno-evidence = "error"\n'))
    for name in ("postmortems", "deployments.jsonl"):
        (tmp_path / name).symlink_to(REPO_ROOT / "examples" / "quickstart" / name)
    result = deploygate("check", "--config", str(config), "--service", "chekout")
    assert result.returncode == 1
    assert "verdict: block" in result.stdout
