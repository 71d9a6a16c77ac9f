"""A dotenv file for ``artifacts:reports:dotenv``: the verdict and counts as job variables.

Later jobs of the pipeline read them as ``$DEPLOYGATE_VERDICT`` and so on.
Values are single words and numbers, so no quoting rules come into play.
See https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsdotenv
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploygate.model import Level, Verdict

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions
    from deploygate.model import Report


def render(report: Report, options: RenderOptions) -> str:
    """``DEPLOYGATE_VERDICT=block``, ``DEPLOYGATE_ENFORCED`` (false in advisory mode, where
    the verdict keeps its real value) and the counts, one per line."""
    values = {
        "DEPLOYGATE_VERDICT": report.verdict.value,
        "DEPLOYGATE_ENFORCED": "true" if report.enforced else "false",
        "DEPLOYGATE_BLOCKING": "true" if report.verdict is Verdict.BLOCK else "false",
        "DEPLOYGATE_FINDINGS": str(len(report.findings)),
        "DEPLOYGATE_ERRORS": str(report.count(Level.ERROR)),
        "DEPLOYGATE_WARNINGS": str(report.count(Level.WARNING)),
        "DEPLOYGATE_NOTICES": str(report.count(Level.NOTICE)),
    }
    return "".join(f"{name}={value}\n" for name, value in values.items())
