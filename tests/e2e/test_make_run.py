"""`make run`'s launcher as a person uses it: start, use, Ctrl-C, start again."""

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import media_samples
from tests.support.stack import READY_LINE, Launch, launch
from tests.support.stack import stack_env as make_stack_env


@pytest.fixture
def launches() -> Iterator[list[Launch]]:
    started: list[Launch] = []
    yield started
    for item in started:
        if item.process.poll() is None:
            item.process.send_signal(signal.SIGINT)
            try:
                item.process.wait(30)
            except subprocess.TimeoutExpired:
                item.process.kill()


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    return make_stack_env(tmp_path / "data")


def stop(item: Launch) -> int:
    item.process.send_signal(signal.SIGINT)
    return item.process.wait(30)


def test_run_serves_the_catalog_stops_cleanly_and_runs_again(
    stack_env: dict[str, str], launches: list[Launch]
) -> None:
    gateway = f"http://127.0.0.1:{stack_env['STUDIO_GATEWAY_PORT']}"
    first = launch(stack_env)
    launches.append(first)
    assert gateway in first.wait_for(READY_LINE)
    models = httpx.get(f"{gateway}/api/v1/models", params={"type": "text-to-video"}).json()
    assert models["total"] > 0
    assert all("text-to-video" in m["types"] for m in models["items"])
    project = httpx.post(f"{gateway}/api/v1/projects", json={"name": "First"}).json()
    data = media_samples.png()
    asset = httpx.post(
        f"{gateway}/api/v1/projects/{project['id']}/assets", files={"file": ("a.png", data)}
    ).json()
    assert httpx.get(gateway + asset["content_url"]).content == data
    stored = list((Path(stack_env["STUDIO_DATA_DIR"]) / "storage").rglob("*.png"))
    assert len(stored) == 1
    generation = httpx.post(
        f"{gateway}/api/v1/projects/{project['id']}/generations",
        json={
            "type": "text-to-audio",
            "model_id": "local/audio",
            "prompt": "rain",
            "params": {"seconds_total": 1},
        },
    ).json()
    deadline = time.monotonic() + 30
    while (
        status := httpx.get(f"{gateway}/api/v1/generations/{generation['id']}").json()["status"]
    ) in ("pending", "processing"):
        assert time.monotonic() < deadline, "the generation did not finish"
        time.sleep(0.1)
    assert status == "completed"

    second = launch(stack_env)
    launches.append(second)
    assert second.process.wait(30) == 1
    assert "already running" in second.output()

    assert stop(first) == 0
    assert "stopped" in first.output()
    pid_file = Path(stack_env["STUDIO_DATA_DIR"]) / "run.pid"
    assert not pid_file.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{gateway}/healthz")

    again = launch(stack_env)
    launches.append(again)
    again.wait_for(READY_LINE)
    assert httpx.get(f"{gateway}/api/v1/generation-types").status_code == 200
    kept = httpx.get(gateway + asset["content_url"])
    assert kept.content == data, "uploads survive a restart"
    assert stop(again) == 0


def test_stale_pid_file_is_cleared_with_a_message(
    stack_env: dict[str, str], launches: list[Launch]
) -> None:
    data_dir = Path(stack_env["STUDIO_DATA_DIR"])
    data_dir.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (data_dir / "run.pid").write_text(str(dead.pid))
    item = launch(stack_env)
    launches.append(item)
    item.wait_for("removed a stale pid file")
    item.wait_for(READY_LINE)
    assert stop(item) == 0


def test_used_port_gets_a_clear_message(stack_env: dict[str, str], launches: list[Launch]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(stack_env["STUDIO_GATEWAY_PORT"])))
        blocker.listen()
        item = launch(stack_env)
        launches.append(item)
        assert item.process.wait(30) == 1
    output = item.output()
    assert f"port {stack_env['STUDIO_GATEWAY_PORT']}" in output
    assert "needed by gateway, is in use" in output
    assert "STUDIO_GATEWAY_PORT" in output
