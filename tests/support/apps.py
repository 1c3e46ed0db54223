"""Running service apps on real sockets inside the test's event loop, and building their
settings against the session's real servers."""

import asyncio
import contextlib
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic_settings import BaseSettings
from studio_runtime.http_protocol import ProblemHttpToolsProtocol
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, sign_identity
from studio_runtime.serve import KEEP_ALIVE_S, proxy_options

from tests.support.sockets import bound_socket
from tests.support.waiting import patience

INTERNAL_SECRET = "test-internal-secret-0123456789abcdef"

S = TypeVar("S", bound=BaseSettings)


def make_settings(cls: type[S], **values: Any) -> S:
    """Settings from explicit values only: the developer's environment must not leak in."""
    values.setdefault("internal_secret", INTERNAL_SECRET)
    return cls.model_validate(values)


def identity_headers(user_id: str = "user-1", secret: str = INTERNAL_SECRET) -> dict[str, str]:
    return {IDENTITY_HEADER: sign_identity(Identity(user_id), secret)}


def reserved_url() -> tuple[socket.socket, str]:
    """A socket bound for an app started later (pass it to `running`), and that app's URL."""
    listening = bound_socket()
    return listening, f"http://127.0.0.1:{listening.getsockname()[1]}"


class _TestServer(uvicorn.Server):
    """uvicorn as the tests run it: many at once, inside pytest's own process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn takes SIGINT and SIGTERM over while it serves and restores the previous
        # handler when it stops. With servers starting and stopping in any order, a stopped
        # server's handler stays installed, and Ctrl-C or SIGTERM then only asks that dead
        # server to exit: the session would go on running. The signals stay pytest's.
        yield


async def _serve(server: uvicorn.Server, name: str, listening: socket.socket) -> None:
    try:
        await server.serve(sockets=[listening])
    except SystemExit as exc:
        # uvicorn calls sys.exit() when the app's start-up fails or its port is taken. Raised
        # in a task, a SystemExit goes through the event loop that every test shares and can
        # end the whole session; as an ordinary error it fails only the test that started it.
        raise RuntimeError(f"{name} did not start (uvicorn exit code {exc.code})") from exc


@asynccontextmanager
async def running(
    app: FastAPI,
    port: int | None = None,
    *,
    trusted_proxies: str = "",
    listening: socket.socket | None = None,
) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 (its lifespan included); yield its base URL.

    `listening`: a socket bound beforehand (`reserved_url`), for an app whose URL another app
    had to be given before it (projects asks assets, assets asks projects); closed here.
    Forwarded headers are believed as in production (`studio_runtime.serve`): from no one,
    unless `trusted_proxies` names the proxies."""
    listening = listening or bound_socket(port)
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=KEEP_ALIVE_S,
        http=ProblemHttpToolsProtocol,
        **proxy_options(trusted_proxies),
    )
    server = _TestServer(config)
    task = asyncio.create_task(
        _serve(server, app.title, listening), name=f"uvicorn {app.title}:{port}"
    )
    try:
        async with asyncio.timeout(20 * patience()):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server stopped while starting")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), 20 * patience())
        except TimeoutError:
            # A stalled shutdown must not hang the suite; its stacks go to the log to be fixed.
            for pending in asyncio.all_tasks():
                pending.print_stack(limit=8, file=sys.stderr)
            server.force_exit = True
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        finally:
            listening.close()
