"""Domain errors and their one mapping to RFC 9457 problem+json responses."""

import math
from collections.abc import Mapping, Sequence
from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from studio_contracts.problems import PROBLEM_CONTENT_TYPE, FieldError, Problem, summarise

from studio_runtime.field_errors import field_error

log = structlog.get_logger(__name__)


class DomainError(Exception):
    """An expected failure the caller should hear about, with an HTTP status."""

    status: int = 400
    code: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


class NotFound(DomainError):
    status = 404
    code = "not-found"


def not_yours(kind: str, record_id: str) -> NotFound:
    """The one wording of "not found" for a user's record of any kind: a plain sentence naming
    what was asked for, the same whether it never existed or is someone else's (an answer never
    confirms that another user's record exists)."""
    return NotFound(f"No {kind} with id {record_id} in your account.")


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    status = 422
    code = "invalid-input"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """Only for a caller who is known but whose request lacks a required proof (CSRF, or a
    browser session where an API token may not act); never for someone else's resource, which
    is a 404."""

    status = 403
    code = "forbidden"


def wait_seconds(retry_after_s: float) -> int:
    """The whole seconds of a wait as `Retry-After` gives it (rounded up, at least 1): a detail
    that names the wait uses this too, so the two never say different numbers."""
    return max(1, math.ceil(retry_after_s))


class TooManyRequests(DomainError):
    status = 429
    code = "too-many-requests"

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail, headers={"Retry-After": str(wait_seconds(retry_after_s))})
        self.retry_after_s = retry_after_s


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload-too-large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported-media-type"


class RequestTimeout(DomainError):
    """The client stopped sending a body it announced (raised while reading it)."""

    status = 408
    code = "request-timeout"

    def __init__(self, detail: str) -> None:
        # The rest of the body may still arrive: the connection cannot carry another request.
        super().__init__(detail, headers={"Connection": "close"})


CLIENT_CLOSED_REQUEST = 499
"""Not sent to anyone (the client is gone): the status the access line and metrics record for a
request whose client closed the connection before its body was read (nginx's convention)."""
DETAIL_MAX = 500
"""The longest `detail` a problem body carries."""


class ServiceUnavailable(DomainError):
    status = 503
    code = "service-unavailable"


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem(status, detail, code=code, errors=errors).to_body(),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def problem(
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: Sequence[FieldError] = (),
) -> Problem:
    """The problem body for `status`, whatever carries it (an HTTP answer, a NATS reply)."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if detail is not None and len(detail) > DETAIL_MAX:
        # A detail quotes what the caller sent (an id, a path): a huge one is not repeated whole.
        detail = detail[: DETAIL_MAX - 1] + "\u2026"
    return Problem(
        type=f"https://ai-studio.dev/problems/{code}" if code else "about:blank",
        title=title,
        status=status,
        detail=detail,
        errors=list(errors),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    app.add_exception_handler(Exception, _on_unexpected_error)


async def _on_domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    return problem_response(
        exc.status, exc.detail, code=exc.code, errors=exc.errors, headers=exc.headers or None
    )


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [field_error(err) for err in exc.errors()]
    if any(e.loc == ["body"] and e.type in _NOT_AN_OBJECT for e in errors) and not _sent_json(
        request
    ):
        return problem_response(
            415,
            "Send the body as JSON, with `Content-Type: application/json`.",
            code="unsupported-media-type",
        )
    summary = summarise(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors[:5])
    return problem_response(422, summary or "invalid input", code="invalid-input", errors=errors)


_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "list_type"})


def _sent_json(request: Request) -> bool:
    return is_json_media_type(request.headers.get("content-type"))


def is_json_media_type(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this `Content-Type` as JSON: a JSON media type, or
    none at all."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in ("", "application/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """The problem body for an HTTP error Starlette raised (no route, wrong method, …), worded
    as the services' own: `no route '/path'` rather than the bare reason phrase."""
    detail = exc.detail if isinstance(exc.detail, str) else None
    code = None
    if exc.status_code == 404 and detail == "Not Found":
        detail, code = f"no route {request.url.path!r}", "not-found"
    elif exc.status_code == 405:
        headers = dict(exc.headers or {})
        if methods := allowed_methods(request):
            headers["Allow"] = methods
        allowed = headers.get("Allow")
        detail = f"{request.method} is not allowed here" + (f"; use {allowed}" if allowed else "")
        return problem_response(405, detail, code="method-not-allowed", headers=headers)
    return problem_response(exc.status_code, detail, code=code, headers=exc.headers)


def allowed_methods(request: Request) -> str | None:
    """Every method the app serves at this request's path, as `Allow` lists them; None if none.

    Starlette's 405 names only the methods of the first route that has the path: one served by
    two routes (GET by one, POST by another) would list one of them. Each method is tried on the
    whole table instead (only `matches`, which FastAPI's nested routers answer too). HEAD wherever
    GET (`HeadAsGetMiddleware`)."""
    routes = request.app.router.routes
    methods = {
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or None


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def _on_client_gone(_request: Request, _exc: Exception) -> JSONResponse:
    # A client that goes away is not a server error: no traceback, no 500; the access line
    # (status 499) is the one line it leaves.
    return problem_response(
        CLIENT_CLOSED_REQUEST,
        "The client closed the connection before its request was read.",
        code="client-closed-request",
    )


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("request.failed", path=request.url.path, exc_info=exc)
    return problem_response(
        500, "An unexpected error occurred; it has been logged.", code="internal"
    )
