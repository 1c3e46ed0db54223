"""uvicorn's HTTP/1.1 protocol (httptools), except that a request it cannot read is answered
with a problem body like every other error, not uvicorn's plain-text "Invalid HTTP request
received.".

uvicorn refuses such a request itself, before any app sees it: a malformed request line or
header, or an address (path and query) longer than httptools reads, 65,535 bytes. That limit is
a constant compiled into httptools, so it cannot be raised; the answer says what to do instead.
"""

import json
import sys

from httptools import HttpParserInvalidURLError
from studio_contracts.problems import PROBLEM_CONTENT_TYPE, Problem
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_URL_BYTES = 65_535
"""The longest address (path and query, in bytes) httptools reads."""


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this inside its `except httptools.HttpParserError:`, so what the parser
        # refused is at hand; an error in one of the parser's callbacks (the address is parsed
        # in one) is its context.
        error = sys.exc_info()[1]
        refused = [error, getattr(error, "__context__", None)]
        too_long = any(
            isinstance(e, HttpParserInvalidURLError) and "too long" in str(e) for e in refused
        )
        detail = (
            f"The request's address (path and query) is longer than the {MAX_URL_BYTES:,} "
            "bytes this server reads; send long input in the request body."
            if too_long
            else "The request could not be read as HTTP/1.1: its request line or a header is "
            "malformed."
        )
        problem = Problem(
            type="https://ai-studio.dev/problems/bad-request",
            title="Bad Request",
            status=400,
            detail=detail,
        )
        body = json.dumps(problem.to_body(), separators=(",", ":")).encode()
        content = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + PROBLEM_CONTENT_TYPE.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
