"""Items other platforms exported to Linear issues, judged by Linear when it is a source.

Why: incident.io keeps a follow-up exported to Linear in step with the issue
only as far as its integration does; the Linear issue is where the work is
tracked. With ``linear`` among the sources, the issue's state is the truth
and the item counts once; without it, incident.io's status stands. Both
fakes run over loopback, so the lookup is Linear's real GraphQL against
Linear's published schema, complexity included.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import NOW, json_report, run_cli
from fakes.incidentio import FakeIncidentIo, Incident, fake_incidentio  # noqa: F401
from fakes.linear import MAX_COMPLEXITY, FakeLinear, complexity, fake_linear  # noqa: F401
from fakes.linear_schema import linear_schema
from fakes.server import RecordedRequest
from graphql import parse

from deploygate.sources.exports import linear_issue

INCIDENT_KEY = "inc_live_CANARY_exported0123456789"
LINEAR_KEY = "lin_api_CANARYexported0123456789abcdefghijklmn"
SHA = "9b2e7d4c1a0f5e6b7c8d9e0f1a2b3c4d5e6f7a8b"


def at(days_ago: float) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=10, minute=0, second=0)


def project(root: Path, incidentio: FakeIncidentIo, linear: FakeLinear | None) -> Path:
    """One failed deployment of checkout in the local store; incident.io, and Linear when
    ``linear`` is given, beside it."""
    (root / "postmortems").mkdir(exist_ok=True)
    (root / "deployments.jsonl").write_text(
        json.dumps({"id": "checkout-1", "service": "checkout", "environment": "production",
                    "status": "failure", "sha": SHA,
                    "created_at": at(40).strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n"
    )  # fmt: skip
    sources = '"local", "incident-io"' + (', "linear"' if linear else "")
    table = f'[linear]\nteams = ["OPS"]\napi-url = "{linear.api_url}"\n' if linear else ""
    config = root / "deploygate.toml"
    config.write_text(
        f'source = [{sources}]\nlookback = "90d"\n'
        '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n'
        f'[incident-io]\nurl = "{incidentio.url}"\ndeadline = "20s"\n{table}'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    return config


def reviewed(incidentio: FakeIncidentIo) -> Incident:
    """incident.io's postmortem of the failure, with no follow-up yet."""
    world = incidentio.world
    world.api_key(INCIDENT_KEY)
    checkout = world.services.entry("checkout")
    return world.incident(
        "Checkout returned 500s", summary=f"The deploy of {SHA[:12]} failed.",
        created_at=at(39), services=[checkout], postmortem=True,
    )  # fmt: skip


def check(config: Path) -> Any:
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json",
        env={"INCIDENT_IO_API_KEY": INCIDENT_KEY, "LINEAR_API_KEY": LINEAR_KEY},
    )  # fmt: skip


def open_titles(report: dict[str, Any]) -> list[str]:
    rules = ("open-action-item", "overdue-action-item")
    return [f["action_item"]["title"] for f in report["findings"] if f["rule"] in rules]


def lookups(linear: FakeLinear) -> list[RecordedRequest]:
    """The queries that asked Linear for issues by team key and number."""
    return [q for q in linear.queries() if b'"number"' in q.body]


def source(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [found for found in report["sources"] if found["name"] == name]
    return found


def test_a_follow_up_exported_to_a_done_linear_issue_takes_its_state_when_linear_is_a_source(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Outstanding in incident.io, done in Linear: Linear wins and the item counts once."""
    fake_linear.world.api_key(LINEAR_KEY)
    done = fake_linear.world.issue("OPS", "Load test checkout", created_at=at(38))
    done.close("Done", at(30))
    other = fake_linear.world.issue("OPS", "Load test search", created_at=at(38))  # same team
    other.close("Done", at(30))
    reviewed(fake_incidentio).follow_up(
        "Load test checkout", created_at=at(39), external=("linear", done.identifier, done.url)
    )
    (tmp_path / "with").mkdir()
    with_linear = json_report(
        check(project(tmp_path / "with", fake_incidentio, fake_linear)).stdout
    )
    (tmp_path / "alone").mkdir()
    alone = json_report(check(project(tmp_path / "alone", fake_incidentio, None)).stdout)

    assert "Load test checkout" in open_titles(alone)
    assert "Load test checkout" not in open_titles(with_linear)
    assert source(with_linear, "linear")["ok"]
    assert with_linear["summary"]["open_action_items"] == alone["summary"]["open_action_items"] - 1
    [lookup] = lookups(fake_linear)
    document = json.loads(lookup.body)
    points = complexity(linear_schema(), parse(document["query"]), document["variables"])
    assert points < MAX_COMPLEXITY


def test_an_issue_linear_does_not_show_leaves_the_item_with_a_notice(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    """An export to an issue since deleted, or of another workspace, is no reason to drop
    the item: incident.io's status stands and the Linear source says which issue."""
    fake_linear.world.api_key(LINEAR_KEY)
    reviewed(fake_incidentio).follow_up(
        "Load test checkout", created_at=at(39),
        external=("linear", "OPS-404", "https://linear.app/acme/issue/OPS-404/gone"),
    )  # fmt: skip
    report = json_report(check(project(tmp_path, fake_incidentio, fake_linear)).stdout)

    assert "Load test checkout" in open_titles(report)
    notices = source(report, "linear")["notices"]
    assert any(n.startswith("OPS-404, named by postmortem INC-1,") for n in notices), notices
    assert len(lookups(fake_linear)) == 1


def test_a_failing_lookup_fails_the_linear_source(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Linear failing to answer the lookup leaves the verdict unknown (exit 3), never a
    pass on incident.io's status alone."""
    fake_linear.world.api_key(LINEAR_KEY)
    done = fake_linear.world.issue("OPS", "Load test checkout", created_at=at(38))
    reviewed(fake_incidentio).follow_up(
        "Load test checkout", created_at=at(39), external=("linear", done.identifier, done.url)
    )
    fake_linear.faults.add(lambda request: b'"number"' in request.body, status=500, times=None)
    result = check(project(tmp_path, fake_incidentio, fake_linear))

    assert result.exit_code == 3, result.output
    report = json_report(result.stdout)
    assert report["verdict"] == "unknown"
    assert not source(report, "linear")["ok"]


def test_linear_alone_asks_for_no_exported_issue(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Linear's own postmortems name Linear issues only as their items, which were read with
    them: no lookup is sent for them again."""
    world = fake_linear.world
    world.api_key(LINEAR_KEY)
    parent = world.issue("OPS", "Checkout 500s", created_at=at(39), labels=["postmortem"],
                         description=f"The deploy of {SHA[:12]} failed.")  # fmt: skip
    world.issue("OPS", "Load test checkout", created_at=at(38), parent=parent)
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "deployments.jsonl").write_text("")
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["local", "linear"]\n[local]\npostmortems = "postmortems"\n'
        f'history = "deployments.jsonl"\n[linear]\nteams = ["OPS"]\n'
        f'api-url = "{fake_linear.api_url}"\n'
    )
    report = json_report(check(config).stdout)

    assert "Load test checkout" in open_titles(report)
    assert lookups(fake_linear) == []


def test_only_a_linear_issue_page_names_a_linear_issue() -> None:
    """The identifier is what the Linear source gives the issue as an item, whatever the case
    of the link; a project, another host or a GitHub issue is no Linear issue."""
    page = "https://linear.app/acme/issue/ops-12"
    assert linear_issue(page) == ("OPS-12", page)
    slugged = "https://linear.app/acme/issue/OPS-12/load-test-checkout"
    assert linear_issue(slugged) == ("OPS-12", slugged)
    assert linear_issue("https://linear.app/acme/project/checkout-12") is None
    assert linear_issue("https://linear.example.com/acme/issue/OPS-12") is None
    assert linear_issue("https://github.com/acme/shop/issues/12") is None
