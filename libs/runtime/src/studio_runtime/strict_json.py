"""Refusing JSON request bodies that are too large or that standard JSON does not allow, before
a route reads them.

JSON bodies of the API are small (strings are capped at 10,000 characters or fewer), so one over
`MAX_JSON_BODY_BYTES` is refused with 413, before it is read whole if it says its length: nobody
makes a service hold megabytes, and what is accepted fits a NATS message (1 MiB by default).

Python's `json` (which FastAPI parses bodies with) accepts `NaN`, `Infinity` and `-Infinity`.
No client of ours sends them on purpose, and they pass number checks (`NaN < 1` and `NaN > 1`
are both false) and then fail far from the request: MongoDB refuses the document, a provider
the job. So they are refused here, with 422, for every JSON body of every service.

Two more bodies that parse badly are refused here too, as 422 `json_invalid` like any body that
does not parse: one nested deeper than `MAX_JSON_DEPTH` (no body of the API is; Python's parser
recurses, so a deep one raises RecursionError rather than a parse error, and MongoDB refuses
documents nested past 100 levels anyway), and one holding an integer longer than Python converts
(4,300 digits), which FastAPI would answer with its own bare 400.
"""

import json
import re
from typing import NoReturn

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from studio_contracts.problems import FieldError

from studio_runtime.errors import is_json_media_type, problem_response

MAX_JSON_BODY_BYTES = 256 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_JSON_DEPTH = 64
"""The deepest nesting of arrays and objects a JSON body may have."""
_NON_STANDARD = (b"NaN", b"Infinity")
_LONG_DIGITS = re.compile(rb"[0-9]{4301}")
"""A run of digits longer than `int()` converts by default (sys.get_int_max_str_digits())."""
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class NonStandardNumber(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise NonStandardNumber(name)


def non_standard_number(body: bytes) -> str | None:
    """`NaN`, `Infinity` or `-Infinity` if `body` is JSON that holds one as a value (not in a
    string), else None; None too for a body that is no JSON at all (the route reports that).
    `body` must be no deeper than `MAX_JSON_DEPTH` (`too_deep`): the parser recurses."""
    if not any(token in body for token in _NON_STANDARD):
        return None  # the common case: no second parse
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except NonStandardNumber as exc:
        return str(exc)
    except ValueError:
        return None
    return None


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `body` nests arrays and objects more than `limit` levels deep (brackets inside
    strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the common case: too few brackets to be that deep, no scan
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match[0]
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def number_too_long(body: bytes) -> bool:
    """Whether `body` is JSON holding an integer too long for Python to convert (one of no more
    than `MAX_JSON_DEPTH` levels: the parser recurses)."""
    if _LONG_DIGITS.search(body) is None:
        return False  # the common case: no run of digits that long, in a string or not
    try:
        json.loads(body)
    except json.JSONDecodeError:
        return False  # not JSON at all: the route says where it stops
    except ValueError:
        return True  # "Exceeds the limit (4300 digits) for integer string conversion"
    return False


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
        refusal = _unparseable(body)
        if refusal is not None:
            # FastAPI would answer its own 400 "error parsing the body", or fail (RecursionError).
            await _json_invalid(refusal)(scope, receive, send)
            return
        constant = non_standard_number(body)
        if constant is not None:
            await problem_response(
                422,
                f"{constant} is not a JSON number; send a finite number",
                code="invalid-input",
                errors=[
                    FieldError(
                        loc=["body"], msg=f"{constant} is not a JSON number.", type="json_invalid"
                    )
                ],
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


def _unparseable(body: bytes) -> str | None:
    """Why `body` cannot be parsed as the API's JSON, in words that follow "The body is not
    valid JSON: ", for the faults Python's parser does not report as a parse error."""
    if not _is_utf8(body):
        return "it is not UTF-8 text"  # JSON is UTF-8 (RFC 8259)
    if too_deep(body):
        return f"it nests arrays and objects more than {MAX_JSON_DEPTH} levels deep"
    if number_too_long(body):
        return "it holds a number longer than 4300 digits"
    return None


def _json_invalid(reason: str) -> Response:
    """The answer to a body that does not parse: as `field_errors` words FastAPI's own."""
    sentence = f"The body is not valid JSON: {reason}."
    return problem_response(
        422,
        sentence,
        code="invalid-input",
        errors=[FieldError(loc=["body"], msg=sentence, type="json_invalid")],
    )
