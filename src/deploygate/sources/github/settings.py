"""Where and how to reach GitHub: the config file, then the Actions environment, then defaults.

GitHub Actions sets ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``,
``GITHUB_GRAPHQL_URL`` and ``GITHUB_SERVER_URL`` (which differ on GitHub
Enterprise Server), so a workflow needs no configuration beyond a token.
See https://docs.github.com/en/actions/reference/variables-reference
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deploygate.config import Config
from deploygate.credentials import clean_token, environment_url, read_token
from deploygate.errors import ConfigError, SourceError
from deploygate.sources.github.config import GitHubConfig

if TYPE_CHECKING:
    from deploygate.sources.interface import SourceContext

SOURCE_NAME = "github"
PUBLIC_API = "https://api.github.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_WORKFLOW_FILE = re.compile(r"^(?:\./)?(?:\.github/workflows/)?(?P<file>[^/\s]+\.ya?ml)$")
"""GitHub runs only the workflows directly in .github/workflows, so a file name says it all."""


@dataclass(frozen=True, slots=True)
class DeployWorkflow:
    """A service whose deployments are the runs of a workflow, not GitHub deployment records."""

    file: str
    """The workflow's file name in ``.github/workflows`` (``deploy.yml``): the runs API
    accepts it in place of the workflow's id."""
    job: str | None = None
    """The deploying job: when set, a run is a deployment only if this job ran."""
    branch: str | None = None
    """The branch deploys run from; None means the repository's default branch."""


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    """Where and how to read GitHub, after config, environment and command line."""

    repository: str
    """owner/name of the repository that deploys the service."""
    postmortem_repository: str
    """owner/name where postmortem issues live (the same repository by default)."""
    api_url: str
    graphql_url: str
    web_url: str
    postmortem_labels: tuple[str, ...] = ("postmortem",)
    service_label: str = "service:{service}"
    service_label_prefix: str = "service:"
    team_label_prefix: str = "team:"
    cause_label_prefix: str = "cause:"
    environments: Mapping[str, tuple[str, ...]] | None = None
    """Each service's environments, from ``[services.NAME]``."""
    workflows: Mapping[str, DeployWorkflow] | None = None
    """The services whose history is a workflow's runs, from ``[services.NAME] workflow``."""
    deadline: float = 60.0
    token_env: str = "GITHUB_TOKEN"
    token: str = ""
    """Read from ``token_env`` by :func:`with_token`; empty until then."""

    @property
    def where(self) -> tuple[str, str, str]:
        """The API, the repository and the postmortem repository: where a platform writes."""
        return self.api_url, self.repository, self.postmortem_repository


def split_repository(repository: str) -> tuple[str, str]:
    """``owner/name`` as a pair; the caller has validated the form."""
    owner, _, name = repository.partition("/")
    return owner, name


def graphql_url_for(api_url: str) -> str:
    """GitHub's GraphQL endpoint for a REST base: ``/graphql``, or ``/api/graphql`` on GHES."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base.removesuffix("/v3") + "/graphql"
    return base + "/graphql"


def web_url_for(api_url: str) -> str:
    """The web host for a REST base: github.com for the public API, else the same host."""
    parts = urlsplit(api_url)
    if parts.netloc == "api.github.com":
        return "https://github.com"
    return f"{parts.scheme}://{parts.netloc}"


def gh_token() -> str | None:
    """The GitHub CLI's token on a laptop, when gh is installed and logged in."""
    import subprocess  # only outside CI, without a token: a check in CI never pays for it

    try:
        result = subprocess.run(
            ["gh", "auth", "token"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return clean_token(result.stdout, "the token of 'gh auth token'")


def token(env: Mapping[str, str], variable: str) -> str:
    """The token from ``variable``; outside CI, gh's; else a SourceError saying what to set."""
    found = read_token(env, variable) or (None if env.get("CI") else gh_token())
    if not found:
        raise SourceError(
            SOURCE_NAME,
            f"no GitHub token: set {variable} (in a workflow, "
            f"env: {variable}: ${{{{ github.token }}}}) or log in with 'gh auth login'",
        )
    return found


def deploy_workflows(config: Config) -> dict[str, DeployWorkflow]:
    """Each service with a ``workflow``, its file name checked (a usage error, exit 2).

    ``job`` without ``workflow`` names a GitLab job and is no concern of GitHub's.
    """
    workflows = {}
    for name, service in config.services.items():
        if service.workflow is None:
            continue
        match = _WORKFLOW_FILE.match(service.workflow)
        if match is None:
            raise config.error(
                ("services", name),
                "workflow",
                f"{service.workflow!r} is not a workflow file",
                "a file in .github/workflows, e.g. deploy.yml",
            )
        workflows[name] = DeployWorkflow(match.group("file"), service.job, service.branch)
    return workflows


def resolve(github: GitHubConfig, config: Config, context: SourceContext) -> GitHubSettings:
    """Where and what to read, without the token; a missing repository is exit 2."""
    env = context.env
    repository = context.repository or github.repository or env.get("GITHUB_REPOSITORY")
    if not repository:
        raise ConfigError(
            "no GitHub repository",
            field="--repo",
            expected="--repo OWNER/NAME, [github] repository, or GITHUB_REPOSITORY",
        )
    if not _REPOSITORY.match(repository):
        raise ConfigError(
            f"{repository!r} is not a repository", field="--repo", expected="OWNER/NAME"
        )
    api_url = (github.api_url or environment_url(env, "GITHUB_API_URL") or PUBLIC_API).rstrip("/")
    return GitHubSettings(
        repository=repository,
        postmortem_repository=github.postmortem_repository or repository,
        api_url=api_url,
        graphql_url=github.graphql_url
        or environment_url(env, "GITHUB_GRAPHQL_URL")
        or graphql_url_for(api_url),
        web_url=environment_url(env, "GITHUB_SERVER_URL") or web_url_for(api_url),
        postmortem_labels=github.postmortem_labels,
        service_label=github.service_label,
        service_label_prefix=github.service_label.removesuffix("{service}"),
        team_label_prefix=github.team_label.removesuffix("{team}"),
        cause_label_prefix=github.cause_label.removesuffix("{cause}"),
        environments={name: service.environments for name, service in config.services.items()},
        workflows=deploy_workflows(config),
        deadline=github.deadline.total_seconds(),
        token_env=github.token_env,
    )


def with_token(settings: GitHubSettings, env: Mapping[str, str]) -> GitHubSettings:
    """``settings`` with the token read; a SourceError saying what to set when there is none."""
    return replace(settings, token=token(env, settings.token_env))
