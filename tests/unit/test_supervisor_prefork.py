"""`make run`'s services forked from a fork server that imported them once: each still runs
as `python -m` would run it (arguments, environment, output, exit status, command line, a
session of its own), and ends with the launcher, even a SIGKILLed one."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path
from typing import Any

from studio_devtools.pidfile import Entry, command_line, parent_of
from studio_devtools.prefork import ServiceProcess, spawn

from tests.support.stack import wait_until

ECHO = "tests.support.forked_echo"
PRELOADED = "tests.support.media_samples"  # any module the echo does not import itself
ROOT = Path(__file__).resolve().parents[2]


async def _first_line(process: ServiceProcess) -> dict[str, Any]:
    line = await process.stdout.readline()
    assert line, "the service printed its line"
    result: dict[str, Any] = json.loads(line)
    return result


async def test_a_forked_service_runs_as_python_m_would() -> None:
    process = await spawn(ECHO, ["exit", "3"], {"ECHO_GREETING": "hello", "STUDIO_PORT": "1"})
    seen = await _first_line(process)
    assert await process.wait() == 3
    assert process.returncode == 3
    assert seen["argv"] == ["exit", "3"]
    assert seen["env"] == {"ECHO_GREETING": "hello", "STUDIO_PORT": "1"}  # ours, nothing else
    assert seen["pid"] == process.pid
    assert seen["sid"] == process.pid, "a session of its own: Ctrl-C reaches the launcher alone"
    assert ECHO not in seen["modules"]  # run as __main__ only, as `python -m` runs it


async def test_its_exit_handlers_run_as_they_would_under_python_m() -> None:
    # The services' log writer hands its last lines out at exit: a worker's `job.completed`,
    # logged as the launcher stopped it, was lost when the forked child skipped them.
    process = await spawn(ECHO, ["atexit"], {})
    await _first_line(process)
    assert await process.stdout.readline() == b"said at exit\n"
    assert await process.wait() == 0


async def test_its_command_line_and_a_signal_read_as_a_started_process_would() -> None:
    process = await spawn(ECHO, ["wait"], {})
    await _first_line(process)
    assert process.returncode is None
    assert command_line(process.pid) == f"{sys.executable} -m {ECHO} wait"
    assert parent_of(process.pid) not in (None, os.getpid())  # the fork server
    process.send_signal(signal.SIGTERM)
    assert await process.wait() == -signal.SIGTERM
    process.kill()  # after the end: nothing to signal, no error


LAUNCHER = textwrap.dedent(
    f"""
    import asyncio, sys
    from studio_devtools.prefork import preload, spawn

    async def main():
        preload([{ECHO!r}, {PRELOADED!r}])
        process = await spawn({ECHO!r}, ["wait"], {{}})
        line = await process.stdout.readline()
        print(line.decode().strip(), flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def _ended(entry: Entry) -> bool:
    return not entry.alive()


def test_a_service_ends_with_its_killed_launcher() -> None:
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert launcher.stdout is not None
        seen = json.loads(launcher.stdout.readline())
        # Imported once, by the fork server, before the service was forked from it.
        assert PRELOADED in seen["modules"]
        assert ECHO not in seen["modules"]
        service = seen["pid"]
        server = parent_of(service)
        assert server is not None and server != launcher.pid
        launcher.kill()
        launcher.wait(5)
        for entry in (Entry(service, None, "the service"), Entry(server, None, "the fork server")):
            wait_until(partial(_ended, entry), 5, f"{entry.name} ended")
    finally:
        launcher.kill()
        launcher.wait()


BROKEN_LAUNCHER = textwrap.dedent(
    f"""
    import asyncio
    from studio_devtools.prefork import ForkServerError, preload, spawn

    async def main():
        preload(["broken_on_import", {ECHO!r}])
        try:
            await spawn({ECHO!r}, ["exit", "0"], {{}})
        except ForkServerError as exc:
            print("refused:", exc, flush=True)

    asyncio.run(main())
    """
)


def test_a_module_the_fork_server_cannot_import_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "broken_on_import.py").write_text('raise RuntimeError("broken on purpose")\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", BROKEN_LAUNCHER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == f"refused: the fork server ended before it could start {ECHO}\n"
    assert "RuntimeError: broken on purpose" in done.stderr  # its traceback, for the person
