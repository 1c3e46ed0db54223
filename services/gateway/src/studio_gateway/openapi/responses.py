"""The error answers the gateway's routes declare in the OpenAPI document."""

from typing import Any

from studio_contracts.problems import PROBLEM_CONTENT_TYPE, Problem


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
PROBLEM_DEFS: dict[str, Any] = _schema.pop("$defs", {})
"""The schemas `Problem` refers to (`FieldError`)."""
PROBLEM_SCHEMA: dict[str, Any] = _schema
Responses = dict[int | str, dict[str, Any]]

UNAUTHORIZED: Responses = {401: problem("No valid session or API token")}
CSRF: Responses = {403: problem("A cookie-authenticated change without the X-CSRF-Token header")}
SESSION_ONLY: Responses = {
    403: problem(
        "A cookie-authenticated change without the X-CSRF-Token header, or a call with an API "
        "token: managing sign-ins needs a browser session (`session-required`)"
    )
}
LIMITED: Responses = {429: problem("Too many requests; `Retry-After` says when to try again")}
