"""`make run`'s launcher as a person uses it: start, use, Ctrl-C, start again; and as it must
behave when things go wrong: killed outright, a service crashing, a run left behind."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from studio_devtools.pidfile import command_line

from tests.support import media_samples
from tests.support.stack import READY_LINE, Launch, launch, recorded, wait_until
from tests.support.stack import stack_env as make_stack_env
from tests.support.waiting import patience

SERVICES = {"projects", "catalog", "generation", "worker", "assets", "gateway"}
EVERY_PROCESS = {"launcher", "nats", "mongo", "forkserver", *SERVICES}


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


@pytest.fixture
def http(stack_env: dict[str, str]) -> Iterator[httpx.Client]:
    """One client for the test's calls to the gateway: a client per call would build a TLS
    context each time (tens of milliseconds of CPU), which adds up in the polling loops."""
    gateway = f"http://127.0.0.1:{stack_env['STUDIO_GATEWAY_PORT']}"
    with httpx.Client(base_url=gateway, timeout=10 * patience()) as client:
        yield client


def stop(item: Launch) -> int:
    item.process.send_signal(signal.SIGINT)
    return item.process.wait(30)


def test_run_serves_the_catalog_stops_cleanly_and_runs_again(
    stack_env: dict[str, str], launches: list[Launch], http: httpx.Client
) -> None:
    first = launch(stack_env)
    launches.append(first)
    assert str(http.base_url).rstrip("/") in first.wait_for(READY_LINE)
    processes = recorded(stack_env)
    # Forked from the fork server, each service still looks as `python -m` started it, and
    # sits in a session of its own (Ctrl-C in the terminal reaches the launcher alone).
    assert command_line(processes["worker"].pid).endswith(" -m studio_generation worker")
    assert command_line(processes["gateway"].pid).endswith(" -m studio_gateway")
    for name in SERVICES:
        assert os.getsid(processes[name].pid) == processes[name].pid, name
    models = http.get("/api/v1/models", params={"type": "text-to-video"}).json()
    assert models["total"] > 0
    assert all("text-to-video" in m["types"] for m in models["items"])
    project = http.post("/api/v1/projects", json={"name": "First"}).json()
    data = media_samples.png()
    asset = http.post(
        f"/api/v1/projects/{project['id']}/assets", files={"file": ("a.png", data)}
    ).json()
    assert http.get(asset["content_url"]).content == data
    stored = list((Path(stack_env["STUDIO_DATA_DIR"]) / "storage").rglob("*.png"))
    assert len(stored) == 1
    generation = http.post(
        f"/api/v1/projects/{project['id']}/generations",
        json={
            "type": "text-to-audio",
            "model_id": "local/audio",
            "prompt": "rain",
            "params": {"seconds_total": 1},
        },
    ).json()
    _wait_completed(http, [generation["id"]])

    second = launch(stack_env)
    launches.append(second)
    assert second.process.wait(30) == 1
    assert "already running" in second.output()

    assert stop(first) == 0
    assert "stopped" in first.output()
    pid_file = Path(stack_env["STUDIO_DATA_DIR"]) / "run.pid"
    assert not pid_file.exists()
    assert not [entry.name for entry in processes.values() if entry.alive()]
    with pytest.raises(httpx.ConnectError):  # a new connection: the old one may linger
        httpx.get(http.base_url.join("/healthz"))

    again = launch(stack_env)
    launches.append(again)
    again.wait_for(READY_LINE)
    assert http.get("/api/v1/generation-types").status_code == 200
    kept = http.get(asset["content_url"])
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


@pytest.fixture
def short_stack_env() -> Iterator[dict[str, str]]:
    """A stack's environment with a data directory whose path leaves room for a socket's."""
    base = Path(tempfile.mkdtemp(prefix="run-"))
    yield make_stack_env(base / "data")
    shutil.rmtree(base, ignore_errors=True)


def test_killed_launcher_leaves_no_process_behind_and_runs_again(
    short_stack_env: dict[str, str], launches: list[Launch]
) -> None:
    stack_env = short_stack_env
    data_dir = Path(stack_env["STUDIO_DATA_DIR"])
    first = launch(stack_env)
    launches.append(first)
    first.wait_for(READY_LINE)
    processes = recorded(stack_env)
    assert set(processes) == EVERY_PROCESS
    assert processes["launcher"].pid == first.process.pid
    # The fork server's socket lies in the data directory, not in /tmp for good.
    [socket_dir] = data_dir.glob("pymp-*")

    first.process.kill()
    first.process.wait(5)
    wait_until(
        lambda: not any(entry.alive() for entry in processes.values()),
        5,
        lambda: (
            "every process of the killed launcher ended; still running: "
            + ", ".join(f"{e.name} ({e.pid})" for e in processes.values() if e.alive())
        ),
    )

    assert socket_dir.exists()  # what a killed launcher leaves: the next launch removes it

    again = launch(stack_env)
    launches.append(again)
    again.wait_for("removed a stale pid file")
    again.wait_for(READY_LINE)
    [own] = data_dir.glob("pymp-*")
    assert own != socket_dir
    assert stop(again) == 0
    assert not list(data_dir.glob("pymp-*"))


def test_crashed_worker_is_restarted_and_its_jobs_in_flight_are_taken_over(
    stack_env: dict[str, str], launches: list[Launch], http: httpx.Client
) -> None:
    # Jobs take 3 s. A dead worker's running jobs would be free to take over only after their
    # lease (300 s), far past this test's deadlines: the worker started again takes back its
    # previous life's jobs at once, by the name `make run` gives it. (A job the dead worker had
    # fetched but not yet claimed, still pending, comes back when NATS's ack wait, 20 s, ends.)
    stack_env.update(
        STUDIO_LOCAL_LATENCY_S="3",
        STUDIO_LEASE_S="300",
        STUDIO_HEARTBEAT_S="0.5",
        STUDIO_ACK_WAIT_S="20",
    )
    item = launch(stack_env)
    launches.append(item)
    item.wait_for(READY_LINE)
    project = http.post("/api/v1/projects", json={"name": "Crashes"}).json()
    worker = recorded(stack_env)["worker"]
    before = [_generate(http, project["id"], f"before {i}") for i in range(4)]
    wait_until(
        lambda: set(_statuses(http, before).values()) == {"processing"},
        15,
        lambda: f"every generation is being worked on: {_statuses(http, before)}",
    )

    os.kill(worker.pid, signal.SIGKILL)
    # Nothing can finish a job between the kill and the restart (0.5 s later), nor take one
    # over before its lease has run out: whatever is processing now was in flight at the kill.
    in_flight = [i for i, status in _statuses(http, before).items() if status == "processing"]
    assert in_flight
    while_down = [_generate(http, project["id"], f"while down {i}") for i in range(3)]
    item.wait_for("worker exited with code -9 (SIGKILL); restarting in 0.5s (crash 1 of 5 in 60s)")
    item.wait_for("jobs.taken_back")
    item.wait_for("worker is ready again")
    restarted = recorded(stack_env)["worker"]
    assert restarted.pid != worker.pid
    assert restarted.alive()
    readyz = http.get(f"http://127.0.0.1:{stack_env['STUDIO_WORKER_PORT']}/readyz")
    assert readyz.status_code == 200
    after = [_generate(http, project["id"], f"after {i}") for i in range(2)]

    finished = _wait_completed(http, before + while_down + after)
    for record in finished.values():
        assert len(record["outputs"]) == 1, record
        content = http.get(f"/api/v1/assets/{record['outputs'][0]['asset_id']}/content")
        assert content.status_code == 200, (record, content.text)
    taken_over = {i: finished[i]["attempts"] for i in in_flight}
    assert all(attempts >= 2 for attempts in taken_over.values()), taken_over
    assert item.output().count(READY_LINE) == 1, "a restart is not a fresh start"
    assert stop(item) == 0


def test_ctrl_c_lets_a_running_job_finish_before_the_services_it_needs_stop(
    stack_env: dict[str, str], launches: list[Launch], http: httpx.Client
) -> None:
    # Every service used to get SIGTERM at once: the worker, finishing its job within its
    # shutdown grace, found the assets service gone and logged a traceback.
    stack_env.update(STUDIO_LOCAL_LATENCY_S="2")
    item = launch(stack_env)
    launches.append(item)
    item.wait_for(READY_LINE)
    project = http.post("/api/v1/projects", json={"name": "Stopping"}).json()
    job = _generate(http, project["id"], "finishes while the studio stops")
    wait_until(
        lambda: _statuses(http, [job])[job] == "processing",
        15,
        lambda: f"the job is being worked on: {_statuses(http, [job])}",
    )

    assert stop(item) == 0
    output = item.output()
    assert "Traceback" not in output, output
    assert "job.completed" in output, output

    again = launch(stack_env)
    launches.append(again)
    again.wait_for(READY_LINE)
    record = _wait_completed(http, [job])[job]
    assert record["attempts"] == 1, "it finished during the stop, not after the restart"
    asset_id = record["outputs"][0]["asset_id"]
    assert http.get(f"/api/v1/assets/{asset_id}/content").status_code == 200
    assert stop(again) == 0


@pytest.mark.parametrize("server", ["nats", "mongo"])
def test_a_killed_server_is_started_again_with_its_data(
    stack_env: dict[str, str], launches: list[Launch], http: httpx.Client, server: str
) -> None:
    item = launch(stack_env)
    launches.append(item)
    item.wait_for(READY_LINE)
    project = http.post("/api/v1/projects", json={"name": "Outage"}).json()
    before = _generate(http, project["id"], "before")
    _wait_completed(http, [before])
    killed = recorded(stack_env)[server]

    os.kill(killed.pid, signal.SIGKILL)
    item.wait_for(f"{server} exited with code -9; restarting it in 0.5s (data kept)")
    item.wait_for(f"{server} is back at ")
    back = recorded(stack_env)[server]
    assert back.pid != killed.pid and back.alive()

    # The services reconnect by themselves: what was stored is there, and new work completes.
    def accepted() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            answer = http.post(
                f"/api/v1/projects/{project['id']}/generations",
                json={"type": "text-to-image", "model_id": "local/image", "prompt": "after"},
            )
            return answer.status_code == 202
        return False

    wait_until(accepted, 60, "a generation is accepted again")
    assert http.get(f"/api/v1/generations/{before}").json()["status"] == "completed"
    listed = http.get(f"/api/v1/projects/{project['id']}/generations").json()["items"]
    _wait_completed(http, [g["id"] for g in listed], within=60)
    assert stop(item) == 0


def test_repeated_crashes_make_the_launcher_give_up_and_stop_everything(
    stack_env: dict[str, str], launches: list[Launch]
) -> None:
    item = launch(stack_env)
    launches.append(item)
    item.wait_for(READY_LINE)
    processes = list(recorded(stack_env).values())
    killed: set[int] = set()

    def kill_each_new_worker() -> bool:
        if item.process.poll() is not None:
            return True
        worker = recorded(stack_env).get("worker")
        if worker is not None and worker.pid not in killed:
            killed.add(worker.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
        return False

    # Backoff 0.5 + 1 + 2 + 4 s between the five crashes, then the stop.
    wait_until(kill_each_new_worker, 40, "the launcher gave up")
    assert item.process.wait(5) == 1
    output = item.output()
    assert "restarting in 4.0s (crash 4 of 5 in 60s)" in output
    assert "worker exited with code -9 (SIGKILL); 5 crashes in 60s: giving up" in output
    assert len(killed) == 5
    assert not [entry for entry in processes if entry.alive()]
    assert not (Path(stack_env["STUDIO_DATA_DIR"]) / "run.pid").exists()


def test_pid_file_naming_a_live_process_refuses_and_is_kept(
    stack_env: dict[str, str], launches: list[Launch]
) -> None:
    data_dir = Path(stack_env["STUDIO_DATA_DIR"])
    data_dir.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    left_over = subprocess.Popen(["sleep", "60"])
    try:
        # A launcher killed before its worker: `<pid> <start time or -> <name>` per line.
        content = f"{dead.pid} - launcher\n{left_over.pid} - worker\n"
        (data_dir / "run.pid").write_text(content)
        item = launch(stack_env)
        launches.append(item)
        assert item.process.wait(30) == 1
        output = item.output()
        assert f"{left_over.pid}  worker     sleep 60" in output
        assert f"Stop them with: kill {left_over.pid}" in output
        assert (data_dir / "run.pid").read_text() == content
        assert left_over.poll() is None
    finally:
        left_over.kill()
        left_over.wait()


def _generate(http: httpx.Client, project_id: str, prompt: str) -> str:
    response = http.post(
        f"/api/v1/projects/{project_id}/generations",
        json={
            "type": "text-to-image",
            "model_id": "local/image",
            "prompt": prompt,
            "params": {"image_size": {"width": 64, "height": 64}},
        },
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _statuses(http: httpx.Client, generation_ids: list[str]) -> dict[str, str]:
    return {
        generation_id: http.get(f"/api/v1/generations/{generation_id}").json()["status"]
        for generation_id in generation_ids
    }


def _wait_completed(
    http: httpx.Client, generation_ids: list[str], within: float = 30
) -> dict[str, dict[str, Any]]:
    """Wait for each generation to end, assert it completed, and return the records by id."""
    within *= patience()
    deadline = time.monotonic() + within
    finished: dict[str, dict[str, Any]] = {}
    for generation_id in generation_ids:
        while (record := http.get(f"/api/v1/generations/{generation_id}").json())["status"] in (
            "pending",
            "processing",
        ):
            assert time.monotonic() < deadline, f"not finished in {within}s: {record}"
            time.sleep(0.1)
        assert record["status"] == "completed", record
        finished[generation_id] = record
    return finished


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        # Read by the launcher itself.
        ("STUDIO_GATEWAY_PORT", "abc", "STUDIO_GATEWAY_PORT must be a port number (1-65535)"),
        # Read by every service: named, and the value (a secret here) never echoed.
        (
            "STUDIO_INTERNAL_SECRET",
            "too-short-to-sign",
            "STUDIO_INTERNAL_SECRET: Should be at least 32 characters long",
        ),
    ],
)
def test_a_bad_setting_names_its_variable_without_a_traceback(
    stack_env: dict[str, str], launches: list[Launch], variable: str, value: str, said: str
) -> None:
    stack_env[variable] = value
    item = launch(stack_env)
    launches.append(item)
    assert item.process.wait(60) == 1
    output = item.output()
    assert said in output
    assert "Traceback" not in output
    if variable == "STUDIO_INTERNAL_SECRET":
        assert value not in output


def test_a_worker_stopped_from_outside_is_started_again_without_counting_a_crash(
    stack_env: dict[str, str], launches: list[Launch]
) -> None:
    """A drain (SIGTERM) is not a crash: five of them in a minute must not stop the studio."""
    item = launch(stack_env)
    launches.append(item)
    item.wait_for(READY_LINE)
    worker = recorded(stack_env)["worker"]
    os.kill(worker.pid, signal.SIGTERM)
    item.wait_for("worker exited with code -15 (SIGTERM): stopped, not crashed; starting it again")
    item.wait_for("worker is ready again")
    assert "crash 1 of 5" not in item.output()
    assert recorded(stack_env)["worker"].pid != worker.pid
    assert stop(item) == 0
