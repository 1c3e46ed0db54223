"""A service as its own process, started with nothing to connect to (it keeps trying, and
logging so): the worker's CPU priority, and a stop asked for while a service is still starting."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from studio_devtools.servers import free_port

from tests.support.apps import INTERNAL_SECRET
from tests.support.waiting import eventually


@asynccontextmanager
async def _starting(
    tmp_path: Path, *command: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m <command>` with no MongoDB or NATS to reach, once it has logged its first line
    (which its server writes, after the process has set itself up)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    full_env.update(
        {
            "STUDIO_INTERNAL_SECRET": INTERNAL_SECRET,
            "STUDIO_PORT": str(free_port()),
            "STUDIO_MONGO_URL": f"mongodb://127.0.0.1:{free_port()}",
            "STUDIO_NATS_URL": f"nats://127.0.0.1:{free_port()}",
            "STUDIO_STORAGE_URL": tmp_path.as_uri(),
            **(env or {}),
        }
    )
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *command, env=full_env, stdout=output, stderr=output
        )
    try:
        await eventually(
            lambda: process.returncode is not None or log.stat().st_size > 0,
            what="the service's first log line",
        )
        assert process.returncode is None, log.read_text()
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def _nice(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field is the nice value (after the command in parentheses).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


@pytest.mark.parametrize(("setting", "increment"), [(None, 10), ("0", 0), ("19", 19)])
async def test_a_worker_lowers_its_own_priority(
    setting: str | None, increment: int, tmp_path: Path
) -> None:
    env = {"STUDIO_WORKER_NICE": setting} if setting is not None else {}
    async with _starting(tmp_path, "studio_generation", "worker", env=env) as worker:
        assert _nice(worker.pid) == min(19, os.nice(0) + increment)


@pytest.mark.parametrize(
    "command",
    [("studio_projects",), ("studio_generation", "api"), ("studio_generation", "worker")],
    ids=" ".join,
)
async def test_a_service_still_starting_stops_when_asked(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    """Start-up waits for NATS; a SIGTERM meanwhile ends the process (as SIGTERM does), instead
    of being acted on only once the start-up is over, which never comes."""
    async with _starting(tmp_path, *command) as service:
        service.terminate()
        await eventually(lambda: service.returncode is not None, what="the service stopped")
        assert service.returncode == -signal.SIGTERM
