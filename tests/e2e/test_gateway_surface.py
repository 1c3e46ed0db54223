"""The gateway's public surface under abuse: aborted and stalled requests, what reaches the
logs, early refusal of uploads, security headers. Every service runs on real sockets against
the real servers; logs are the real stderr lines, captured."""

import asyncio
import base64
import hashlib
import json
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from studio_gateway.security.headers import API_POLICY
from studio_gateway.studio import CONTENT_SECURITY_POLICY
from studio_runtime import logging as studio_logging

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, new_email, sign_up
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.sse import listening
from tests.support.streams import HeldStream
from tests.support.waiting import eventually, patience


@asynccontextmanager
async def accounts_stack(
    servers: Servers, tmp_path: Path, **gateway: Any
) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        gateway={**ACCOUNTS, **gateway},
    ) as stack:
        yield stack


async def raw_request(gateway: str, head: str, body: bytes = b"") -> tuple[Any, Any]:
    """Open a connection and send `head` (request line and headers) and `body` as they are."""
    url = urlsplit(gateway)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    await writer.drain()
    return reader, writer


def aborted_post_head(token: str, request_id: str) -> str:
    return (
        "POST /api/v1/projects HTTP/1.1\n"
        "Host: studio\n"
        f"Authorization: Bearer {token}\n"
        "Content-Type: application/json\n"
        "Content-Length: 1000\n"
        f"X-Request-ID: {request_id}\n"
    )


async def abort_a_post(gateway: str, token: str, request_id: str) -> None:
    """The report's case: 9 of 1000 announced bytes, then the socket closed."""
    _reader, writer = await raw_request(gateway, aborted_post_head(token, request_id), b'{"name":"')
    writer.close()
    await writer.wait_closed()


async def new_token(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/tokens", json={"name": "script"})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


# --- 7. an aborted request stalls nobody ----------------------------------------------------


@pytest.mark.parametrize("log_json", [False, True], ids=["console", "json"])
async def test_aborted_requests_are_no_server_error_and_stall_nobody(
    servers: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str], log_json: bool
) -> None:
    async with accounts_stack(servers, tmp_path, log_json=log_json) as stack:
        async with stack.client() as client:
            await sign_up(client, new_email())
            token = await new_token(client)
        capsys.readouterr()
        request_ids = [f"aborted-{uuid.uuid4().hex}" for _ in range(5)]
        for request_id in request_ids:
            await abort_a_post(stack.gateway, token, request_id)
        async with stack.client() as client:
            started = time.monotonic()
            assert (await client.get("/healthz", timeout=5)).status_code == 200
            listed = await client.get(
                "/api/v1/generations", headers={"Authorization": f"Bearer {token}"}, timeout=5
            )
            assert listed.status_code == 200
            assert time.monotonic() - started < 2

        captured: list[str] = []

        def logged_all() -> bool:
            captured.extend(capsys.readouterr().err.splitlines())
            return all(
                any(rid in line and "499" in line for line in captured) for rid in request_ids
            )

        await eventually(logged_all)
    # A status of 500 in either format; a bare "500" can be part of a request id.
    server_error = re.compile(r'"status": 5\d\d|status=5\d\d')
    assert not [line for line in captured if "Traceback" in line or server_error.search(line)]
    for rid in request_ids:
        # One line per service that saw the request (the gateway, and the projects service
        # that had begun to receive it), not thousands.
        assert 1 <= len([line for line in captured if rid in line]) <= 2, rid
    assert len(captured) < 100


async def test_a_body_shorter_than_its_length_times_out_with_408(
    servers: Servers, tmp_path: Path
) -> None:
    async with accounts_stack(servers, tmp_path, body_read_timeout_s=0.5) as stack:
        async with stack.client() as client:
            await sign_up(client, new_email())
            token = await new_token(client)
        reader, writer = await raw_request(
            stack.gateway, aborted_post_head(token, "stalled"), b'{"name":"'
        )
        try:
            async with asyncio.timeout(10 * patience()):
                answer = await reader.read(65536)
                while b"\r\n\r\n" not in answer:
                    answer += await reader.read(65536)
        finally:
            writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert b" 408 " in status_line, answer
        assert b"connection: close" in rest.lower()
        assert b"application/problem+json" in rest


async def test_logging_never_blocks_the_event_loop(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody reads stderr any more (a full pipe): the gateway answers all the same, dropping
    the lines it cannot queue, and writes what it queued once stderr moves again."""
    stuck = HeldStream()
    monkeypatch.setattr(studio_logging, "QUEUE_MAX", 20)
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", stuck)
        stack_context = accounts_stack(servers, tmp_path)
        stack = await stack_context.__aenter__()
    try:
        async with stack.client() as client, asyncio.timeout(20 * patience()):
            await sign_up(client, new_email())
            token = await new_token(client)
            for n in range(5):
                await abort_a_post(stack.gateway, token, f"stuck-{n}")
            for _ in range(50):
                assert (await client.get("/api/v1/me")).status_code == 200
        assert studio_logging.DROPPED._value.get() > 0
        assert not stuck.lines
        # stderr moves again: what was queued is written, and new lines follow.
        stuck.released.set()
        await eventually(lambda: bool(stuck.lines))
        async with stack.client() as client:
            marked = await client.get(
                "/api/v1/me",
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "after-release"},
            )
            assert marked.status_code == 200
        await eventually(lambda: any("after-release" in line for line in stuck.lines))
    finally:
        stuck.released.set()
        await stack_context.__aexit__(None, None, None)


# --- 8. no credential in any log line -----------------------------------------------------


@pytest.mark.parametrize(
    ("log_json", "log_level"), [(False, "info"), (True, "debug")], ids=["console", "json-debug"]
)
async def test_no_log_line_carries_a_credential(
    servers: Servers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    log_json: bool,
    log_level: str,
) -> None:
    password = f"pass-{uuid.uuid4().hex}"
    async with accounts_stack(servers, tmp_path, log_json=log_json, log_level=log_level) as stack:
        async with stack.client() as client:
            session = await sign_up(client, new_email(), password)
            cookie = client.cookies["studio_session"]
            token = await new_token(client)
            email = session["user"]["email"]
        bearer = {"Authorization": f"Bearer {token}"}
        async with stack.client() as client:
            assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
            assert (
                await client.post("/api/v1/projects", headers=bearer, json={})
            ).status_code == 422
            forged = {"Authorization": f"Bearer {token[:-4]}abcd"}
            assert (await client.get("/api/v1/me", headers=forged)).status_code == 401
            wrong = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": password + "x"}
            )
            assert wrong.status_code == 401
            login = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": password}
            )
            assert login.status_code == 200
            second_cookie = client.cookies["studio_session"]
            csrf = login.json()["csrf_token"]
            logout = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
            assert logout.status_code == 204
        await abort_a_post(stack.gateway, token, "aborted-with-token")

        captured: list[str] = []

        def logged_abort() -> bool:
            captured.extend(capsys.readouterr().err.splitlines())
            return any("aborted-with-token" in line for line in captured)

        await eventually(logged_abort)
    secrets = {
        "password": password,
        "token": token,
        "token secret": token.rsplit(".", 1)[1],
        "session cookie": cookie.rsplit(".", 1)[1],
        "second session cookie": second_cookie.rsplit(".", 1)[1],
        "sign-up csrf token": session["csrf_token"],
        "log-in csrf token": csrf,
        # Every signed identity starts with the base64 of `{"sub"`.
        "signed identity": "eyJzdWIi",
    }
    assert len(captured) > 10
    for line in captured:
        for name, secret in secrets.items():
            assert secret not in line, f"{name} in a log line: {line[:300]}"


# --- 10. security and caching headers -------------------------------------------------------


async def test_security_and_caching_headers(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        created = await client.post("/api/v1/projects", json={"name": "Headers"})
        assert created.status_code == 201
        project = created.json()["id"]
        private = {
            "/api/v1/me": 200,
            "/api/v1/projects": 200,
            f"/api/v1/projects/{project}": 200,
            "/api/v1/generations": 200,
            "/api/v1/assets": 200,
            "/api/v1/templates": 200,
            "/api/v1/projects/0123456789abcdef01234567": 404,
        }
        answers = {"POST /api/v1/projects": created}
        for path, status in private.items():
            response = await client.get(path)
            assert response.status_code == status, (path, response.text)
            assert response.headers["cache-control"] == "no-store", path
            answers[path] = response
        uploaded = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("a.png", media_samples.png())}
        )
        assert uploaded.status_code == 201, uploaded.text
        asset = uploaded.json()["id"]
        files = {
            f"/api/v1/assets/{asset}/content": 200,
            f"/api/v1/assets/{asset}/thumbnail": 200,
            "/api/v1/assets/0123456789abcdef01234567/content": 404,
        }
        for path, status in files.items():
            response = await client.get(path)
            assert response.status_code == status, (path, response.text)
            answers[path] = response
        for path in ("/api/v1/models", "/healthz", "/docs", "/studio", "/no/such/path"):
            answers[path] = await client.get(path)
        for path, response in answers.items():
            assert response.headers.get("x-content-type-options") == "nosniff", path
            if path.split(" ")[-1].startswith("/api/"):
                # A file or problem opened in a tab of its own runs nothing.
                policies = response.headers.get_list("content-security-policy")
                assert policies == [API_POLICY], path
                assert "sandbox" in API_POLICY and "default-src 'none'" in API_POLICY
        assert created.headers["cache-control"] == "no-store"
        assert "no-store" not in answers["/api/v1/models"].headers.get("cache-control", "")

        docs = answers["/docs"]
        assert docs.status_code == 200
        policy = docs.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert docs.headers["x-frame-options"] == "DENY"
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        inline = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
        assert inline, "Swagger UI's init script"
        for script in inline:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy

        studio = answers["/studio"]
        assert studio.status_code == 200
        # The studio's own, stricter policy is kept, not replaced or doubled.
        assert studio.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY]


# --- 9. uploads refused early -------------------------------------------------------------


async def read_head(reader: Any, within: float = 10) -> bytes:
    """The status line and headers of the answer, however much of the request was sent."""
    answer = b""
    async with asyncio.timeout(within * patience()):
        while b"\r\n\r\n" not in answer:
            piece = await reader.read(65536)
            assert piece, f"connection closed without an answer: {answer!r}"
            answer += piece
    return answer


def upload_head(project: str, length: str = "", chunked: bool = False) -> str:
    return (
        f"POST /api/v1/projects/{project}/assets HTTP/1.1\n"
        "Host: studio\n"
        "Content-Type: multipart/form-data; boundary=b0undary\n"
        + (f"Content-Length: {length}\n" if length else "")
        + ("Transfer-Encoding: chunked\n" if chunked else "")
    )


async def test_uploads_are_refused_from_their_headers_and_as_soon_as_they_cross_the_limit(
    servers: Servers, tmp_path: Path
) -> None:
    limits = {"upload_max_bytes": 1024 * 1024, "upload_bytes_per_hour": 512 * 1024}
    async with full_stack(
        servers, storage_url=(tmp_path / "s").as_uri(), workers=0, gateway=limits
    ) as stack:
        async with stack.client() as client:
            project = (await client.post("/api/v1/projects", json={"name": "Up"})).json()["id"]
            # The studio learns the limit from `me`, to say so before sending a larger file.
            assert (await client.get("/api/v1/me")).json()["upload_max_bytes"] == 1024 * 1024

        # Larger than one file may be: 413 before a byte of the body is sent.
        reader, writer = await raw_request(stack.gateway, upload_head(project, str(100 << 20)))
        try:
            answer = await read_head(reader)
            async with asyncio.timeout(10 * patience()):
                answer += await reader.read()  # the problem body: the gateway closes after it
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 413 "), answer
        # In the units the studio shows sizes in, not "1,048,576-byte".
        problem = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        assert problem["detail"] == "The file is larger than the upload limit of 1.0 MiB."

        # Within one file's limit but larger than the whole hourly volume: 413 at once too.
        reader, writer = await raw_request(stack.gateway, upload_head(project, str(600 * 1024)))
        try:
            answer = await read_head(reader)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 413 "), answer

        # Without a length (no hourly limit on this instance): stopped once past the limit,
        # while the rest is still to come.
        stack.gateway_settings = {
            **stack.gateway_settings,
            "upload_max_bytes": 256 * 1024,
            "upload_bytes_per_hour": 0,
        }
        unlimited = await stack.add_gateway()
        reader, writer = await raw_request(unlimited, upload_head(project, chunked=True))
        try:
            part = (
                b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.png"'
                b"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
            )
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            for _ in range(6):  # 384 KiB of the file, then nothing more
                chunk = b"\0" * 65536
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            answer = await read_head(reader)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 413 "), answer
        assert b"connection: close" in answer.lower()


# --- event streams per user ---------------------------------------------------------------


async def test_event_streams_per_user_are_capped(servers: Servers, tmp_path: Path) -> None:
    async with (
        accounts_stack(servers, tmp_path, sse_connections_per_user=3) as stack,
        stack.client() as first,
        stack.client() as second,
    ):
        await sign_up(first, new_email())
        await sign_up(second, new_email())
        async with AsyncExitStack() as streams:
            for _ in range(3):
                log = await streams.enter_async_context(listening(first))
                assert log.status == 200
            async with asyncio.timeout(10 * patience()):  # a stream not refused never ends
                refused = await first.get("/api/v1/events")
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) > 0
            assert refused.headers["content-type"] == "application/problem+json"
            # Another user is not affected.
            async with listening(second) as other:
                assert other.status == 200

        # Closed streams give their places back.
        async def reconnects() -> bool:
            async with listening(first) as again:
                return again.status == 200

        await eventually(reconnects)


# --- /metrics on the public port ------------------------------------------------------------


async def test_gateway_metrics_only_for_operator_networks(servers: Servers, tmp_path: Path) -> None:
    async with full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack:
        # A generous timeout: on a loaded machine connecting alone took over httpx's 5 s.
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as client:
            local = await client.get("/metrics")
        assert local.status_code == 200  # loopback: an operator on the machine
        assert "studio_http_requests_total" in local.text
        # An instance whose operators' network does not include this client (127.0.0.1).
        stack.gateway_settings = {**stack.gateway_settings, "metrics_networks": "10.0.0.0/8"}
        public = await stack.add_gateway()
        async with httpx.AsyncClient(base_url=public, timeout=30) as client:
            refused = await client.get("/metrics")
            assert refused.status_code == 404
            assert "studio_http" not in refused.text
            assert (await client.get("/healthz")).status_code == 200
