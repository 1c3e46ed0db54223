"""A TCP relay in front of a server that can go silent: connections stay open, bytes stop.

What a hung server (SIGSTOPped, stuck) or a network that drops a connection without a word
looks like from a browser, which neither closes nor refuses anything:

    async with TcpRelay(target_port) as relay:
        page.goto(f"http://127.0.0.1:{relay.port}/studio")
        relay.freeze()   # nothing more goes either way, and new connections hang
        relay.thaw()     # everything held goes on
"""

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from tests.support.sockets import bound_socket

_CHUNK = 65536


class TcpRelay:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self._target = (host, target_port)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def __aenter__(self) -> Self:
        sock = bound_socket()
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._accepted, sock=sock)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        # Ended by closing their sockets, not by cancelling them: asyncio's stream server
        # reports a cancelled connection handler as an error of the loop.
        self.thaw()
        for writer in list(self._writers):
            writer.close()
        if self._connections:
            await asyncio.wait(self._connections, timeout=10)
        await self._server.wait_closed()

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._relay(reader, writer)
        finally:
            self._connections.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        self._writers.add(writer)
        try:
            await self._flowing.wait()
            up_reader, upstream = await asyncio.open_connection(*self._target)
            self._writers.add(upstream)
            # One direction failing ends the other (a task group cancels the rest).
            async with asyncio.TaskGroup() as pumps:
                pumps.create_task(self._pump(reader, upstream))
                pumps.create_task(self._pump(up_reader, writer))
        except* OSError:
            # A side gone: the other is closed below. Nothing of it is the test's concern.
            pass
        finally:
            for side in (writer, upstream):
                if side is not None:
                    self._writers.discard(side)
                    side.close()
                    with contextlib.suppress(OSError, asyncio.CancelledError):
                        await side.wait_closed()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(_CHUNK):
            await self._flowing.wait()
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
