"""Run a service app under uvicorn with graceful shutdown on SIGTERM/SIGINT."""

import uvicorn
from fastapi import FastAPI

from studio_runtime.settings import ServiceSettings

KEEP_ALIVE_S = 75
"""How long an idle keep-alive connection is held open. Longer than any client here keeps one
(httpx: 5 s), so a client never sends a request on a connection the server is closing that
very moment, which fails the request ("Server disconnected without sending a response")."""


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        timeout_keep_alive=KEEP_ALIVE_S,
        server_header=False,
    )
    uvicorn.Server(config).run()
