"""A process started with `terminate_with_parent` ends when its parent is SIGKILLed."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from studio_devtools.parent_death import terminate_with_parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")

PARENT = """
import subprocess, sys, time
from studio_devtools.parent_death import terminate_with_parent
child = subprocess.Popen(["sleep", "60"], preexec_fn=terminate_with_parent())
print(child.pid, flush=True)
time.sleep(60)
"""


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def wait_gone(pid: int, within: float = 5) -> None:
    deadline = time.monotonic() + within
    while not gone(pid):
        assert time.monotonic() < deadline, f"{pid} still runs"
        time.sleep(0.02)


def test_the_child_of_a_killed_parent_gets_sigterm() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not gone(child)
    parent.kill()
    parent.wait()
    wait_gone(child)


def test_the_signal_follows_the_spawning_thread() -> None:
    """Why servers and services are spawned from the main thread only."""
    started: list[subprocess.Popen[bytes]] = []
    thread = threading.Thread(
        target=lambda: started.append(
            subprocess.Popen(["sleep", "60"], preexec_fn=terminate_with_parent())
        )
    )
    thread.start()
    thread.join()
    [child] = started
    try:
        assert child.wait(5) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
