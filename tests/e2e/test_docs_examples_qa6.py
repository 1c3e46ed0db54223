"""The docs' examples, run as written against every service on the real servers, so that they
cannot rot silently: README's quick-start and accounts `curl` blocks, its `studio generate`
one-liner and the example block of docs/cli.md. And the API reference in docs/ against the
gateway's OpenAPI document: every route described with its answers, no route that is gone.

The `curl` lines are read by a small interpreter of the options they use (`-X`, `-H`, `-d`,
`-F`, `-c`/`-b`, `-N`) that sends them with httpx, so the test needs no curl on the machine; an
option it does not know fails the test, so a new kind of example gets taught to it."""

import asyncio
import json
import os
import re
import shlex
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS
from tests.support.apps import make_settings, running
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.servers import drop_mongo_database, remove_nats_streams
from tests.support.waiting import eventually, patience

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"
STUDIO = Path(sys.executable).parent / "studio"
DOCUMENTED_URL = "http://127.0.0.1:8080"
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
PLACEHOLDER = re.compile(r"<[a-z_ ]+>|\u2026")

NOT_RUN = {
    "studio events": "runs until stopped; tests/e2e/test_cli.py follows it",
}
"""Example lines of docs/cli.md not run here, and why."""


@pytest.fixture(scope="module")
async def stack(
    mongo_url: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FullStack]:
    """Local mode, as after `make run`."""
    servers = Servers(
        mongo_url, f"t_{uuid.uuid4().hex[:16]}", nats_url, f"t{uuid.uuid4().hex[:12]}"
    )
    try:
        async with full_stack(
            servers, storage_url=tmp_path_factory.mktemp("docs-storage").as_uri()
        ) as running_stack:
            yield running_stack
    finally:
        for suffix in ("_p", "_a", "_g", "_gw"):
            drop_mongo_database(mongo_url, servers.mongo_db_name + suffix)
        await remove_nats_streams(nats_url, servers.nats_prefix)


def _blocks(page: Path, containing: str) -> list[list[str]]:
    """The page's ```sh blocks that contain `containing`, as their commands (a line continued
    with a backslash joined to the next)."""
    found = []
    for block in SHELL_BLOCK.findall(page.read_text()):
        if containing in block:
            joined = block.replace("\\\n", " ")
            found.append([line.strip() for line in joined.splitlines() if line.strip()])
    return found


@dataclass
class Curl:
    """What one documented `curl` sent, and its answer."""

    method: str
    url: str
    status: int
    body: str


@dataclass
class Reader:
    """Runs documented `curl` lines; the placeholders they show (`<project id>`, `sst_...`)
    are filled in from the answers of the lines before, as a reader would."""

    gateway: str
    cwd: Path
    client: httpx.AsyncClient
    values: dict[str, str] = field(default_factory=dict)

    async def run(self, line: str) -> Curl:
        line = line.replace(DOCUMENTED_URL, self.gateway)
        for placeholder, value in self.values.items():
            line = line.replace(placeholder, value)
        assert not PLACEHOLDER.search(line), f"nothing to fill in a placeholder of: {line}"
        args = shlex.split(line, comments=True)
        assert args[0] == "curl", line
        method, url, headers, data, files, stream = "GET", "", {}, None, {}, False
        it = iter(args[1:])
        for arg in it:
            if arg == "-X":
                method = next(it)
            elif arg == "-H":
                name, _, value = next(it).partition(":")
                headers[name.strip()] = value.strip()
            elif arg == "-d":
                data = next(it)
                method = "POST" if method == "GET" else method
            elif arg == "-F":
                name, _, value = next(it).partition("=@")
                files[name] = (value, (self.cwd / value).read_bytes())
                method = "POST" if method == "GET" else method
            elif arg in ("-c", "-b"):
                next(it)  # the cookie jar: the client keeps the cookies
            elif arg == "-N":
                stream = True
            elif arg.startswith("-"):
                raise AssertionError(f"teach this test curl's {arg} (in: {line})")
            else:
                url = arg
        request = self.client.build_request(
            method, url, headers=headers, content=data, files=files or None
        )
        if stream:
            return await self._first_event(request)
        answer = await self.client.send(request)
        self._learn(method, url, answer)
        return Curl(method, url, answer.status_code, answer.text)

    async def _first_event(self, request: httpx.Request) -> Curl:
        """A live stream does not end: read it up to its first event."""
        answer = await self.client.send(request, stream=True)
        try:
            async with asyncio.timeout(30 * patience()):
                async for text in answer.aiter_lines():
                    if text.startswith("event:"):
                        return Curl(request.method, str(request.url), answer.status_code, text)
        finally:
            await answer.aclose()
        raise AssertionError("the event stream ended before its first event")

    def _learn(self, method: str, url: str, answer: httpx.Response) -> None:
        if method != "POST" or answer.status_code >= 300:
            return
        body = answer.json()
        if url.endswith("/api/v1/projects"):
            self.values["<project id>"] = body["id"]
        elif url.endswith("/generations"):
            self.values["<generation id>"] = body["id"]
        elif url.endswith("/auth/signup"):
            self.values["<csrf_token>"] = body["csrf_token"]
        elif url.endswith("/api/v1/tokens"):
            self.values["sst_\u2026"] = body["token"]


async def _read(stack_url: str, cwd: Path, block: list[str]) -> list[Curl]:
    async with httpx.AsyncClient(timeout=30) as client:
        reader = Reader(stack_url, cwd, client)
        return [await reader.run(line) for line in block]


def _succeeded(done: list[Curl]) -> None:
    failed = [f"{c.method} {c.url} -> {c.status}: {c.body[:300]}" for c in done if c.status >= 300]
    assert not failed, "\n".join(failed)


async def studio(*args: str, cwd: Path, gateway: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env |= {"STUDIO_URL": gateway, "XDG_CONFIG_HOME": str(cwd / "config"), "COLUMNS": "200"}
    process = await asyncio.create_subprocess_exec(
        STUDIO,
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(90 * patience()):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_readme_quick_start_runs_as_written(stack: FullStack, tmp_path: Path) -> None:
    """The `curl` lines after `make run`, then the `studio generate` one-liner, in local mode."""
    (tmp_path / "photo.jpg").write_bytes(media_samples.png())
    (block,) = [b for b in _blocks(README, "/api/v1/models") if "/generations" in " ".join(b)]
    done = await _read(stack.gateway, tmp_path, block)
    _succeeded(done)
    assert [c.method for c in done].count("POST") >= 3

    generation = done[-1]
    assert re.search(r"/api/v1/generations/[0-9a-f]{24}$", generation.url)
    async with stack.client() as api:

        async def completed() -> bool:
            record = (await api.get(generation.url)).json()
            return bool(record["status"] == "completed" and record["outputs"])

        await eventually(completed, what="the README's generation completed")

    (one_liner,) = re.findall(r"`(studio generate [^`]*)`", README.read_text())
    code, out, err = await studio(*shlex.split(one_liner)[1:], cwd=tmp_path, gateway=stack.gateway)
    assert code == 0, err
    written = [tmp_path / line for line in out.splitlines()]
    assert written and all(path.stat().st_size > 0 for path in written), out


async def test_the_readme_accounts_example_runs_as_written(
    stack: FullStack, tmp_path: Path
) -> None:
    """Sign up, make a token, use it, follow the live events: on a gateway with accounts."""
    app = create_gateway(make_settings(GatewaySettings, **{**stack.gateway_settings, **ACCOUNTS}))
    async with running(app) as gateway:
        (block,) = _blocks(README, "/auth/signup")
        done = await _read(gateway, tmp_path, block)
    _succeeded(done)
    assert [c.url.rsplit("/", 1)[-1] for c in done] == ["signup", "tokens", "projects", "events"]
    assert done[-1].body == "event: ready"


async def test_the_cli_page_example_runs_as_written(stack: FullStack, tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(media_samples.png())
    (block,) = _blocks(CLI_DOC, "studio generate")
    assets: list[dict[str, Any]] = []
    ran = 0
    for line in block:
        if any(line.startswith(skipped) for skipped in NOT_RUN):
            continue
        command, _, jq_filter = line.partition(" | jq ")
        args = shlex.split(command, comments=True)[1:]
        if args[:2] == ["assets", "download"]:
            # The page shows an id of its own; a reader uses one of theirs.
            args[2] = assets[0]["id"]
        if jq_filter:
            assert "--json" in args and re.fullmatch(r"\.\w+", jq_filter.strip()), line
        code, out, err = await studio(*args, cwd=tmp_path, gateway=stack.gateway)
        assert code == 0, f"{line}\n{err}"
        if jq_filter:
            assert json.loads(out)[jq_filter.strip()[1:]], line
        if args[:2] == ["assets", "list"]:
            listed = await studio(*args, "--json", cwd=tmp_path, gateway=stack.gateway)
            assets = json.loads(listed[1])
            assert assets, "the example lists the images it made"
        ran += 1
    assert ran == len(block) - len(NOT_RUN)
    downloaded = tmp_path / "out" / assets[0]["name"]
    assert downloaded.stat().st_size == assets[0]["size"]


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    return {
        (method.upper(), re.sub(r"\{[^}]*\}", "{}", path)): set(operation["responses"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


DOC_ROUTE = re.compile(
    r"\b((?:GET|POST|PATCH|DELETE|PUT)(?:/(?:GET|POST|PATCH|DELETE|PUT))*) `?(/api/v1/[\w\-/{}.]*[\w}])"
)
ON_EVERY_ROUTE = {"200", "401", "403", "408", "413", "415", "422", "429", "502", "504", "default"}
"""Answers the gateway documents once for every route (docs/gateway.md): sessions, CSRF,
limits, stalled and oversized bodies, validation, upstream failures."""


def _documented_routes(*pages: Path) -> dict[tuple[str, str], set[Path]]:
    found: dict[tuple[str, str], set[Path]] = {}
    for page in pages or sorted((ROOT / "docs").glob("*.md")):
        for methods, path in DOC_ROUTE.findall(page.read_text()):
            for method in methods.split("/"):
                found.setdefault((method, re.sub(r"\{[^}]*\}", "{}", path)), set()).add(page)
    return found


def _answer_fields(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """Each route's successful JSON answer's fields (a page's: its items' too)."""
    schemas = document["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return resolved(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        for options in (schema.get("anyOf", []), schema.get("allOf", [])):
            for option in options:
                if "$ref" in option:
                    return resolved(option)
        if schema.get("type") == "array":
            return resolved(schema["items"])
        return schema

    found: dict[tuple[str, str], set[str]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = (method.upper(), re.sub(r"\{[^}]*\}", "{}", path))
            for status, answer in operation["responses"].items():
                content = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or content is None:
                    continue
                schema = resolved(content["schema"])
                fields = set(schema.get("properties", {}))
                if "items" in fields:
                    fields |= set(resolved(schema["properties"]["items"]).get("properties", {}))
                found.setdefault(route, set()).update(fields)
    return found


async def test_docs_describe_every_route_and_answer_of_the_api(stack: FullStack) -> None:
    async with stack.client() as api:
        document = (await api.get("/api/v1/openapi.json")).json()
    operations = _operations(document)
    documented = _documented_routes()
    assert set(operations) - set(documented) == set(), "routes missing from docs/"
    assert set(documented) - set(operations) - {("GET", "/api/v1/openapi.json")} == set(), (
        "docs/ describe routes the API does not have"
    )
    unexplained = []
    for route, answers in operations.items():
        pages = " ".join(page.read_text() for page in documented[route])
        for answer in sorted(answers - ON_EVERY_ROUTE):
            if not re.search(rf"\b{answer}\b", pages):
                unexplained.append(f"{route}: {answer}")
    assert not unexplained, "answers no page describing the route mentions"

    unnamed = []
    for path, operations_of_path in document["paths"].items():
        for method, operation in operations_of_path.items():
            route = (method.upper(), re.sub(r"\{[^}]*\}", "{}", path))
            pages = " ".join(page.read_text() for page in documented[route])
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if parameter["in"] == "query" and not re.search(rf"`{name}`|[?&`]{name}=", pages):
                    unnamed.append(f"{route}: ?{name}")
                if parameter["in"] == "header" and name.lower() not in pages.lower():
                    unnamed.append(f"{route}: {name}")
    assert not unnamed, "parameters no page describing the route names"

    unsaid = [
        f"{route}: {name}"
        for route, fields in _answer_fields(document).items()
        for name in sorted(fields)
        if not re.search(rf"\b{name}\b", " ".join(p.read_text() for p in documented[route]))
    ]
    assert not unsaid, "answer fields no page describing the route names"

    readme = set(_documented_routes(README)) - {("GET", "/api/v1/openapi.json")}
    assert readme == set(operations), "README's route table against the API"
