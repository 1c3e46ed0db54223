"""A test session that is killed outright (SIGKILL: no teardown, no atexit) leaves no server
behind: neither the session's own backends (NATS, MongoDB) nor a `make run` stack a test
launched, with its embedded servers and services."""

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from studio_devtools import pidfile

from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[2]

INNER_TEST = """
import os
import time
from pathlib import Path

from tests.support.servers import Backends
from tests.support.stack import READY_LINE, launch, stack_env


def test_start_servers_then_hang() -> None:
    backends = Backends.in_temp_dir()
    backends.nats_url()
    backends.mongo_url()
    launched = launch(stack_env(Path(os.environ["INNER_DATA"])))
    launched.wait_for(READY_LINE, timeout=300)
    Path(os.environ["INNER_READY"]).write_text("ready")
    time.sleep(600)  # until the outer test kills this session
"""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rfind(")") + 2 :].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[pidfile.Entry]:
    """Every process below ``pid``, with its start time (so a reused pid is not mistaken)."""
    tree = _children()
    found: list[pidfile.Entry] = []
    todo = list(tree.get(pid, []))
    while todo:
        child = todo.pop()
        stat = Path(f"/proc/{child}/stat")
        try:
            text = stat.read_text()
        except OSError:
            continue
        start = int(text[text.rfind(")") + 2 :].split()[19])
        found.append(pidfile.Entry(child, start, pidfile.command_line(child)))
        todo.extend(tree.get(child, []))
    return found


@pytest.fixture
def inner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, list[pidfile.Entry]]]:
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(textwrap.dedent(INNER_TEST))
    ready = tmp_path / "ready"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO_", "PYTEST_"))  # the inner session starts its own servers
    }
    env.update(
        STUDIO_TEST_DOCKER="0",
        INNER_DATA=str(tmp_path / "stack"),
        INNER_READY=str(ready),
        PYTHONPATH=str(REPO),
    )
    argv = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
        "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path),
        "-o", "timeout=600", str(test_file),
    ]  # fmt: skip
    log = (tmp_path / "inner.log").open("wb")
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    found_before_kill: list[pidfile.Entry] = []
    try:
        yield process, ready, found_before_kill
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        # Whatever this test found alive is stopped, so that a failure here leaves nothing.
        for entry in descendants(process.pid) + found_before_kill:
            if entry.alive():
                os.kill(entry.pid, signal.SIGKILL)


@pytest.mark.timeout(600)
async def test_a_killed_session_leaves_no_server_behind(
    inner: tuple[subprocess.Popen[bytes], Path, list[pidfile.Entry]], tmp_path: Path
) -> None:
    process, ready, found = inner

    def started() -> bool:
        assert process.poll() is None, (tmp_path / "inner.log").read_text()
        return ready.exists()

    await eventually(started, within=300, what="the inner session started its servers")
    below = descendants(process.pid)
    found.extend(below)
    commands = " ".join(entry.name for entry in below)
    assert "nats-server" in commands, commands  # the session's NATS and the stack's
    assert "studio_devtools" in commands, commands
    assert sum("nats-server" in entry.name for entry in below) == 2, commands

    process.send_signal(signal.SIGKILL)
    process.wait()

    def survivors() -> list[str]:
        return [entry.describe() for entry in below if entry.alive()]

    try:
        await eventually(lambda: not survivors(), within=60, what="every server gone")
    except TimeoutError:
        pytest.fail("left running after the session was killed:\n" + "\n".join(survivors()))
