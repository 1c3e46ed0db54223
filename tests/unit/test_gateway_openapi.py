"""Merging the services' OpenAPI documents into the gateway's public one: the merge builds a new
document and leaves every input, and the module-level answers it adds, as they were."""

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from studio_gateway.openapi import document, responses
from studio_gateway.openapi.document import merge
from studio_gateway.proxy.routes import ROUTES


def _operation(*statuses: str) -> dict[str, Any]:
    return {"responses": {status: {"description": f"answer {status}"} for status in statuses}}


OWN: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "AI Studio API", "version": "1"},
    "paths": {
        "/api/v1/me": {"get": _operation("200")},
        "/api/v1/auth/login": {"post": {**_operation("200", "401"), "security": []}},
    },
}
SERVICES: dict[str, dict[str, Any]] = {
    "projects": {
        "paths": {
            "/api/v1/projects": {"get": _operation("200"), "post": _operation("201", "422")},
            "/api/v1/projects/{project_id}": {"get": _operation("200", "404")},
        },
        "components": {"schemas": {"Project": {"type": "object"}}},
    },
    "catalog": {"paths": {"/api/v1/models": {"get": _operation("200")}}},
}
SHARED = {
    "LIMITED": responses.LIMITED,
    "UNAUTHORIZED": responses.UNAUTHORIZED,
    "PROBLEM_SCHEMA": responses.PROBLEM_SCHEMA,
    "PROBLEM_DEFS": responses.PROBLEM_DEFS,
    "_GATEWAY_ERRORS": document._GATEWAY_ERRORS,
    "_SECURITY_SCHEMES": document._SECURITY_SCHEMES,
}


@pytest.fixture
def merged() -> dict[str, Any]:
    return merge(copy.deepcopy(OWN), copy.deepcopy(SERVICES), ROUTES)


def _answers(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for operations in doc["paths"].values():
        for operation in operations.values():
            yield from operation["responses"].values()


def _everything_in(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            yield from _everything_in(child)


def test_editing_the_merged_document_leaves_the_shared_answers_untouched(
    merged: dict[str, Any],
) -> None:
    before = copy.deepcopy(SHARED)
    for answer in _answers(merged):
        answer["description"] = "edited"
        answer.setdefault("content", {}).clear()
    merged["components"]["schemas"]["Problem"]["title"] = "edited"
    merged["components"]["securitySchemes"]["apiToken"]["scheme"] = "edited"
    assert before == SHARED


def test_no_object_of_the_document_is_one_of_the_shared_answers(merged: dict[str, Any]) -> None:
    shared = {id(obj) for obj in _everything_in(SHARED) if isinstance(obj, dict | list)}
    in_document = {id(obj) for obj in _everything_in(merged) if isinstance(obj, dict | list)}
    assert not shared & in_document


def test_no_two_operations_share_a_response_object(merged: dict[str, Any]) -> None:
    answers = [id(answer) for answer in _answers(merged)]
    contents = [id(answer["content"]) for answer in _answers(merged) if "content" in answer]
    assert len(answers) == len(set(answers))
    assert len(contents) == len(set(contents))


def test_the_inputs_are_left_as_they_were() -> None:
    own, services = copy.deepcopy(OWN), copy.deepcopy(SERVICES)
    merge(own, services, ROUTES)
    assert (own, services) == (OWN, SERVICES)


def test_every_gateway_answer_is_added_to_every_operation(merged: dict[str, Any]) -> None:
    for path, operations in merged["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], (path, method)
            assert "default" in operation["responses"], (path, method)
    forwarded = merged["paths"]["/api/v1/projects"]["get"]["responses"]
    assert {"401", "429", "502", "504"} <= set(forwarded)
