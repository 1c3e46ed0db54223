"""The container healthcheck asks the service's own /readyz: 200 is healthy, anything else not."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from studio_runtime import healthcheck


class _Readiness(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Readiness)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1)])
def test_ready_means_exit_zero(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch, status: int, code: int
) -> None:
    monkeypatch.setattr(_Readiness, "status", status)
    monkeypatch.setenv("STUDIO_PORT", str(server.server_address[1]))
    assert healthcheck.main() == code


def test_nothing_listening_is_not_healthy(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    monkeypatch.setenv("STUDIO_PORT", str(port))
    assert healthcheck.main() == 1
