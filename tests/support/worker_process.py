"""A generation worker in its own process, so a test can kill it with SIGKILL as a machine or
the kernel would."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from studio_devtools.parent_death import terminate_with_parent

from tests.support.apps import INTERNAL_SECRET
from tests.support.full_stack import FullStack
from tests.support.sockets import ports_for_a_child
from tests.support.waiting import eventually

FAST_TAKEOVER = {"lease_s": 2, "heartbeat_s": 0.5, "ack_wait_s": 2}
"""Short leases: a killed worker's jobs are taken over in seconds, not minutes."""


def worker_process(
    stack: FullStack, log_dir: Path, index: int, **settings: Any
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a worker of `stack` with `settings` over its own; returns it and its base URL."""
    (port,) = ports_for_a_child(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    values = {**stack.worker_settings, **FAST_TAKEOVER, **settings, "port": port}
    env.update({f"STUDIO_{k.upper()}": str(v) for k, v in values.items()})
    env["STUDIO_INTERNAL_SECRET"] = INTERNAL_SECRET
    env["STUDIO_LOG_JSON"] = "1"
    log = (log_dir / f"worker-{index}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_generation", "worker"],
        env=env,
        stdout=log,
        stderr=log,
        preexec_fn=terminate_with_parent(),  # no orphaned worker if the session is killed
    )
    return process, f"http://127.0.0.1:{port}"


async def workers_ready(urls: list[str], *, within: float = 60) -> None:
    """Wait until every worker process answers `/readyz` with 200."""
    async with httpx.AsyncClient(timeout=5) as client:
        for url in urls:

            async def ready(url: str = url) -> bool:
                try:
                    return (await client.get(url + "/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, within=within, what=f"worker {url} ready")
