"""The gateway's public OpenAPI document (`merge`): the gateway's own operations plus each
service's operations behind a proxied route, with the answers the gateway adds."""

import copy
from typing import Any

import pytest
from studio_gateway.openapi.document import merge
from studio_runtime.model_paths import MODEL_PATH

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ROUTES = (
    ("/api/v1/projects", ["GET", "POST"], "projects"),
    ("/api/v1/projects/{project_id}", ["GET"], "projects"),
    (f"/api/v1/models/{{model_id:{MODEL_PATH}}}", ["GET"], "catalog"),
)


def operation(summary: str, *responses: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "responses": {status: {"description": status} for status in responses},
        **extra,
    }


def own() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "gateway", "version": "1"},
        "paths": {
            "/api/v1/auth/login": {"post": operation("log in", "200", security=[])},
            "/api/v1/tokens": {"post": operation("new token", "201")},
        },
        "components": {"schemas": {"HTTPValidationError": {"type": "object"}}},
    }


def services() -> dict[str, dict[str, Any]]:
    project = {"type": "object", "properties": {"id": {"type": "string"}}}
    return {
        "projects": {
            "paths": {
                "/api/v1/projects": {
                    "get": operation("list", "200"),
                    "post": operation("create", "201", "422"),
                },
                "/api/v1/projects/{project_id}": {
                    "get": operation("one", "200", "404"),
                    "delete": operation("not proxied", "204"),
                },
                "/internal/projects/{project_id}": {"get": operation("internal", "200")},
            },
            "components": {
                "schemas": {
                    "Project": project,
                    "HTTPValidationError": {"type": "object"},
                    "ValidationError": {"type": "object"},
                }
            },
        },
        "catalog": {
            "paths": {
                "/api/v1/models/{model_id}": {"get": operation("model", "200")},
                "/api/v1/projects": {"put": operation("someone else's path", "200")},
            },
            "components": {"schemas": {"Project": copy.deepcopy(project)}},
        },
    }


def test_only_operations_behind_a_route_of_their_service_are_published() -> None:
    paths = merge(own(), services(), ROUTES)["paths"]
    assert set(paths) == {
        "/api/v1/auth/login",
        "/api/v1/tokens",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/models/{model_id}",  # through the {model_id:model_path} route
    }
    assert set(paths["/api/v1/projects"]) == {"get", "post"}, "catalog's put is not proxied"
    assert set(paths["/api/v1/projects/{project_id}"]) == {"get"}, "delete is not proxied"


def test_proxied_operations_get_the_gateways_answers_as_problems() -> None:
    paths = merge(own(), services(), ROUTES)["paths"]
    responses = paths["/api/v1/projects/{project_id}"]["get"]["responses"]
    assert {"200", "401", "404", "429", "502", "504", "default"} <= set(responses)
    for status in ("401", "404", "429", "502", "504", "default"):
        [content] = responses[status]["content"].values()
        assert content["schema"] == PROBLEM_REF, status
    assert "content" not in responses["200"], "a success answer is left as the service wrote it"


def test_the_services_422_is_described_as_a_problem() -> None:
    paths = merge(own(), services(), ROUTES)["paths"]
    [content] = paths["/api/v1/projects"]["post"]["responses"]["422"]["content"].values()
    assert content["schema"] == PROBLEM_REF


def test_an_operation_open_to_all_gets_no_401() -> None:
    responses = merge(own(), services(), ROUTES)["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "401" not in responses
    assert "429" in responses


def test_schemas_are_merged_without_fastapis_validation_error() -> None:
    document = merge(own(), services(), ROUTES)
    schemas = document["components"]["schemas"]
    assert "Project" in schemas
    assert "Problem" in schemas
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert {"apiToken", "session"} <= set(document["components"]["securitySchemes"])
    assert document["security"] == [{"apiToken": []}, {"session": []}]


def test_two_services_defining_a_schema_differently_is_an_error() -> None:
    differing = services()
    differing["catalog"]["components"]["schemas"]["Project"] = {"type": "string"}
    with pytest.raises(ValueError, match="Project"):
        merge(own(), differing, ROUTES)


# Sharing by reference (inputs and the module's answers): tests/unit/test_gateway_openapi.py.


def test_every_operation_declares_the_answers_of_its_kind() -> None:
    """404 where the path names a record, 413 and 415 with a JSON body, 403 (CSRF) for a change
    made with a session: sent by every service alike, so declared for every operation alike."""
    services_doc = services()
    create = services_doc["projects"]["paths"]["/api/v1/projects"]["post"]
    create["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    paths = merge(own(), services_doc, ROUTES)["paths"]
    one = paths["/api/v1/projects/{project_id}"]["get"]["responses"]
    created = paths["/api/v1/projects"]["post"]["responses"]
    listed = paths["/api/v1/projects"]["get"]["responses"]
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert "404" in one and "404" not in listed
    assert {"413", "415", "403"} <= created.keys()
    assert not {"413", "415", "403"} & listed.keys()
    assert "403" not in login  # nobody has a session yet
    assert created["415"]["content"]["application/problem+json"]["schema"] == PROBLEM_REF
