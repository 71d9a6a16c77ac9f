"""One scenario, two places: the benchmark's year of one service, with its postmortems and
action items in the local store, then in Rootly, gives the same findings.

The history is benchmarks/history.py's, made small (300 deployments, 20
postmortems) so the test runs in seconds. The deployments come from the local
store, or from GitHub, since Rootly holds none (``source = ["local",
"rootly"]`` and ``source = ["github", "rootly"]``). The only differences
allowed are those the test maps, each for a stated reason:

- ids and URLs (a postmortem's file path or incident id, an item's anchor or
  UUID or Jira key, GitHub's deployment ids), and so fingerprints and the
  places a remedy points to: each subject is named by what does not change,
  a deployment by its sha, a postmortem and an item by their titles;
- a declined item's reason: Rootly keeps none with a cancelled item, so the
  report says "cancelled in Rootly" where the local file says "not planned";
- the time-window evidence: Rootly records when the incident started, and the
  report says the window was measured to it ("its incident started") where
  the local store can only say when the postmortem was "written".
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import json_report, run_cli
from fakes.github import FakeGitHub
from fakes.rootly import FakeRootly, RootlyWorld, build_history

ROOT = Path(__file__).resolve().parents[3]
ROOTLY_TOKEN = "rootly_same_findings_0123456789"


def _load_history() -> ModuleType:
    """benchmarks/history.py, the one scenario, loaded from its file (benchmarks/ is not a
    package the tests import)."""
    spec = importlib.util.spec_from_file_location("history", ROOT / "benchmarks" / "history.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("history", module)
    spec.loader.exec_module(module)
    return module


H = _load_history()
SIZE = H.Size(deployments=300, failures=24, postmortems=20, unrelated_issues=0)


@pytest.fixture(scope="module")
def history() -> Any:
    return H.make_history(SIZE)


@pytest.fixture(scope="module")
def rootly(history: Any) -> Iterator[FakeRootly]:
    world = RootlyWorld(clock=lambda: H.NOW)
    world.api_key(ROOTLY_TOKEN)
    build_history(world, history, H.SERVICE)
    fake = FakeRootly(world)
    with fake:
        yield fake
    fake.check()


def check(config: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_cli(
        "check", "--config", str(config), "--service", H.SERVICE, "--now", H.NOW.isoformat(),
        "--format", "json",
        env={"ROOTLY_API_TOKEN": ROOTLY_TOKEN, **(env or {})},
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # the history has overdue items: blocked
    return json_report(result.stdout)


def rootly_table(fake: FakeRootly) -> str:
    return f'\n[rootly]\nurl = "{fake.url}"\n'


def local_deployments_with_rootly(root: Path, history: Any, fake: FakeRootly) -> Path:
    """The local store with the deployments only; the postmortems are Rootly's."""
    config: Path = H.write_local(root, dataclasses.replace(history, postmortems=[]))
    text = config.read_text("utf-8").replace('source = "local"', 'source = ["local", "rootly"]')
    config.write_text(text + rootly_table(fake), "utf-8")
    return config


def comparable(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings with every id, URL and place replaced by a name that does not change."""
    names: dict[str, str] = {}
    for finding in report["findings"]:
        if finding["deployment"]:
            names[finding["deployment"]["id"]] = f"<deployment {finding['deployment']['sha'][:7]}>"
        postmortem = finding["postmortem"]
        if postmortem:
            for name in filter(None, (postmortem["id"], postmortem["url"])):
                names[name] = f"<postmortem {postmortem['title']}>"
    for id_ in re.findall(
        r"deployment (\S+) \(", " ".join(f["message"] for f in report["findings"])
    ):
        names.setdefault(id_, "<a deployment>")
    shown = []
    for finding in report["findings"]:
        text = json.dumps(
            {
                "rule": finding["rule"],
                "level": finding["level"],
                "link": finding["link"],
                "message": finding["message"],
                "remedy": finding["remedy"],
                "deployment": _without(finding["deployment"], "id", "url"),
                "postmortem": _without(finding["postmortem"], "id", "url"),
                "action_item": _without(finding["action_item"], "id", "url", "reason"),
            },
            ensure_ascii=False,
        )
        text = re.sub(r" at [^ ;]+; or waive", " at <its place>; or waive", text)
        text = re.sub(r'finding = \\"[0-9a-f]+\\"', "finding = <fingerprint>", text)
        text = text.replace(": cancelled in Rootly", ": not planned")
        text = text.replace("its incident started ", "written ")
        for id_, name in sorted(names.items(), key=lambda pair: -len(pair[0])):
            text = re.sub(rf"(?<![\w/.-]){re.escape(id_)}(?![\w-])", name, text)
        shown.append(json.loads(text))
    return sorted(shown, key=lambda finding: json.dumps(finding, sort_keys=True))


def _without(subject: dict[str, Any] | None, *keys: str) -> dict[str, Any] | None:
    return None if subject is None else {k: v for k, v in subject.items() if k not in keys}


def test_local_deployments_and_rootly_postmortems_give_the_local_stores_findings(
    tmp_path: Path, history: Any, rootly: FakeRootly
) -> None:
    expected = check(H.write_local(tmp_path / "local", history))
    found = check(local_deployments_with_rootly(tmp_path / "rootly", history, rootly))
    assert len(found["findings"]) == len(expected["findings"]) > 20
    assert comparable(found) == comparable(expected)
    assert found["summary"] == expected["summary"]
    by_name = {source["name"]: source for source in found["sources"]}
    assert by_name["rootly"]["ok"] is True
    assert by_name["rootly"]["coverage"]["postmortems"] == len(history.postmortems)
    assert by_name["rootly"]["coverage"]["deployments"] == 0
    assert by_name["local"]["coverage"]["postmortems"] == 0
    # The exported items stand as Rootly has them: Jira is not configured.
    exported = [
        f["action_item"]["id"] for f in found["findings"] if (f["action_item"] or {}).get("id", "")
    ]
    assert any(re.fullmatch(r"OPS-[0-9]+", id_) for id_ in exported)


def test_github_deployments_and_rootly_postmortems_give_the_local_stores_findings(
    tmp_path: Path, history: Any, rootly: FakeRootly
) -> None:
    """The combined run: GitHub holds the deployments (and no postmortem), Rootly the rest."""
    expected = check(H.write_local(tmp_path / "local", history))
    github = FakeGitHub(github_world(history))
    with github:
        config = tmp_path / "github" / "deploygate.toml"
        config.parent.mkdir()
        config.write_text(
            'source = ["github", "rootly"]\nlookback = "90d"\n[github]\nrepository = "acme/shop"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n' + rootly_table(rootly)
        )
        env = github.actions_env(H.GITHUB_TOKEN, "acme/shop")
        found = check(config, {**env, "GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""})
    github.check()
    assert comparable(found) == comparable(expected)
    assert found["summary"] == expected["summary"]
    assert [source["name"] for source in found["sources"]] == ["github", "rootly"]


def github_world(history: Any) -> Any:
    """GitHub with the history's deployments and none of its postmortems."""
    from fakes.github import GitHubWorld

    world = GitHubWorld(clock=lambda: H.NOW)
    H.build_github(world, dataclasses.replace(history, postmortems=[]))
    return world
