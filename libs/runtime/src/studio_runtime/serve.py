"""Run a service app under uvicorn with graceful shutdown on SIGTERM/SIGINT."""

import uvicorn
from fastapi import FastAPI

from studio_runtime.settings import ServiceSettings


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
        server_header=False,
    )
    uvicorn.Server(config).run()
