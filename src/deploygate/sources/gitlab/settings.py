"""Where and how to reach GitLab: the config file, then the GitLab CI variables, then defaults.

GitLab CI sets ``CI_API_V4_URL``, ``CI_SERVER_URL`` and ``CI_PROJECT_PATH``
(and ``CI_PROJECT_ID``, ``CI_DEFAULT_BRANCH``), so a pipeline on gitlab.com
or a self-managed instance needs no configuration beyond a token.
See https://docs.gitlab.com/ci/variables/predefined_variables/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from deploygate.config import Config
from deploygate.credentials import environment_url, read_token
from deploygate.errors import ConfigError, SourceError
from deploygate.sources.gitlab.config import GitLabConfig

if TYPE_CHECKING:
    from deploygate.sources.interface import SourceContext

SOURCE_NAME = "gitlab"
PUBLIC_URL = "https://gitlab.com"
SCOPES = "a project or personal access token with the read_api scope"


@dataclass(frozen=True, slots=True)
class DeployJob:
    """A service whose deployments are the runs of one job of the project's pipelines."""

    name: str
    branch: str | None = None
    """The branch its deploys run from; None: the project's default branch."""


@dataclass(frozen=True, slots=True)
class GitLabSettings:
    """Where and how to read GitLab, after config, environment and command line."""

    url: str
    """The server, e.g. https://gitlab.example.com (no /api/v4)."""
    project: str
    """The deploying project: a path (group/shop) or a numeric id."""
    postmortem_project: str
    postmortem_labels: tuple[str, ...] = ("postmortem",)
    incidents: bool = True
    """Whether issues of type incident are postmortems too."""
    service_label_prefix: str = "service::"
    team_label_prefix: str = "team::"
    cause_label_prefix: str = "cause::"
    declined_labels: tuple[str, ...] = ("wontfix", "won't do", "duplicate", "declined")
    environments: Mapping[str, tuple[str, ...]] | None = None
    deploy_jobs: Mapping[str, DeployJob] | None = None
    """Services that name a deploy job (``[services.NAME] job``), by service."""
    default_branch: str | None = None
    """The project's default branch when CI already says it (``CI_DEFAULT_BRANCH``);
    None: asked of the project when a deploy job needs it."""
    failed_only: bool = False
    """Read failed deployments only: nothing needs the successful ones when rollback
    detection is off (``[rollbacks] detect = false``), so requests follow failures."""
    deadline: float = 60.0
    token_env: str = "GITLAB_TOKEN"
    token: str = ""
    """Read from ``token_env`` by :func:`with_token`; empty until then."""

    @property
    def where(self) -> tuple[str, str, str]:
        """The server, the project and the postmortem project: where a platform writes."""
        return self.url, self.project, self.postmortem_project


def token(env: Mapping[str, str], variable: str) -> str:
    """The API token; a job token alone is not enough, and the message says why."""
    found = read_token(env, variable)
    if found:
        return found
    if env.get("CI_JOB_TOKEN"):
        raise SourceError(
            SOURCE_NAME,
            f"only CI_JOB_TOKEN is set, and it can read deployments but not issues: set "
            f"{variable} to {SCOPES} (a masked CI/CD variable)",
        )
    raise SourceError(SOURCE_NAME, f"no GitLab token: set {variable} to {SCOPES}")


def resolve(gitlab: GitLabConfig, config: Config, context: SourceContext) -> GitLabSettings:
    """Where and what to read, without the token; a missing project is exit 2."""
    env = context.env
    project = (
        context.project or gitlab.project or env.get("CI_PROJECT_PATH") or env.get("CI_PROJECT_ID")
    )
    if not project:
        raise ConfigError(
            "no GitLab project",
            field="--project",
            expected="--project GROUP/NAME or an id, [gitlab] project, or CI_PROJECT_PATH",
        )
    api_v4 = environment_url(env, "CI_API_V4_URL")
    url = (
        gitlab.url
        or (api_v4.removesuffix("/").removesuffix("/api/v4") if api_v4 else None)
        or environment_url(env, "CI_SERVER_URL")
        or PUBLIC_URL
    ).rstrip("/")
    return GitLabSettings(
        url=url,
        project=project,
        postmortem_project=gitlab.postmortem_project or project,
        postmortem_labels=gitlab.postmortem_labels,
        incidents=gitlab.incidents,
        service_label_prefix=gitlab.service_label.removesuffix("{service}"),
        team_label_prefix=gitlab.team_label.removesuffix("{team}"),
        cause_label_prefix=gitlab.cause_label.removesuffix("{cause}"),
        declined_labels=gitlab.declined_labels,
        environments={name: service.environments for name, service in config.services.items()},
        deploy_jobs={
            name: DeployJob(service.job, service.branch)
            for name, service in config.services.items()
            if service.job
        },
        default_branch=_default_branch(env, project),
        failed_only=not config.rollbacks.detect and not context.every_deployment,
        deadline=gitlab.deadline.total_seconds(),
        token_env=gitlab.token_env,
    )


def with_token(settings: GitLabSettings, env: Mapping[str, str]) -> GitLabSettings:
    """``settings`` with the token read; a SourceError saying what to set when there is none."""
    return replace(settings, token=token(env, settings.token_env))


def _default_branch(env: Mapping[str, str], project: str) -> str | None:
    """CI_DEFAULT_BRANCH, when the pipeline runs in the project read (else it is another's)."""
    if project in (env.get("CI_PROJECT_PATH"), env.get("CI_PROJECT_ID")):
        return env.get("CI_DEFAULT_BRANCH") or None
    return None
