"""The size of one upload, refused at the gateway: from its `Content-Length` before a byte of it
is read, and, for a body longer than it said (or without a length), as soon as it crosses the
limit, without waiting for the rest. The assets service checks the same limit again
(`STUDIO_UPLOAD_MAX_BYTES`, read by both), but behind the gateway it could only answer once the
gateway had forwarded everything the client sent."""

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from studio_runtime.errors import PayloadTooLarge
from studio_runtime.sizes import readable_size

UPLOAD_PATH = re.compile(r"^/api/v1/projects/[^/]+/assets$")
MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart framing around the file (boundaries, part headers, a file name)."""


class UploadTooLarge(PayloadTooLarge):
    def __init__(self, max_bytes: int) -> None:
        # The rest of the body may still be on its way: this connection carries no more requests.
        super().__init__(
            f"The file is larger than the upload limit of {readable_size(max_bytes)}.",
            headers={"Connection": "close"},
        )


def request_max_bytes(file_max_bytes: int) -> int:
    """The largest upload request body for files of at most `file_max_bytes`."""
    return file_max_bytes + MULTIPART_OVERHEAD


def is_upload(scope: Scope) -> bool:
    return scope["method"] == "POST" and bool(UPLOAD_PATH.match(scope["path"]))


class UploadSizeMiddleware:
    """Counts an upload's body as it is read, and stops it past the limit (413)."""

    def __init__(self, app: ASGIApp, *, file_max_bytes: int) -> None:
        self.app = app
        self._file_max = file_max_bytes
        self._request_max = request_max_bytes(file_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_upload(scope):
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._request_max:
                    raise UploadTooLarge(self._file_max)
            return message

        await self.app(scope, counted, send)
