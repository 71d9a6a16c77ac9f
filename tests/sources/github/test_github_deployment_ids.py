"""Deployment numbers of any size on GitHub: the same findings from small ids and large ones.

GraphQL's ``Deployment.databaseId`` is a 32-bit ``Int`` and github.com's deployment
numbers passed 2**31 in 2023. A server that keeps to the spec answers such a number
with null and an error; a lenient one answers the number. deploygate reads the number
from the deployment's node id when ``databaseId`` is null, so both answers, and the
legacy node id format, must give the findings small ids give, with the same ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, run_cli
from fakes.github import FakeGitHub, GitHubWorld
from fakes.worlds import GITHUB_TOKEN as TOKEN
from fakes.worlds import NOW, RUN, at

SMALL = 4_200
PAST_32_BITS = 2**32 + 4_200
PAST_53_BITS = 2**53 + 4_200
"""Past the integers a double holds exactly: a JSON reader that makes numbers floats
would round it, so the report's ids must be strings."""


def build(fake: FakeGitHub, base: int) -> None:
    """Five deployments numbered from ``base``: three fail, one is reviewed by its number,
    one by its run's URL, and one is not reviewed at all."""
    world = fake.world
    world.token(TOKEN, login="github-actions[bot]")
    shop, incidents = world.repo("acme/shop"), world.repo("acme/incidents")
    states = {1: "ACTIVE", 2: "FAILURE", 3: "ACTIVE", 4: "FAILURE", 5: "ERROR"}
    for offset, state in states.items():
        shop.deployment(
            id=base + offset,
            state=state,
            sha=f"{offset:07x}" + "c" * 33,
            created_at=at(30 - 5 * offset),
            log_url=RUN.format(700 + offset),
        )
    incidents.issue(
        title="Checkout failed to start",
        labels=["postmortem"],
        created_at=at(20, 14),
        body=f"Deployment {base + 2} failed: the new config had a typo.",
    )
    incidents.issue(
        title="Payments timed out",
        labels=["postmortem"],
        created_at=at(4, 14),
        body=f"The run: {RUN.format(705)}",
    )


def check(world: GitHubWorld, base: int, tmp_path: Path) -> dict[str, Any]:
    """The JSON report of a check of acme/shop's checkout on the fake GitHub over ``world``."""
    fake = FakeGitHub(world)
    with fake:
        build(fake, base)
        config = tmp_path / "deploygate.toml"
        config.write_text(
            'source = "github"\nlookback = "90d"\n'
            '[github]\npostmortem-repository = "acme/incidents"\n'
        )
        outputs = {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
        env = fake.actions_env(TOKEN, "acme/shop") | outputs
        result = run_cli(
            "check", "--config", str(config), "--service", "checkout",
            "--now", NOW.isoformat(), "--format", "json",
            env=env,
        )  # fmt: skip
    fake.check()
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    assert report["sources"][0]["ok"] is True, report["sources"]
    return report


def numbered(findings: list[dict[str, Any]], base: int) -> list[dict[str, Any]]:
    """``findings`` with each deployment number written as its offset from ``base``
    (``<2>``), and without fingerprints (nor the ones remedies quote), which are made from the
    numbers."""
    text = json.dumps([{k: v for k, v in f.items() if k != "fingerprint"} for f in findings])
    text = re.sub(r'finding = \\"[0-9a-f]+\\"', "finding = <fingerprint>", text)  # in remedies
    found = re.sub(r"\b\d{4,}\b", lambda m: _offset(m[0], base), text)
    result: list[dict[str, Any]] = json.loads(found)
    return result


def _offset(number: str, base: int) -> str:
    offset = int(number) - base
    return f"<{offset}>" if 0 < offset < 10 else number


@pytest.mark.parametrize(
    ("base", "lenient", "legacy"),
    [
        pytest.param(PAST_32_BITS, False, False, id="past-2**32-as-the-spec-says"),
        pytest.param(PAST_32_BITS, True, False, id="past-2**32-leniently"),
        pytest.param(PAST_53_BITS, False, False, id="past-2**53"),
        pytest.param(PAST_53_BITS, False, True, id="past-2**53-legacy-node-ids"),
    ],
)
def test_large_deployment_numbers_give_the_findings_small_ones_give(
    tmp_path: Path, base: int, lenient: bool, legacy: bool
) -> None:
    small = check(GitHubWorld(), SMALL, tmp_path)
    large = check(GitHubWorld(lenient_int=lenient, legacy_node_ids=legacy), base, tmp_path)
    assert numbered(large["findings"], base) == numbered(small["findings"], SMALL)
    deployments = {
        finding["deployment"]["id"]: finding["rule"]
        for finding in large["findings"]
        if finding["deployment"]
    }
    # The ids are the numbers GitHub shows, written out in full as strings.
    assert deployments == {
        str(base + 2): "reviewed-failure",
        str(base + 4): "unreviewed-failure",
        str(base + 5): "reviewed-failure",
    }


def test_the_spec_answer_and_the_lenient_one_give_the_same_report(tmp_path: Path) -> None:
    """Same ids, same fingerprints: a waiver written against one answer holds for the other."""
    strict = check(GitHubWorld(), PAST_32_BITS, tmp_path)
    lenient = check(GitHubWorld(lenient_int=True), PAST_32_BITS, tmp_path)
    assert strict["findings"] == lenient["findings"]
    assert len(strict["findings"]) >= 3
