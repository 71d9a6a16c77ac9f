"""GitHub's OpenAPI description as the oracle of the fake GitHub's REST answers.

Every REST answer the fake sends in a test (to ``requests`` or to PyGithub)
can be validated against the response schema GitHub publishes for its path,
method and status, and every JSON request body against the request schema;
tests/oracle installs the description (``@octokit/openapi``). The test of
the fake (fakes/test_fake_github.py) and the tests whose traffic goes through it
share these checks.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from fakes.github import FakeGitHub, RecordedRequest, openapi_document

# Fake paths -> OpenAPI templates. Link headers name repositories by id, as GitHub does.
_TEMPLATES = [
    "/user",
    "/repos/{owner}/{repo}/issues",
    "/repos/{owner}/{repo}/issues/comments",
    "/repos/{owner}/{repo}/issues/{issue_number}",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
    "/repos/{owner}/{repo}/compare/{basehead}",
]
_REPO_PREFIX = r"(?:/api/v3)?(?:/repos/[^/]+/[^/]+|/repositories/\d+)"

# Errors GitHub sends but does not document for an operation are checked against
# the "Basic Error" schema that GitHub documents for its other error answers.
_UNDOCUMENTED = {
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 401),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 403),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 404),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 401),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 403),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 404),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 401),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 401),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}", 401),
    # The Actions listings document only 200; a token without actions: read gets 403,
    # an unknown workflow or run 404.
    ("get", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", 403),
    ("get", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", 404),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", 403),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", 404),
}
_SCHEMA_KEYWORDS_TO_DROP = {
    "nullable",
    "example",
    "examples",
    "discriminator",
    "externalDocs",
    "xml",
    "readOnly",
    "writeOnly",
    "deprecated",
}


def template_for(path: str) -> str:
    for template in _TEMPLATES:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        pattern = pattern.replace("/repos/[^/]+/[^/]+", _REPO_PREFIX, 1)
        if not template.startswith("/repos/"):
            pattern = r"(?:/api/v3)?" + pattern
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"no OpenAPI template for {path}")


def to_json_schema(schema: dict[str, Any], strict: bool) -> dict[str, Any]:
    """OpenAPI 3.0 schema -> JSON Schema (draft 4): ``nullable`` becomes a "null" type.

    ``strict`` also forbids properties the schema does not declare, so the fake
    cannot invent fields (GitHub's schemas leave objects open). An ``allOf`` of
    objects (an issue plus ``suggestions`` for PATCH) is merged first, or each
    branch would forbid the other's properties.
    """
    branches = schema.get("allOf", ())
    if strict and branches and all("properties" in branch for branch in branches):
        merged = {key: value for key, value in schema.items() if key != "allOf"}
        merged["type"] = "object"
        merged["properties"] = {k: v for b in branches for k, v in b["properties"].items()}
        merged["required"] = [name for b in branches for name in b.get("required", ())]
        return to_json_schema(merged, strict)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_KEYWORDS_TO_DROP or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub, strict) for name, sub in value.items()}
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = to_json_schema(value, strict)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [to_json_schema(sub, strict) for sub in value]
        else:
            out[key] = value
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
        if "message" in out["properties"] and "documentation_url" in out["properties"]:
            # Every GitHub error body now carries "status" (e.g. "422"), though only the
            # "Basic Error" schema declares it.
            out["properties"].setdefault("status", {"type": "string"})
    if schema.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # GitHub's REST timestamps are RFC 3339 in UTC with a Z.
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value)) and bool(
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    )


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _operation(method: str, template: str) -> dict[str, Any]:
    operation: dict[str, Any] = openapi_document()["paths"][template][method]
    return operation


@functools.cache
def response_validator(method: str, template: str, status: int) -> jsonschema.Draft4Validator:
    responses = _operation(method, template)["responses"]
    if str(status) in responses:
        content = responses[str(status)].get("content")
        assert content is not None, f"{method.upper()} {template} {status} has no body"
        schema = content["application/json"]["schema"]
    else:
        assert (method, template, status) in _UNDOCUMENTED, (
            f"GitHub documents no {status} for {method.upper()} {template}"
        )
        schema = _operation("get", "/user")["responses"]["401"]["content"]["application/json"][
            "schema"
        ]
        assert schema["title"] == "Basic Error"
    return jsonschema.Draft4Validator(to_json_schema(schema, strict=True), format_checker=_FORMATS)


@functools.cache
def request_validator(method: str, template: str) -> jsonschema.Draft4Validator | None:
    body = _operation(method, template).get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    return jsonschema.Draft4Validator(to_json_schema(schema, strict=False))


def assert_matches_openapi(record: RecordedRequest) -> None:
    """The request body and the fake's answer fit GitHub's OpenAPI description."""
    assert record.status is not None, f"no answer to {record.method} {record.path}"
    method, template = record.method.lower(), template_for(record.path)
    responses = _operation(method, template)["responses"]
    if record.status == 204:
        assert "204" in responses
        assert record.response_body == b""
    else:
        response_validator(method, template, record.status).validate(record.response_json())
    validator = request_validator(method, template)
    if validator is not None and record.body and record.status < 400:
        validator.validate(record.json())  # a body GitHub would accept fits its schema


def assert_rest_traffic_matches_openapi(fake: FakeGitHub) -> int:
    """Check every REST answer the fake itself made (injected faults are the test's own)."""
    rest = [
        r for r in fake.requests if not r.is_graphql and r.status is not None and r.fault is None
    ]
    for record in rest:
        assert_matches_openapi(record)
    return len(rest)
