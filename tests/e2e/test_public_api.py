"""The public API as one OpenAPI document: complete, served with offline docs, and fuzzed with
schemathesis against every service running on the real servers."""

import asyncio
import logging
import os
import re
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from studio_devtools.parent_death import terminate_with_parent
from studio_gateway.proxy.routes import ROUTES

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, signed_in
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.fuzz_report import FuzzReport, read_junit

FUZZ_EXAMPLES = int(os.environ.get("STUDIO_FUZZ_EXAMPLES", "12"))


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        gateway={**ACCOUNTS, "requests_per_minute": 0},
    ) as running_stack:
        yield running_stack


def _openapi_path(pattern: str) -> str:
    return re.sub(r"\{(\w+):path\}", r"{\1}", pattern)


async def test_the_document_describes_every_public_route(stack: FullStack) -> None:
    async with stack.client() as client:
        response = await client.get("/api/v1/openapi.json")  # no sign-in needed to read it
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
    paths = document["paths"]
    for pattern, methods, _ in ROUTES:
        path = re.sub(
            r"\{(\w+):[^}]+\}", r"{\1}", pattern
        )  # `{model_id:path}` is documented as `{model_id}`
        for method in methods:
            assert method.lower() in paths[path], (method, pattern)
    for own in ("/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/me", "/api/v1/tokens"):
        assert own in paths
    assert "/api/v1/events" in paths
    assert not any(path.startswith(("/healthz", "/readyz", "/metrics")) for path in paths)

    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            success = [s for s in responses if s.startswith("2")]
            assert success, where
            for status in ("401", "429", "default"):
                assert status in responses or path.startswith("/api/v1/auth/"), (where, status)
            for status, answer in responses.items():
                if status[0] in "45" or status == "default":
                    content = answer["content"]["application/problem+json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/Problem"}
            if "requestBody" in operation:
                assert operation["requestBody"]["content"], where
    upload = paths["/api/v1/projects/{project_id}/assets"]["post"]["requestBody"]
    assert "file" in upload["content"]["multipart/form-data"]["schema"]["properties"]
    generation = paths["/api/v1/generations/{generation_id}"]["get"]["responses"]["200"]
    assert generation["content"]["application/json"]["schema"]["$ref"].endswith("/Generation")
    assert {"apiToken", "session"} <= set(document["components"]["securitySchemes"])
    assert paths["/api/v1/auth/login"]["post"]["security"] == []


async def test_the_docs_page_uses_no_cdn(stack: FullStack) -> None:
    async with stack.client() as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        assert "/api/v1/openapi.json" in page.text
        scripts = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert scripts
        assert all(url.startswith("/docs/static/") for url in scripts), scripts
        for url in scripts:
            assert (await client.get(url)).status_code == 200, url


@dataclass
class FuzzRun:
    returncode: int
    output: str
    report: FuzzReport


@contextmanager
def upstream_failures() -> Iterator[list[str]]:
    """What the gateway logged each time it could not reach a service (`upstream.unreachable`:
    service, error type, detail), so a 502 comes with its cause."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            event = record.msg if isinstance(record.msg, dict) else {}
            if event.get("event") == "upstream.unreachable":
                seen.append(f"{event.get('service')}: {event.get('error')} {event.get('detail')}")

    logger = logging.getLogger("studio_gateway.proxy.upstream")
    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


async def _fuzz(command: list[str], cwd: Path, attempt: str) -> FuzzRun:
    """One schemathesis run; what it found is read from its JUnit report, not its exit code
    (which is also non-zero when the tool itself breaks)."""
    report = cwd / f"junit-{attempt}.xml"
    process = await asyncio.create_subprocess_exec(
        *command,
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
        preexec_fn=terminate_with_parent(),  # not left fuzzing if the session is killed
    )
    raw, _ = await process.communicate()
    assert process.returncode is not None
    return FuzzRun(process.returncode, raw.decode(errors="replace"), read_junit(report))


@pytest.mark.timeout(900)
async def test_fuzzing_finds_no_server_error_and_no_answer_outside_the_schema(
    stack: FullStack, tmp_path: Path
) -> None:
    """Decisions (docs/testing.md, "The fuzz test"):

    * what counts is the JUnit report: a run whose report is missing (the tool crashed, as
      CPython's ``ast`` once did under ``--workers 2``) is run again, once;
    * one worker, since two crashed the tool;
    * a 502 "upstream-unavailable" is the gateway failing to reach a service that is up.
      It happened under load, and is a real defect (reported, with what to fix, in the
      warning below), but a load-dependent one: the operations where it was the only
      problem are fuzzed again with the same seed, and only a 502 that comes back fails.
      Every other failure fails at once.
    """
    async with signed_in(stack.gateway, "fuzz") as client:
        token = (await client.post("/api/v1/tokens", json={"name": "fuzz"})).json()["token"]
        # Something to find: a project, an upload and a generation of the fuzzing user's.
        project = (await client.post("/api/v1/projects", json={"name": "Fuzz"})).json()["id"]
        await client.post(
            f"/api/v1/projects/{project}/assets",
            files={"file": ("seed.png", media_samples.png(16, 16))},
        )
        await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "seed"},
        )
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{stack.gateway}/api/v1/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance,response_headers_conformance",
        "--max-examples",
        str(FUZZ_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261125",
        "--header",
        f"Authorization: Bearer {token}",
        "--exclude-path",
        "/api/v1/events",  # an endless stream; tested on its own
        "--exclude-path",
        "/api/v1/auth/logout-all",  # would end the sessions the run uses
        "--request-timeout",
        "60",  # a busy machine answers slowly; a timeout is not what is tested here
        "--generation-database",
        "none",
        # Model ids hold slashes; the generator discards most of what it makes for them.
        "--suppress-health-check",
        "filter_too_much",
        "--no-color",
        # One worker: with two threads CPython 3.11 sometimes fails inside schemathesis
        # ("AST constructor recursion depth mismatch"), an error of the tool, not of the API.
        "--workers",
        "1",
    ]
    with upstream_failures() as unreachable:
        run = await _fuzz(command, tmp_path, "first")
        if run.report.operations == 0:
            print(f"schemathesis wrote no report (exit {run.returncode}); running it again")
            print(run.output[-4000:])
            run = await _fuzz(command, tmp_path, "again")
    print(run.output[-6000:])
    report = run.report
    assert report.operations > 0, f"schemathesis wrote no report twice:\n{run.output[-12000:]}"
    assert not report.errors, "\n\n".join(e.describe() for e in report.errors)

    transient = [f for f in report.failures if f.only_upstream_unavailable]
    failing = [f for f in report.failures if not f.only_upstream_unavailable]
    if transient and not failing:
        names = sorted({f.operation for f in transient})
        include = [arg for name in names for arg in ("--include-name", name)]
        replay = await _fuzz([*command, *include], tmp_path, "replay")
        print(replay.output[-6000:])
        assert replay.report.operations > 0, f"no replay report:\n{replay.output[-12000:]}"
        failing = replay.report.failures + replay.report.errors
        if not failing:
            warnings.warn(
                "the gateway answered 502 upstream-unavailable for a service that was up, "
                f"under load; not reproduced on a replay: {', '.join(names)}; "
                f"the gateway's errors: {'; '.join(sorted(set(unreachable))) or 'none logged'}",
                stacklevel=1,
            )
    else:
        failing += transient
    assert not failing, "\n\n".join(f.describe() for f in failing) + (
        f"\n\nthe gateway could not reach: {'; '.join(sorted(set(unreachable)))}"
        if unreachable
        else ""
    )
    assert report.operations >= len(ROUTES) // 2, "most operations were fuzzed"
