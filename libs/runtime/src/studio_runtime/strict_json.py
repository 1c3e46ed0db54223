"""Refusing JSON request bodies that are too large or that standard JSON does not allow, before
a route reads them.

JSON bodies of the API are small (strings are capped at 10,000 characters or fewer), so one over
`MAX_JSON_BODY_BYTES` is refused with 413, before it is read whole if it says its length: nobody
makes a service hold megabytes, and what is accepted fits a NATS message (1 MiB by default).

Python's `json` (which FastAPI parses bodies with) accepts `NaN`, `Infinity` and `-Infinity`.
No client of ours sends them on purpose, and they pass number checks (`NaN < 1` and `NaN > 1`
are both false) and then fail far from the request: MongoDB refuses the document, a provider
the job. So they are refused here, with 422, for every JSON body of every service.
"""

import json
from typing import NoReturn

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from studio_contracts.problems import FieldError

from studio_runtime.errors import is_json_media_type, problem_response

MAX_JSON_BODY_BYTES = 256 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_NON_STANDARD = (b"NaN", b"Infinity")


class NonStandardNumber(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise NonStandardNumber(name)


def non_standard_number(body: bytes) -> str | None:
    """`NaN`, `Infinity` or `-Infinity` if `body` is JSON that holds one as a value (not in a
    string), else None; None too for a body that is no JSON at all (the route reports that)."""
    if not any(token in body for token in _NON_STANDARD):
        return None  # the common case: no second parse
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except NonStandardNumber as exc:
        return str(exc)
    except ValueError:
        return None
    return None


def is_json_body(scope: Scope) -> bool:
    """Whether FastAPI would parse this request's body as JSON: a JSON media type, or none."""
    if scope["method"] not in _BODY_METHODS:
        return False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return is_json_media_type(value.decode("latin-1"))
    return True


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


class StrictJsonMiddleware:
    """Reads a JSON request body whole, refuses it if it is too large (413) or holds a
    non-standard number (422), and hands it on unchanged otherwise. Other bodies (uploads)
    stream through untouched."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_JSON_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json_body(scope):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:  # chunked, or more than it declared
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not _is_utf8(body):
            # JSON is UTF-8 (RFC 8259); FastAPI would answer its own 400 "error parsing the body".
            await problem_response(
                422,
                "the body is not valid JSON: it is not UTF-8 text",
                code="invalid-input",
                errors=[FieldError(loc=["body"], msg="not UTF-8", type="json_invalid")],
            )(scope, receive, send)
            return
        constant = non_standard_number(body)
        if constant is not None:
            await problem_response(
                422,
                f"{constant} is not a JSON number; send a finite number",
                code="invalid-input",
                errors=[FieldError(loc=["body"], msg="non-standard number", type="json_invalid")],
            )(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(
            413,
            f"A JSON request body may have at most {self.max_bytes} bytes.",
            code="payload-too-large",
        )(scope, receive, send)
