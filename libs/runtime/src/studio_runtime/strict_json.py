"""Refusing JSON request bodies that standard JSON does not allow, before a route reads them.

Python's `json` (which FastAPI parses bodies with) accepts `NaN`, `Infinity` and `-Infinity`.
No client of ours sends them on purpose, and they pass number checks (`NaN < 1` and `NaN > 1`
are both false) and then fail far from the request: MongoDB refuses the document, a provider
the job. So they are refused here, with 422, for every JSON body of every service.
"""

import json
from typing import NoReturn

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from studio_contracts.problems import FieldError

from studio_runtime.errors import problem_response

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
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json" or (
                media_type.startswith(b"application/") and media_type.endswith(b"+json")
            )
    return True


class StrictJsonMiddleware:
    """Reads a JSON request body whole, refuses it (422) if it holds a non-standard number, and
    hands it on unchanged otherwise. Other bodies (uploads) stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json_body(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
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
