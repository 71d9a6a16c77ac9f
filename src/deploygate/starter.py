"""What ``deploygate init`` writes: a working setup for the repository it is run in.

It reads the git remote (``origin``) for the repository or project and its
server, picks the source, and writes the config with one ``[services.NAME]``
table; for the local store, a postmortem template and the history's folder;
with ``--ci``, the gate's workflow or pipeline file. It never replaces a file
that exists (unless forced), so running it twice changes nothing. No click here:
the CLI prints what :func:`initialise` returns.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from deploygate import __version__, ci
from deploygate import config as config_module
from deploygate.errors import InputError
from deploygate.sources import REGISTRY

CiName = Literal["github", "gitlab"]

HOME = "OWNER/deploygate"
"""deploygate's own repository, whose release tags pin the action and the component; the
README's examples name it the same way until it is published under its owner."""
RELEASE = __version__
"""The release the CI files pin: the tag of this version, as the GitLab component's own
reference (``…/deploygate@0.1.0``), so the action installs the deploygate that wrote them."""
CHECKOUT = "actions/checkout@8e8c483db84b4bee98b60c0593521ed34d9990e8 # v6.0.1"
"""The checkout step of ``examples/github/deploy.yml``, pinned to a reviewed commit."""
SOURCES: tuple[str, ...] = tuple(
    name for name, backend in REGISTRY.items() if backend.holds_deployments
)
"""What ``init --source`` accepts: a tracker (jira) cannot be the only source."""

CI_FILES: Mapping[CiName, Path] = {
    "github": Path(".github", "workflows", "deploygate.yml"),
    "gitlab": Path(".gitlab", "ci", "deploygate.yml"),
}
"""Where ``--ci`` writes, relative to the working directory (the repository's root)."""
TEMPLATE = Path("postmortems", "_template.md")
"""Beside the config, in the default postmortems folder; ``_`` makes it a template, never read."""
HISTORY_NOTE = Path(".deploygate", ".gitignore")
"""In the default history folder (``[local] history``), which it creates."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the person asked for: where the config goes, and what they named themselves."""

    config_path: Path
    source: str | None
    service: str | None
    ci: CiName | None
    force: bool
    today: date


@dataclass(frozen=True, slots=True)
class Setup:
    """What ``init`` decided, and why: the source and where it reads."""

    source: str
    reason: str
    """Said in the config's head and on the terminal: the evidence, never a URL."""
    repository: str | None
    """``OWNER/NAME`` or ``GROUP/…/NAME`` from the remote, for a GitHub or GitLab source."""
    server: str | None
    """The web address of a self-hosted server; None for github.com and gitlab.com."""
    service: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``init`` did: the setup, the files written and the files it left alone."""

    setup: Setup
    written: tuple[Path, ...]
    left_alone: tuple[Path, ...]
    next_steps: tuple[str, ...]


def decide(request: Request, env: Mapping[str, str], remote: ci.Remote | None) -> Setup:
    """The source (``--source``, else the platform detected, else local) and where it reads.

    ``init`` runs at the repository's root, where the CI files go: its files are
    evidence of the platform, and its folder names the service when no remote does.
    """
    repository_root = Path.cwd()
    if request.source:
        source, reason = request.source, f"chosen with --source {request.source}"
    else:
        guess = ci.guess_platform(env, remote, repository_root)
        if guess:
            source, reason = guess.platform, f"detected {guess.platform}: {guess.evidence}"
        elif remote:
            source = "local"
            reason = (
                f"the local store: git remote origin is on {remote.host}, which does not say "
                "GitHub or GitLab (init --source github or gitlab reads it)"
            )
        else:
            source, reason = "local", "the local store: no GitHub or GitLab detected"
    forge = _forge_remote(source, remote)
    service = request.service or (remote.name if remote else repository_root.name) or "app"
    return Setup(
        source=source,
        reason=reason,
        repository=forge.path if forge else None,
        server=forge.web_url if forge and forge.host not in ci.PUBLIC_HOSTS.values() else None,
        service=service,
    )


def _forge_remote(source: str, remote: ci.Remote | None) -> ci.Remote | None:
    """The remote when the source reads the forge it is on; not another forge's public host."""
    if remote is None or source not in ci.PUBLIC_HOSTS:
        return None
    other_public = {host for name, host in ci.PUBLIC_HOSTS.items() if name != source}
    return None if remote.host in other_public else remote


def files(request: Request, setup: Setup) -> dict[Path, str]:
    """Each file ``init`` writes, by its path, and its text."""
    backend = REGISTRY[setup.source]
    tables_text = backend.starter(setup.repository, setup.server) if backend.starter else ""
    root = request.config_path.parent
    written = {
        request.config_path: config_module.starter_config(
            setup.source, setup.reason, tables_text, setup.service
        )
    }
    if setup.source == "local":
        written[root / TEMPLATE] = postmortem_template(setup.service, request.today)
        written[root / HISTORY_NOTE] = HISTORY_GITIGNORE
    if request.ci == "github":
        written[CI_FILES["github"]] = github_workflow(setup.service, _config_input(request))
    elif request.ci == "gitlab":
        written[CI_FILES["gitlab"]] = gitlab_include(setup.service, _config_input(request))
    return written


def initialise(request: Request, env: Mapping[str, str], remote: ci.Remote | None) -> Outcome:
    """Write what is missing, leave what exists (unless forced), and say what comes next."""
    setup = decide(request, env, remote)
    written, left_alone = [], []
    for path, text in files(request, setup).items():
        if _write_new(path, text, replace=request.force):
            written.append(path)
        else:
            left_alone.append(path)
    return Outcome(setup, tuple(written), tuple(left_alone), next_steps(request, setup))


def _write_new(path: Path, text: str, *, replace: bool) -> bool:
    """Write ``path`` unless it exists (``replace`` overwrites); False when left alone.

    Opening with ``x`` creates the file or fails, in one step: a file that
    appears between a check and the write is still never replaced.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # A file where a folder should be is FileExistsError too: not a file left alone.
        raise InputError(
            f"cannot make its folder {path.parent}: {error.strerror}", path=path
        ) from None
    try:
        with path.open("w" if replace else "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        return False
    except OSError as error:
        raise InputError(f"cannot write it: {error.strerror}", path=path) from None
    return True


def _config_input(request: Request) -> str | None:
    """The config's path for the CI file, when it is not where check finds it by itself."""
    relative = os.path.relpath(request.config_path, Path.cwd())
    return None if relative == config_module.CONFIG_NAME else Path(relative).as_posix()


def next_steps(request: Request, setup: Setup) -> tuple[str, ...]:
    """The three steps to a working gate: the first postmortem, deploys, the deploy job."""
    service, quoted = setup.service, _shell_word(setup.service)
    where = setup.repository or "the repository"
    if setup.source == "github":
        postmortem = (
            f"open an issue labelled postmortem and service:{service}; its sub-issues "
            "and task list are its action items"
        )
        deploys = (
            f"deploygate reads GitHub's deployments of {where} (a job with `environment:` "
            f"records them); try: deploygate check --service {quoted} "
            "(token: GITHUB_TOKEN, or gh auth login)"
        )
    elif setup.source == "gitlab":
        postmortem = (
            f"open an incident, or an issue labelled postmortem, with the label "
            f"service::{service}; its linked issues and task list are its action items"
        )
        deploys = (
            f"deploygate reads GitLab's deployments of {where} (a job with `environment:` "
            f"records them); try: GITLAB_TOKEN=<read_api token> deploygate check "
            f"--service {quoted}"
        )
    else:
        template = request.config_path.parent / TEMPLATE
        postmortem = (
            f"copy {template} to {template.parent / request.today.isoformat()}"
            "-what-happened.md and fill it in"
        )
        deploys = (
            f"after each deploy run deploygate record --service {quoted} --environment "
            f"production --status success (or failure), and commit {HISTORY_NOTE.parent}/"
        )
    if request.ci:
        gate = (
            f"make your deploy job need the gate in {CI_FILES[request.ci]} (its head "
            f"says how); it runs {HOME}@{RELEASE}"
        )
    else:
        gate = (
            f"run deploygate check --service {quoted} --environment production before "
            "deploying (exit 1 blocks), or let init --ci github or --ci gitlab write the job"
        )
    return (
        f"Write the first postmortem: {postmortem}.",
        f"{'Record' if setup.source == 'local' else 'Read'} deploys: {deploys}.",
        f"Gate the deploy job: {gate}.",
    )


def render(outcome: Outcome) -> list[str]:
    """What ``init`` prints: the choice and its reason, each file, the next steps."""
    setup = outcome.setup
    reads = f", {setup.repository}" if setup.repository else ""
    reads += f" on {setup.server}" if setup.server else ""
    lines = [f"source {setup.source}{reads}, service {setup.service} ({setup.reason})"]
    lines += [f"wrote {path}" for path in outcome.written]
    lines += [f"left {path} alone: it exists (--force replaces it)" for path in outcome.left_alone]
    if not outcome.written:
        lines.append("nothing changed: every file init writes is already there")
    lines.append("next steps:")
    lines += [f"  {number}. {step}" for number, step in enumerate(outcome.next_steps, start=1)]
    return lines


def _shell_word(text: str) -> str:
    """``text`` as one shell word, quoted only when it must be."""
    return shlex.quote(text)


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes are a subset of YAML's."""
    return json.dumps(text)


def postmortem_template(service: str, today: date) -> str:
    """``postmortems/_template.md``: a postmortem to copy, valid as it stands once renamed."""
    due = today + timedelta(days=30)
    return f"""\
+++
# Copy this file to postmortems/YYYY-MM-DD-what-happened.md and fill it in.
# Files whose names start with "_" are templates: deploygate never reads them.
service = {json.dumps(service)}
date = {today.isoformat()}              # when it was written
status = "open"                 # "closed" once it has been reviewed
deployments = []                # the ids, URLs or shas of the deployments it reviews
causes = []                     # cause labels, e.g. ["config-drift"], for repeat-failure
+++
# What happened, in one line

## Summary
What broke, for whom, for how long, and how it was noticed.

## What we learned
- What surprised us, and what we will do differently.

## Action items
- [ ] What keeps it from happening again (due: {due.isoformat()})
"""


HISTORY_GITIGNORE = """\
# deploygate's history: deployments.jsonl, which `deploygate record` appends to;
# overrides.jsonl, one line per `deploygate check --override`; and advisory.jsonl,
# one line per advisory check that would have blocked.
#
# Commit them. The gate judges a deploy by the deploys before it: a history that
# lives only on one laptop, or in one CI job, is lost with it, and the gate then
# sees no failures at all. Committed, the history is reviewed and diffed like
# any file (JSON Lines, one deployment a line).
#
# In CI the checkout is thrown away after each job, so a `record` there is lost
# unless the job commits and pushes it (a token that can push to the branch),
# or the history is kept outside the repository. Where the deploys already run
# on GitHub or GitLab, source = "github" or "gitlab" reads their deployments
# instead, and nothing needs recording.
#
# Nothing in this folder is ignored.
"""


def github_workflow(service: str, config_path: str | None) -> str:
    """``.github/workflows/deploygate.yml``: a reusable workflow whose job gates the deploy."""
    config_line = f"\n          config: {_yaml_string(config_path)}" if config_path else ""
    return f"""\
# The learning-loop gate, written by `deploygate init --ci github`.
#
# Gate the deploy job on it: in your deploy workflow, call this workflow as a
# job and make the deploy job need it. A blocked gate fails the gate job
# (exit 1), so the deploy job does not run.
#
#   jobs:
#     gate:
#       uses: ./.github/workflows/deploygate.yml
#       permissions: {{ contents: read, issues: read, deployments: read, checks: read }}
#     deploy:
#       needs: gate
#
# Run it by hand from the Actions tab to see what the gate says today.
#
# {HOME} is pinned to the release tag of the version that wrote this file,
# {RELEASE}. Pin the commit of that release once you have reviewed it
# (`@<sha> # {RELEASE}`) and delete the zizmor comment.
name: deploygate

on:
  workflow_call:
    inputs:
      environment:
        description: The environment about to be deployed to (--environment).
        type: string
        default: production
    outputs:
      verdict:
        description: pass, warn, block or override; unknown when a source failed.
        value: ${{{{ jobs.gate.outputs.verdict }}}}
  workflow_dispatch:
    inputs:
      environment:
        description: The environment about to be deployed to (--environment).
        type: string
        default: production

# Nothing by default; the job asks for exactly what it needs.
permissions: {{}}

jobs:
  gate:
    name: Learning-loop gate
    runs-on: ubuntu-latest
    timeout-minutes: 10
    # One gate at a time per branch and environment, apart from the caller's groups.
    concurrency:
      group: deploygate-${{{{ github.ref }}}}-${{{{ inputs.environment }}}}
      cancel-in-progress: false
    permissions:
      contents: read     # check out deploygate.toml
      issues: read       # postmortem issues and their action items
      deployments: read  # past deployments and whether they failed
      checks: read       # the failed step of a failed deployment's run, for repeat-failure
    outputs:
      verdict: ${{{{ steps.gate.outputs.verdict }}}}
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
          fetch-depth: 0  # the whole history: git follows each fix (the local store)
      - id: gate
        uses: {HOME}@{RELEASE} # zizmor: ignore[unpinned-uses] pin its commit once reviewed
        with:
          service: {_yaml_string(service)}
          environment: ${{{{ inputs.environment }}}}{config_line}
"""


def gitlab_include(service: str, config_path: str | None) -> str:
    """``.gitlab/ci/deploygate.yml``: the component's include, for ``.gitlab-ci.yml`` to include."""
    config_line = f"\n      config: {_yaml_string(config_path)}" if config_path else ""
    return f"""\
# The learning-loop gate, written by `deploygate init --ci gitlab`.
#
# Include it from .gitlab-ci.yml and make the deploy job need it. A blocked
# gate fails the deploygate job (exit 1), so the deploy job does not run.
#
#   include:
#     - local: {CI_FILES["gitlab"].as_posix()}
#   deploy:
#     needs: [deploygate]
#
# With source gitlab, GITLAB_TOKEN is a masked CI/CD variable of the project
# (read_api), never an input. The component is pinned to the release of the
# version that wrote this file, {RELEASE}. On a self-managed GitLab,
# $CI_SERVER_FQDN is your server: the component project must be there too.
include:
  - component: $CI_SERVER_FQDN/{HOME}/deploygate@{RELEASE}
    inputs:
      service: {_yaml_string(service)}
      environment: production{config_line}
"""
