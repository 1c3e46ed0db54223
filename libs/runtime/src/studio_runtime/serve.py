"""Run a service app under uvicorn with graceful shutdown on SIGTERM/SIGINT."""

import asyncio
import gc
import socket
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from studio_runtime.http_protocol import ProblemHttpToolsProtocol
from studio_runtime.settings import ServiceSettings, load_settings

YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""

KEEP_ALIVE_S = 75
"""How long an idle keep-alive connection is held open. Longer than any client here keeps one
(httpx: 5 s), so a client never sends a request on a connection the server is closing that
very moment, which fails the request ("Server disconnected without sending a response")."""


class ProxySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", extra="ignore", frozen=True)

    trusted_proxies: str = ""
    """Comma-separated addresses (or networks) of the reverse proxies in front of this server,
    whose `X-Forwarded-For`/`X-Forwarded-Proto` are believed. Empty: none are, and the client
    address is the connection's. uvicorn's own default trusts 127.0.0.1, so anyone reaching a
    service through a local port could pick the address the per-address limits count."""


def proxy_options(trusted_proxies: str) -> dict[str, Any]:
    """uvicorn's `proxy_headers`/`forwarded_allow_ips` for `trusted_proxies` (see above)."""
    trusted = [entry.strip() for entry in trusted_proxies.split(",") if entry.strip()]
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


class _Server(uvicorn.Server):
    """uvicorn's server, except that a stop asked for while it is still starting (waiting for a
    database or NATS that is not there yet: start-up waits for them) ends it at once. uvicorn
    acts on the signal only once start-up is over, so such a service ran on until killed."""

    _starting: "asyncio.Task[Any] | None" = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._starting = asyncio.current_task()
        try:
            await super().startup(sockets=sockets)
            if self.started:
                settle_heap()
        except asyncio.CancelledError:
            if not self.should_exit:
                raise
            # Nothing served yet, nothing to drain: `started` stays False and serve() returns.
        finally:
            self._starting = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        starting = self._starting
        if starting is not None and not self.started:
            starting.get_loop().call_soon_threadsafe(starting.cancel)


def settle_heap() -> None:
    """Set what start-up built (routes, schemas, models, clients: tens of thousands of objects
    that live as long as the process) aside from the garbage collector, and collect the young
    generations less often.

    Measured under load (64 clients posting generations): each full collection walked the whole
    heap and stopped the process's event loop for 80-145 ms, every request in flight with it,
    which made most of the slowest 1 % of requests; frozen, they take a few milliseconds. Most
    of what a request allocates is freed by reference counting as it ends, so collecting the
    young generation every 700 allocations of containers, CPython's default, mostly walks
    requests still in flight."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 20, 20)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http=ProblemHttpToolsProtocol,
        lifespan="on",
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        timeout_keep_alive=KEEP_ALIVE_S,
        server_header=False,
        **proxy_options(load_settings(ProxySettings).trusted_proxies),
    )
    _Server(config).run()
