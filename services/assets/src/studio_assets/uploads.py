"""Receiving an upload: the multipart body is parsed as it arrives, the file part streamed on to
storage, its size limited and its type sniffed from its first bytes, with a copy spooled to a
temporary file (memory first, then disk) for the image checks that follow."""

import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from studio_runtime.sizes import readable_size

from studio_assets import media
from studio_assets.names import upload_name

_EPILOGUE_MAX = 64
"""Bytes of whitespace after the closing boundary still taken as the body's proper end."""


def form_filename(raw: bytes) -> str | None:
    """A multipart part's `filename` as the file was called: browsers write a double quote in
    it as `%22` (the HTML standard's form-data encoding, which Chromium, Firefox and httpx
    follow), so `my "best" shot.png` would otherwise be listed as `my %22best%22 shot.png`.
    Only that escape is undone: a name cannot hold the line breaks the other two stand for.
    Bytes that are not UTF-8 are dropped, like the characters a name may not hold
    (`names.upload_name`); None when nothing is left."""
    return upload_name(raw.decode("utf-8", "ignore").replace("%22", '"'))


class UploadRejected(Exception):
    """The upload cannot be accepted; `status` is the HTTP answer."""

    def __init__(self, status: int, detail: str, field_name: str = "file") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field_name = field_name


@dataclass
class ReceivedFile:
    """What the stream turned out to be; complete once the stream is exhausted."""

    filename: str | None = None
    file_type: media.FileType | None = None
    size: int = 0
    sha256: str = ""
    spool: IO[bytes] = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by the service when the upload ends
    )
    """A copy of the file's bytes (memory up to 8 MiB, then disk), to decode an image or read a
    video's or audio file's headers."""


class MultipartFileStream:
    """Turns a multipart/form-data body into the bytes of its `file` field.

    Use `await stream.start()` to read up to the file's first bytes (its type is then known),
    then iterate `stream.chunks()` to pull the rest. Anything but exactly one `file` field, a
    file over `max_bytes`, or a type outside the allow-list raises UploadRejected.
    """

    def __init__(self, body: AsyncIterator[bytes], content_type: str, *, max_bytes: int) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise UploadRejected(
                415, "Send the file as multipart/form-data in a field named 'file'."
            )
        self._body = body
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._pending: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._in_file = False
        self._file_parts = 0
        self._done = False
        self._closed = False
        self._close_delimiter = b"--" + boundary + b"--"
        self._tail = b""
        self.received = ReceivedFile()
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except FormParserError as exc:  # a boundary longer than the parser takes (256 bytes)
            raise _unreadable(exc) from exc
        self._head = b""

    async def start(self) -> media.FileType:
        """Read until the file's type can be told; raise 415 for a type not accepted."""
        while len(self._head) < media.SNIFF_BYTES and not self._done:
            await self._feed()
            while self._pending and len(self._head) < media.SNIFF_BYTES:
                self._head += self._pending.pop(0)
        if self._file_parts == 0:
            raise UploadRejected(422, "The form has no 'file' field.")
        if self.received.size == 0:
            raise UploadRejected(422, "The file is empty.")
        file_type = media.sniff(self._head)
        if file_type is None or file_type not in media.UPLOADABLE:
            raise UploadRejected(
                415,
                "This file\N{RIGHT SINGLE QUOTATION MARK}s content is not an accepted image, video or audio format "
                "(PNG, JPEG, GIF, WebP, MP4, MOV, WebM, WAV, MP3, OGG, FLAC, M4A).",
            )
        self.received.file_type = file_type
        return file_type

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes, to stream to storage; also kept in the spool, where images are
        decoded and video and audio headers read."""
        keep = self.received.file_type is not None
        if self._head:
            if keep:
                self.received.spool.write(self._head)
            yield self._head
            self._head = b""
        while True:
            while self._pending:
                piece = self._pending.pop(0)
                if keep:
                    self.received.spool.write(piece)
                yield piece
            if self._done:
                break
            await self._feed()
        if self._file_parts != 1:
            raise UploadRejected(422, "Send exactly one 'file' field.")
        self.received.sha256 = self._hash.hexdigest()
        self.received.spool.seek(0)

    async def _feed(self) -> None:
        try:
            chunk = await anext(self._body)
        except StopAsyncIteration:
            self._require_closing_boundary()
            self._done = True
            return
        keep = len(self._close_delimiter) + _EPILOGUE_MAX
        self._tail = (self._tail + chunk[-keep:])[-keep:]
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise _unreadable(exc) from exc

    def _require_closing_boundary(self) -> None:
        """Refuse a body that does not end with its closing boundary: cut short on its way (a
        proxy, a dropped connection), its last part would otherwise be stored as if complete.
        Only whitespace may follow the boundary (what browsers and HTTP clients send): the
        parser would skip anything after it, so `--b--garbage` would pass for an end too."""
        if not self._closed or not self._tail.rstrip(b" \t\r\n").endswith(self._close_delimiter):
            raise UploadRejected(
                422, "The form does not end with its closing boundary: the upload is incomplete."
            )

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._in_file = options.get(b"name") == b"file"
        if self._in_file:
            self._file_parts += 1
            filename = options.get(b"filename")
            if filename:
                self.received.filename = form_filename(filename)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file or self._file_parts > 1:
            return
        piece = bytes(data[start:end])
        self.received.size += len(piece)
        if self.received.size > self._max_bytes:
            raise UploadRejected(
                413,
                f"The file is larger than the upload limit of {readable_size(self._max_bytes)}.",
            )
        self._hash.update(piece)
        self._pending.append(piece)

    def _on_part_end(self) -> None:
        self._in_file = False

    def _on_end(self) -> None:
        self._closed = True


def _unreadable(exc: FormParserError) -> UploadRejected:
    # The parser's reason speaks only of the body sent ("Maximum header size exceeded").
    return UploadRejected(
        422, f"The form could not be read: it is not well-formed multipart/form-data ({exc})."
    )
