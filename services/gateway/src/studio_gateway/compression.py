"""Gzip for the API's larger JSON answers (a pure ASGI middleware).

The model catalog is 124 KB of JSON on every project page (14 KB gzipped), and a page of history
or of assets a few KB more: uncompressed they alone broke the studio's page budget. Only what is
worth it is compressed:

- JSON and problem bodies under `/api/` of a known length between `MIN_BYTES` and `MAX_BYTES`,
  to a client that accepts gzip. A single record (a generation's 202, a project) is smaller than
  `MIN_BYTES`: the accept path pays nothing. Files (images, videos, models) are compressed
  already and are never touched, nor is the event stream (no length).
- An answer that carries an entity tag keeps it as a weak one (`W/"…"`): the compressed bytes
  differ from those the tag was made for, and a conditional request with it still matches
  (the catalog compares tags weakly).
The studio's own files are compressed once at start (`studio.py`), not here."""

import gzip

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from studio_runtime.http_caching import accepts_gzip

MIN_BYTES = 4096
MAX_BYTES = 4 * 1024 * 1024
COMPRESSED_TYPES = ("application/json", "application/problem+json")
LEVEL = 6
"""zlib's default: within a few per cent of 9 on JSON, at a third of its CPU."""


class JsonGzipMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/api/")
            or not accepts_gzip(Headers(scope=scope).get("accept-encoding"))
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def compressing(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if worth_compressing(Headers(raw=message.get("headers", []))):
                    start = message  # held until the whole body is here
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = gzip.compress(b"".join(chunks), compresslevel=LEVEL, mtime=0)
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            headers["content-encoding"] = "gzip"
            headers["content-length"] = str(len(body))
            headers.add_vary_header("Accept-Encoding")
            etag = headers.get("etag")
            if etag and not etag.startswith("W/"):
                headers["etag"] = f"W/{etag}"
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, compressing)


def worth_compressing(headers: Headers) -> bool:
    length = headers.get("content-length")
    return (
        "content-encoding" not in headers
        and headers.get("content-type", "").split(";")[0].strip() in COMPRESSED_TYPES
        and length is not None
        and length.isdigit()
        and MIN_BYTES <= int(length) <= MAX_BYTES
    )
