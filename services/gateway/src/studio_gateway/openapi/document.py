"""One OpenAPI document for the whole public API, and the page that shows it.

The gateway's own routes (accounts, tokens, events) come from its FastAPI app; every proxied
route comes from the OpenAPI document of the service that answers it, so request and response
models are the ones the services really validate with. Each proxied operation gets the answers
the gateway adds (401, 429, 502, 504) and problem bodies for its errors; a service's 422 is
described as the problem body it really sends. The document is built once all services answer,
then kept. Swagger UI is served from the package's own files: nothing comes from a CDN.
"""

import asyncio
import copy
from pathlib import Path
from typing import Any

import fastapi_offline
import structlog
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import compile_path
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.internal_auth import Identity

from studio_gateway.openapi.responses import (
    CSRF,
    LIMITED,
    PROBLEM_DEFS,
    PROBLEM_SCHEMA,
    UNAUTHORIZED,
    Responses,
    problem,
)
from studio_gateway.proxy.routes import ProxyRoute
from studio_gateway.proxy.upstream import UpstreamProxy
from studio_gateway.security.headers import docs_policy

OPENAPI_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/docs"
_STATIC = Path(fastapi_offline.__file__).parent / "static"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_GATEWAY_ERRORS: Responses = {
    **UNAUTHORIZED,
    **LIMITED,
    502: problem("The service behind this route is unavailable"),
    504: problem("The service behind this route did not answer in time"),
}
_SECURITY_SCHEMES = {
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`sst_…`) from POST /api/v1/tokens",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "studio_session",
        "description": "The browser session from POST /api/v1/auth/login; changes also need "
        "the `X-CSRF-Token` header",
    },
}

log = structlog.get_logger(__name__)


class PublicOpenApi:
    def __init__(
        self,
        app: FastAPI,
        proxy: UpstreamProxy,
        services: list[str],
        routes: tuple[ProxyRoute, ...],
    ) -> None:
        self._app = app
        self._proxy = proxy
        self._service_names = services
        self._routes = routes
        self._document: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def document(self, request_id: str | None = None) -> dict[str, Any]:
        async with self._lock:
            if self._document is None:
                services = await self._services(request_id)
                self._document = merge(self._own(), services, self._routes)
            return self._document

    def _own(self) -> dict[str, Any]:
        return get_openapi(
            title=self._app.title,
            version=self._app.version,
            description="The public API of AI Studio. Every route needs a session or an API "
            "token unless the server runs in local mode; lists are `{items, next_cursor}`; "
            "errors are RFC 9457 problem bodies.",
            routes=self._app.routes,
        )

    async def _services(self, request_id: str | None) -> dict[str, dict[str, Any]]:
        identity = Identity(user_id="gateway-openapi", request_id=request_id)
        documents: dict[str, dict[str, Any]] = {}
        for name in self._service_names:
            try:
                response = await self._proxy.get(name, "/openapi.json", identity)
                response.raise_for_status()
                documents[name] = response.json()
            except Exception as exc:
                log.warning("openapi.service_unavailable", service=name, error=str(exc))
                raise ServiceUnavailable(
                    f"The API description needs the {name} service, which is not answering."
                ) from exc
        return documents


def merge(
    own: dict[str, Any], services: dict[str, dict[str, Any]], routes: tuple[ProxyRoute, ...]
) -> dict[str, Any]:
    """The public document: `own` with the operations of `services` behind `routes`.

    Nothing of the arguments or of this module's shared answers (`LIMITED`, `UNAUTHORIZED`, ...)
    is put in by reference: the document's answers are then edited in place, and one edit must
    not reach every operation sharing the object, nor the next document built."""
    document = copy.deepcopy(own)
    paths: dict[str, Any] = document.setdefault("paths", {})
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name, service_doc in services.items():
        matchers = [
            (compile_path(pattern)[0], set(methods))
            for pattern, methods, service in routes
            if service == name
        ]
        for path, operations in service_doc.get("paths", {}).items():
            for method, operation in operations.items():
                if any(
                    regex.match(path) and method.upper() in allowed for regex, allowed in matchers
                ):
                    paths.setdefault(path, {})[method] = _public(operation)
        for schema_name, schema in service_doc.get("components", {}).get("schemas", {}).items():
            if schema_name in _FASTAPI_VALIDATION:
                continue
            if schema_name in schemas and schemas[schema_name] != schema:
                raise ValueError(f"two services define the schema {schema_name} differently")
            schemas[schema_name] = copy.deepcopy(schema)
    for schema_name in _FASTAPI_VALIDATION:
        schemas.pop(schema_name, None)
    schemas.update(copy.deepcopy(PROBLEM_DEFS))
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("429", copy.deepcopy(LIMITED[429]))
            if operation.get("security") != []:
                responses.setdefault("401", copy.deepcopy(UNAUTHORIZED[401]))
            _common_answers(path, method, operation)
            _problems_for_errors(operation)
    document["components"]["securitySchemes"] = copy.deepcopy(_SECURITY_SCHEMES)
    document["security"] = [{"apiToken": []}, {"session": []}]
    return document


def _public(operation: dict[str, Any]) -> dict[str, Any]:
    operation = copy.deepcopy(operation)
    responses = operation.setdefault("responses", {})
    for status, answer in _GATEWAY_ERRORS.items():
        responses.setdefault(str(status), copy.deepcopy(answer))
    return operation


def _common_answers(path: str, method: str, operation: dict[str, Any]) -> None:
    """What every route of its kind may answer, whichever service it is: 404 for a path naming
    a record (missing, or someone else's), 408 for a body that stops arriving, 413 and 415 for
    a JSON body, 411 for an upload without its length (while uploads are counted per hour), 403
    for a change made with a session cookie but without its CSRF token."""
    responses = operation["responses"]
    if "{" in path:
        responses.setdefault("404", problem("No such record, or it is not yours"))
    body = operation.get("requestBody", {}).get("content", {})
    if body:
        responses.setdefault(
            "408", problem("The body stopped arriving (`STUDIO_BODY_READ_TIMEOUT_S`)")
        )
    if "application/json" in body:
        responses.setdefault("413", problem("A JSON body over 256 KiB"))
        responses.setdefault("415", problem("A body that is not `application/json`"))
    if "multipart/form-data" in body:
        responses.setdefault(
            "411",
            problem(
                "An upload without `Content-Length` while `STUDIO_UPLOAD_BYTES_PER_HOUR` is set"
            ),
        )
    if method != "get" and operation.get("security") != [] and not path.startswith("/api/v1/auth/"):
        responses.setdefault("403", copy.deepcopy(CSRF[403]))


def _problems_for_errors(operation: dict[str, Any]) -> None:
    """Every 4xx/5xx is a problem body (FastAPI's own 422 schema included), and any status the
    route does not list is one too."""
    responses = operation.setdefault("responses", {})
    for status, answer in responses.items():
        if status[:1] in ("4", "5"):
            answer["content"] = problem(answer.get("description", ""))["content"]
    responses.setdefault("default", problem("An error, as a problem body"))


def install_docs(app: FastAPI) -> str:
    """Serve the document and its Swagger UI page; return the page's Content-Security-Policy."""
    app.mount(f"{DOCS_PATH}/static", StaticFiles(directory=_STATIC), name="docs-static")
    # Built once: the page never changes, and its inline script's hash goes into the CSP.
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="AI Studio API",
        swagger_js_url=f"{DOCS_PATH}/static/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_PATH}/static/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_PATH}/static/favicon.png",
    ).body
    assert isinstance(page, bytes)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    async def openapi_document(request: Request) -> JSONResponse:
        public: PublicOpenApi = request.app.state.openapi
        return JSONResponse(await public.document(request.state.request_id))

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    return docs_policy(page.decode())
