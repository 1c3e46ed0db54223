"""A blocking file-like reader over chunks that arrive on the event loop, for SDKs that stream
an upload from a file-like object in their own worker thread (the `minio` SDK's put_object).

The reader must not mistake a caller that stopped early for the end of the data: a stream
that closes without `feed_chunks` having reached the end of the chunks makes `read` raise,
which is what makes the SDK abort the upload instead of completing a truncated object.
"""

from collections.abc import AsyncIterator

import anyio
import anyio.from_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from studio_storage.base import ObjectStoreError

HANDOVER_SIZE = 1024 * 1024
"""`feed_chunks` passes chunks smaller than this on in batches of at least this size."""


class SourceStopped(Exception):
    """The caller's chunks ended in an error or a cancellation, not at their end."""


class ChunkReader:
    """The file-like object the SDK's streaming put reads in its worker thread: `read(n)`
    takes the chunks `feed_chunks` passes in from the event loop. The stream ending counts as
    the end of the data only if `feed_chunks` marked it `complete`; otherwise `read` raises,
    and the SDK aborts the multipart upload. More than `limit` bytes in all is an error too."""

    def __init__(
        self, first: bytes, receive: MemoryObjectReceiveStream[bytes], *, limit: int
    ) -> None:
        self._pending = first
        self._limit = limit
        self._receive = receive
        self._ended = False
        self.complete = False
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        pieces, have = [self._pending], len(self._pending)
        while (size < 0 or have < size) and not self._ended:
            chunk = self._next()
            pieces.append(chunk)
            have += len(chunk)
        data = b"".join(pieces)
        if 0 <= size < len(data):
            data, self._pending = data[:size], data[size:]
        else:
            self._pending = b""
        self.size += len(data)
        if self.size > self._limit:
            raise ObjectStoreError(f"more than {self._limit} bytes: too large for one object")
        return data

    def close(self) -> None:
        """Stop taking chunks (the put is over): `feed_chunks` then stops sending them."""
        anyio.from_thread.run_sync(self._receive.close)

    def _next(self) -> bytes:
        try:
            return anyio.from_thread.run(self._receive.receive)
        except anyio.EndOfStream:
            if not self.complete:
                raise SourceStopped("the data stopped before its end") from None
            self._ended = True
            return b""
        except Exception as exc:  # the event loop cancelled the receive, or is closing
            raise SourceStopped(f"the data could not be read: {exc!r}") from exc


async def feed_chunks(
    chunks: AsyncIterator[bytes], send: MemoryObjectSendStream[bytes], reader: ChunkReader
) -> None:
    """Pass the caller's chunks to `reader`; on any way out but the end of `chunks`, the
    closed stream tells the reader the data is incomplete."""
    async with send:
        try:
            pending: list[bytes] = []
            size = 0
            async for chunk in chunks:
                pending.append(chunk)
                size += len(chunk)
                # Small chunks go over together: each hand-over is a round trip to the thread.
                if size >= HANDOVER_SIZE:
                    await send.send(b"".join(pending))
                    pending, size = [], 0
            if pending:
                await send.send(b"".join(pending))
        except anyio.BrokenResourceError:
            return  # the put ended first (it failed): its error is the one to report
        reader.complete = True
