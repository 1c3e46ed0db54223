"""`make run` given one port for two of its processes refuses before starting anything, naming
both variables; and its readiness check believes only the service it started, not another
process that answers `/readyz` on the service's port."""

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from studio_devtools.supervisor import ServiceSpec, StackError, Supervisor, _ready, listens_on

from tests.support.stack import launch, stack_env

ECHO = "tests.support.forked_echo"  # a stand-in service that listens on nothing


def _refusal(env: dict[str, str]) -> str:
    item = launch(env)
    try:
        assert item.process.wait(60) == 1
    finally:
        if item.process.poll() is None:
            item.process.kill()
            item.process.wait()
    output = item.output()
    assert "NATS (JetStream) at" not in output, "refused before anything started"
    assert not (Path(env["STUDIO_DATA_DIR"]) / "run.pid").exists()
    return output


def test_two_services_on_one_port_are_refused_naming_both(tmp_path: Path) -> None:
    env = stack_env(tmp_path / "data")
    env["STUDIO_GATEWAY_PORT"] = env["STUDIO_PROJECTS_PORT"]
    output = _refusal(env)
    port = env["STUDIO_PROJECTS_PORT"]
    assert (
        f"make run: STUDIO_PROJECTS_PORT and STUDIO_GATEWAY_PORT are both {port}; "
        "give each its own port." in output
    )


def test_an_embedded_servers_port_counts_too_and_a_default_is_said_to_be_one(
    tmp_path: Path,
) -> None:
    env = stack_env(tmp_path / "data")
    del env["STUDIO_WORKER_PORT"]  # the worker's default, 8005
    env["STUDIO_EMBEDDED_MONGO_PORT"] = "8005"
    output = _refusal(env)
    assert (
        "make run: STUDIO_WORKER_PORT (its default) and STUDIO_EMBEDDED_MONGO_PORT are both 8005"
        in output
    )


class _AlwaysReady(BaseHTTPRequestHandler):
    asked = 0

    def do_GET(self) -> None:
        type(self).asked += 1
        self.send_response(200 if self.path == "/readyz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def squatter() -> Iterator[ThreadingHTTPServer]:
    """Another program holding a port, answering `/readyz` with 200."""
    _AlwaysReady.asked = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysReady)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


async def test_a_port_answered_by_another_process_does_not_make_the_service_ready(
    squatter: ThreadingHTTPServer,
) -> None:
    port = squatter.server_address[1]
    supervisor = Supervisor([ServiceSpec("svc", ECHO, port, ("wait",))], {}, lambda *_: None)
    stop = asyncio.Event()
    try:
        await supervisor.start()
        waiting = asyncio.create_task(supervisor.wait_ready(stop))
        async with asyncio.timeout(30):
            # Asked again and again (10 times a second), and each time not believed.
            while _AlwaysReady.asked < 5:
                assert not waiting.done(), "ready: the squatter's answer was taken for the service"
                await asyncio.sleep(0.05)
        assert not waiting.done()
        (service,) = supervisor._services
        assert service.process is not None
        service.process.kill()
        with pytest.raises(StackError, match=r"svc exited with code -9 \(SIGKILL\) while starting"):
            await asyncio.wait_for(waiting, 30)
    finally:
        await supervisor.stop()


async def test_the_process_holding_the_port_is_the_one_believed(
    squatter: ThreadingHTTPServer,
) -> None:
    port = squatter.server_address[1]
    other = await asyncio.create_subprocess_exec("sleep", "60")
    try:
        assert listens_on(os.getpid(), port) is True
        assert listens_on(other.pid, port) is False
        async with httpx.AsyncClient(timeout=5) as client:
            assert await _ready(client, port, os.getpid())
            assert not await _ready(client, port, other.pid)
    finally:
        other.send_signal(signal.SIGKILL)
        await other.wait()
