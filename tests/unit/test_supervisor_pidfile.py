"""`make run`'s pid file: what counts as still running, and never forgetting a live process."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from studio_devtools.pidfile import PidFile, PidFileBusy, read


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_claim_record_and_release(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    path = tmp_path / "run.pid"
    pid_file = PidFile(path)
    assert pid_file.claim() is False
    pid_file.record("worker", sleeper.pid)
    entries = read(path)
    assert [(e.pid, e.name) for e in entries] == [
        (os.getpid(), "launcher"),
        (sleeper.pid, "worker"),
    ]
    assert all(e.start is not None and e.alive() for e in entries)

    assert pid_file.release() == [entries[1]], "a live child keeps the file"
    assert path.exists()
    sleeper.kill()
    sleeper.wait()
    assert pid_file.release() == []
    assert not path.exists()


def test_a_restarted_child_replaces_its_line(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "run.pid")
    pid_file.claim()
    pid_file.record("worker", 111111)
    pid_file.record("worker", os.getpid())
    assert [e.name for e in read(pid_file.path)] == ["launcher", "worker"]
    assert read(pid_file.path)[1].pid == os.getpid()


def test_a_file_of_dead_processes_is_stale(tmp_path: Path) -> None:
    path = tmp_path / "run.pid"
    path.write_text(f"{dead_pid()} - launcher\n{dead_pid()} 12345 worker\n")
    assert PidFile(path).claim() is True
    assert read(path)[0].pid == os.getpid()


def test_the_old_format_is_a_launcher_pid(tmp_path: Path) -> None:
    path = tmp_path / "run.pid"
    path.write_text(f"{os.getpid()}\n")
    [entry] = read(path)
    assert (entry.pid, entry.start, entry.name) == (os.getpid(), None, "launcher")
    assert entry.alive()


def test_a_live_child_refuses_the_claim_and_keeps_the_file(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    path = tmp_path / "run.pid"
    content = f"{dead_pid()} - launcher\n{sleeper.pid} - nats\n"
    path.write_text(content)
    with pytest.raises(PidFileBusy) as raised:
        PidFile(path).claim()
    message = str(raised.value)
    assert "left these processes running" in message
    assert f"{sleeper.pid}  nats       sleep 60" in message
    assert f"kill {sleeper.pid}" in message
    assert path.read_text() == content


def test_a_live_launcher_is_already_running(tmp_path: Path) -> None:
    path = tmp_path / "run.pid"
    path.write_text(f"{os.getpid()} - launcher\n")
    with pytest.raises(PidFileBusy, match=f"already running .*pid {os.getpid()}"):
        PidFile(path).claim()


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    """After a reboot, the recorded pid may belong to anything: its start time tells."""
    path = tmp_path / "run.pid"
    path.write_text(f"{os.getpid()} 1 launcher\n")
    assert not read(path)[0].alive()
    assert PidFile(path).claim() is True


def test_a_zombie_is_not_running(tmp_path: Path) -> None:
    process = subprocess.Popen(["true"])
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped
    try:
        path = tmp_path / "run.pid"
        path.write_text(f"{process.pid} - launcher\n")
        assert not read(path)[0].alive()
    finally:
        process.wait()


def test_nonsense_lines_and_pid_zero_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "run.pid"
    path.write_text("0 - launcher\nhello\n-5 - x\n\n")
    assert read(path) == []
