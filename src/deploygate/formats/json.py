"""The JSON report, schema_version 1: an outside contract, serialised field by field.

It is never ``asdict(model)``: renaming a field in the model must not
silently change what users' scripts read. The schema ships beside this
module as ``report-v1.schema.json`` and every test output is validated
against it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deploygate.dates import format_instant
from deploygate.model import (
    ActionItem,
    Coverage,
    Deployment,
    Finding,
    Fix,
    Postmortem,
    Report,
    Shipment,
    SourceStatus,
)
from deploygate.sanitize import inert_json

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions

SCHEMA_VERSION = 1
SCHEMA_RESOURCE = "report-v1.schema.json"


def _deployment(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "url": deployment.url,
        "title": deployment.title,
        "service": deployment.service,
        "environment": deployment.environment,
        "sha": deployment.sha,
        "status": deployment.status.value,
        "created_at": format_instant(deployment.created_at),
        "rollback": deployment.rollback,
    }


def _postmortem(postmortem: Postmortem) -> dict[str, Any]:
    return {
        "id": postmortem.id,
        "url": postmortem.url,
        "title": postmortem.title,
        "state": postmortem.state.value,
        "service": postmortem.service,
        "created_at": format_instant(postmortem.created_at),
    }


def _action_item(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "state": item.state.value,
        "due": item.due.isoformat() if item.due else None,
        "team": item.team,
        "reason": item.reason,
        "created_at": format_instant(item.created_at),
        "closed_at": format_instant(item.closed_at) if item.closed_at else None,
        "fixes": [_fix(fix) for fix in item.fixes],
    }


def _fix(fix: Fix) -> dict[str, Any]:
    return {
        "ref": fix.ref,
        "url": fix.url,
        "sha": fix.sha,
        "merged_at": _instant(fix.merged_at),
        "shipped_at": _instant(fix.shipped_at),
    }


def _shipment(shipment: Shipment) -> dict[str, Any]:
    shipped = shipment.shipped_in is not None if shipment.known else None
    return {
        "action_item": shipment.item.id,
        "fix": _fix(shipment.fix),
        "environment": shipment.environment,
        "at": format_instant(shipment.at),
        "shipped": shipped,
        "latest_deployment": _deployment(shipment.latest) if shipment.latest else None,
        "shipped_in": _deployment(shipment.shipped_in) if shipment.shipped_in else None,
        "in_deploying": shipment.in_deploying,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule.value,
        "level": finding.level.label,
        "message": finding.message,
        "url": finding.url,
        "fingerprint": finding.fingerprint,
        "remedy": finding.remedy,
        "link": finding.link.value if finding.link else None,
        "deployment": _deployment(finding.deployment) if finding.deployment else None,
        "postmortem": _postmortem(finding.postmortem) if finding.postmortem else None,
        "action_item": _action_item(finding.action_item) if finding.action_item else None,
        "fixes": [_shipment(shipment) for shipment in finding.shipments],
    }


def _instant(moment: datetime | None) -> str | None:
    return format_instant(moment) if moment else None


def _coverage(coverage: Coverage) -> dict[str, Any]:
    return {
        "deployments": coverage.deployments,
        "environments": list(coverage.environments),
        "first_deployment": _instant(coverage.first_deployment),
        "last_deployment": _instant(coverage.last_deployment),
        "postmortems": coverage.postmortems,
        "action_items": coverage.action_items,
    }


def _source(source: SourceStatus) -> dict[str, Any]:
    usage = source.usage
    return {
        "name": source.name,
        "ok": source.ok,
        "error": source.error,
        "requests": usage.requests if usage else None,
        "rate_limit_remaining": usage.rate_limit_remaining if usage else None,
        "rate_limit_limit": usage.rate_limit_limit if usage else None,
        "notices": list(source.notices),
        "coverage": _coverage(source.coverage) if source.coverage else None,
    }


def document(report: Report) -> dict[str, Any]:
    """The report as the JSON-ready structure of schema_version 1."""
    summary = report.summary
    return {
        "schema_version": SCHEMA_VERSION,
        "service": report.service,
        "environment": report.environment,
        "evaluated_at": format_instant(report.evaluated_at),
        "verdict": report.verdict.value,
        "enforced": report.enforced,
        "override_reason": report.override_reason,
        "findings": [_finding(finding) for finding in report.findings],
        "summary": {
            "failed_deployments": summary.failed_deployments,
            "reviewed_failures": summary.reviewed_failures,
            "postmortems": summary.postmortems,
            "open_action_items": summary.open_action_items,
            "overdue_action_items": summary.overdue_action_items,
        },
        "sources": [_source(source) for source in report.sources],
    }


def render(report: Report, options: RenderOptions) -> str:
    """The report as indented JSON with a trailing newline."""
    # inert_json: printed in a workflow's log, a "##[" in a title would be a command.
    return inert_json(json.dumps(document(report), indent=2, ensure_ascii=False)) + "\n"
