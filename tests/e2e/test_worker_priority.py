"""A worker process runs at a lower CPU priority than the services (`STUDIO_WORKER_NICE`)."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from studio_devtools.servers import free_port

from tests.support.apps import INTERNAL_SECRET
from tests.support.waiting import eventually


def _nice(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field is the nice value (after the command in parentheses).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


@pytest.mark.parametrize(("setting", "increment"), [(None, 10), ("0", 0), ("19", 19)])
async def test_a_worker_lowers_its_own_priority(
    setting: str | None, increment: int, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update({"STUDIO_INTERNAL_SECRET": INTERNAL_SECRET, "STUDIO_PORT": str(free_port())})
    # Nowhere to connect to: the worker keeps trying (and logging so), alive, meanwhile.
    env["STUDIO_MONGO_URL"] = f"mongodb://127.0.0.1:{free_port()}"
    env["STUDIO_NATS_URL"] = f"nats://127.0.0.1:{free_port()}"
    env["STUDIO_STORAGE_URL"] = tmp_path.as_uri()
    if setting is not None:
        env["STUDIO_WORKER_NICE"] = setting
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "studio_generation",
            "worker",
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        # Its first log line comes from the server it starts after setting its priority.
        await eventually(
            lambda: worker.returncode is not None or log.stat().st_size > 0,
            what="the worker's first log line",
        )
        assert worker.returncode is None, log.read_text()
        assert _nice(worker.pid) == min(19, os.nice(0) + increment)
    finally:
        worker.kill()  # still starting (nothing to connect to), so not yet listening for SIGTERM
        await worker.wait()
