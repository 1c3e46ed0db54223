"""The `studio` command, run as the installed entry point (a subprocess of `.venv/bin/studio`)
against every service on the real servers, through a gateway in accounts mode with an API
token, as a script would use it."""

import asyncio
import json
import os
import re
import stat
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, new_email, sign_up
from tests.support.apps import make_settings, running
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.servers import drop_mongo_database, remove_nats_streams
from tests.support.waiting import eventually, patience

STUDIO = Path(sys.executable).parent / "studio"
PASSWORD = "correct horse battery"
ID = re.compile(r"^[0-9a-f]{24}$")


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Account:
    email: str
    token: str
    api: httpx.AsyncClient
    """The same user through the API, to set up and check what the CLI did."""


@pytest.fixture(scope="module")
async def stack(
    mongo_url: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FullStack]:
    # One stack for the module: each test works in its own projects (or its own account).
    servers = Servers(
        mongo_url, f"t_{uuid.uuid4().hex[:16]}", nats_url, f"t{uuid.uuid4().hex[:12]}"
    )
    try:
        async with full_stack(
            servers,
            storage_url=tmp_path_factory.mktemp("cli-storage").as_uri(),
            worker={"local_latency_s": 2.0, "local_progress_steps": 2},
            gateway={**ACCOUNTS, "signups_per_minute_per_ip": 100},
        ) as running_stack:
            yield running_stack
    finally:
        for suffix in ("_p", "_a", "_g", "_gw"):
            drop_mongo_database(mongo_url, servers.mongo_db_name + suffix)
        await remove_nats_streams(nats_url, servers.nats_prefix)


@pytest.fixture(scope="module")
async def account(stack: FullStack) -> AsyncIterator[Account]:
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as browser:
        email = new_email("cli")
        await sign_up(browser, email, PASSWORD)
        created = await browser.post("/api/v1/tokens", json={"name": "cli tests"})
        assert created.status_code == 201, created.text
        token = created.json()["token"]
    async with httpx.AsyncClient(
        base_url=stack.gateway, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        yield Account(email, token, api)


@pytest.fixture
def env(stack: FullStack, account: Account, tmp_path: Path) -> dict[str, str]:
    """A script's environment: the gateway, the token, and a config directory of its own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    return {
        **clean,
        "STUDIO_URL": stack.gateway,
        "STUDIO_TOKEN": account.token,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "COLUMNS": "200",
    }


async def studio(
    *args: str, env: dict[str, str], cwd: Path | None = None, stdin: bytes | None = None
) -> Ran:
    process = await asyncio.create_subprocess_exec(
        STUDIO,
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return await _finished(process, stdin)


async def _finished(process: asyncio.subprocess.Process, stdin: bytes | None = None) -> Ran:
    try:
        async with asyncio.timeout(60 * patience()):
            out, err = await process.communicate(stdin)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(f"studio did not finish:\n{out.decode()}\n{err.decode()}") from None
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def _stderr_line(process: asyncio.subprocess.Process, wanted: Callable[[str], bool]) -> str:
    """Read the process's stderr up to the first line `wanted` accepts."""
    assert process.stderr is not None
    async with asyncio.timeout(30 * patience()):
        while line := (await process.stderr.readline()).decode():
            if wanted(line):
                return line
    raise AssertionError("stderr ended without the expected line")


async def _project(account: Account, name: str) -> str:
    response = await account.api.post("/api/v1/projects", json={"name": name})
    assert response.status_code == 201, response.text
    project_id: str = response.json()["id"]
    return project_id


async def _read(path: Path) -> bytes:
    return await asyncio.to_thread(path.read_bytes)


async def _content(account: Account, asset_id: str) -> bytes:
    response = await account.api.get(f"/api/v1/assets/{asset_id}/content")
    assert response.status_code == 200
    return response.content


async def test_models_are_filtered_by_type(env: dict[str, str]) -> None:
    ran = await studio("models", "--type", "text-to-audio", "--json", env=env)
    assert ran.code == 0, ran.stderr
    models = ran.json()
    assert models
    assert all("text-to-audio" in m["types"] for m in models)


async def test_models_are_searched_and_filtered_by_provider_and_availability(
    env: dict[str, str],
) -> None:
    searched = await studio("models", "--search", "flux", "--json", env=env)
    assert searched.code == 0, searched.stderr
    assert searched.json()
    assert all("flux" in (m["id"] + m["name"] + m["description"]).lower() for m in searched.json())
    local = await studio("models", "--provider", "local", "--available", "--json", env=env)
    assert {m["id"] for m in local.json()} >= {"local/image", "local/image-edit", "local/audio"}
    assert all(m["id"].startswith("local/") and m["available"] for m in local.json())


async def test_models_are_shown_as_a_table_for_people(env: dict[str, str]) -> None:
    ran = await studio("models", "--provider", "local", env=env)
    assert ran.code == 0, ran.stderr
    assert "local/image-edit" in ran.stdout


async def test_a_model_shows_the_parameters_generate_takes(env: dict[str, str]) -> None:
    ran = await studio("model", "local/image", env=env)
    assert ran.code == 0, ran.stderr
    assert "num_images" in ran.stdout
    assert "1..4" in ran.stdout


async def test_a_created_project_is_listed(env: dict[str, str]) -> None:
    name = f"Moodboard {uuid.uuid4().hex[:6]}"
    created = await studio("projects", "create", name, env=env)
    assert created.code == 0, created.stderr
    project_id = created.stdout.strip()
    assert ID.match(project_id)
    listed = await studio("projects", "list", "--json", env=env)
    assert {"id": project_id, "name": name}.items() <= next(
        p for p in listed.json() if p["id"] == project_id
    ).items()


async def test_generate_with_a_param_and_a_reference_downloads_the_completed_outputs(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Edits")
    reference = tmp_path / "fox.png"
    await asyncio.to_thread(reference.write_bytes, media_samples.png(96, 64))
    out = tmp_path / "out"
    ran = await studio(
        "generate",
        "a teal fox",
        "--project", project,
        "--model", "local/image-edit",
        "--param", "strength=0.5",
        "--param", "seed=7",
        "--ref", str(reference),
        "--out", str(out),
        "--json",
        env=env,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    result = ran.json()
    generation = result["generation"]
    assert generation["status"] == "completed"
    assert generation["type"] == "image-to-image"  # the model's only type
    assert generation["params"]["strength"] == 0.5
    assert generation["params"]["seed"] == 7
    [uploaded] = generation["input_asset_ids"]
    assert await _content(account, uploaded) == await _read(reference)
    [file] = result["files"]
    assert file["asset_id"] == generation["outputs"][0]["asset_id"]
    assert Path(file["path"]).parent == out
    assert await _read(Path(file["path"])) == await _content(account, file["asset_id"])


async def test_generate_gives_a_file_to_the_input_it_names_and_refuses_one_it_lacks(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Named inputs")
    reference = tmp_path / "fox.png"
    await asyncio.to_thread(reference.write_bytes, media_samples.png(96, 64))
    ran = await studio(
        "generate", "in teal", "-p", project, "-m", "local/image-edit",
        "--input", f"image_url={reference}", "--out", str(tmp_path / "out"), "--json",
        env=env,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    generation = ran.json()["generation"]
    assert generation["status"] == "completed"
    [uploaded] = generation["input_asset_ids"]
    assert generation["inputs"] == [{"asset_id": uploaded, "param": "image_url"}]

    lacking = await studio(
        "generate", "in teal", "-p", project, "-m", "local/image-edit",
        "--input", f"mask_url={reference}", env=env,
    )  # fmt: skip
    assert lacking.code == 2
    assert "this model has no file input 'mask_url'; it takes image_url" in lacking.stderr
    # The file uploaded for the refused request is deleted again: only the first one is kept.
    assets = await account.api.get("/api/v1/assets", params={"project_id": project})
    kept = {asset["id"] for asset in assets.json()["items"] if asset["kind"] == "upload"}
    assert kept == {uploaded}

    malformed = await studio(
        "generate", "x", "-p", project, "-m", "local/image-edit", "--input", str(reference),
        env=env,
    )  # fmt: skip
    assert malformed.code == 2
    assert "expected PARAM=FILE or PARAM=ASSET_ID" in malformed.stderr


async def test_templates_are_saved_listed_used_by_generate_and_deleted(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "From templates")
    name = f"Moss {uuid.uuid4().hex[:6]}"
    made = await studio(
        "templates", "create", name, "-t", "text-to-image", "-m", "local/image",
        "--prompt", "moss on a stone", "-P", "seed=7", "-P", "image_size=96x64", env=env,
    )  # fmt: skip
    assert made.code == 0, made.stderr
    template_id = made.stdout.strip()
    assert ID.match(template_id)
    listed = await studio("templates", "list", "--search", name, "--json", env=env)
    assert [t["id"] for t in listed.json()] == [template_id]

    # Its type, model, prompt and params; a --param given here wins over the template's.
    ran = await studio(
        "generate", "-p", project, "--template", name, "-P", "seed=8",
        "--out", str(tmp_path / "out"), "--json", env=env,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    generation = ran.json()["generation"]
    assert (generation["type"], generation["model_id"]) == ("text-to-image", "local/image")
    assert generation["prompt"] == "moss on a stone"
    assert generation["params"]["seed"] == 8
    assert generation["params"]["image_size"] == {"width": 96, "height": 64}

    starters = await studio(
        "templates", "list", "--starters", "-t", "image-to-3d", "--json", env=env
    )
    assert starters.code == 0, starters.stderr
    assert starters.json() and all(t["type"] == "image-to-3d" for t in starters.json())
    # A starter is not yours to delete.
    refused = await studio("templates", "delete", starters.json()[0]["id"], env=env)
    assert refused.code == 4, refused.stderr
    assert "no template with the id or name" in refused.stderr

    deleted = await studio("templates", "delete", name, env=env)
    assert deleted.code == 0, deleted.stderr
    assert deleted.stdout == f"deleted template {template_id} ({name})\n"
    after = await studio("templates", "list", "--search", name, env=env)
    assert f"No template matches {name!r}." in after.stderr


async def test_generate_for_people_shows_the_status_and_prints_the_files(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    name = f"Landscapes {uuid.uuid4().hex[:6]}"
    await _project(account, name)
    ran = await studio(
        "generate", "a lighthouse at dusk", "-p", name, "-t", "text-to-image",
        "-P", "image_size=96x64", "-P", "num_images=2",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    statuses = re.findall(r"generation [0-9a-f]{24}: (\w+)", ran.stderr)
    assert statuses[-1] == "completed"
    assert statuses[0] in ("pending", "processing")
    files = [Path(line) for line in ran.stdout.splitlines()]
    assert len(files) == 2
    for file in files:
        assert (await _read(tmp_path / file)).startswith(b"\x89PNG")


async def test_generate_no_wait_returns_the_generation_id_at_once(
    env: dict[str, str], account: Account
) -> None:
    project = await _project(account, "Later")
    ran = await studio("generate", "rain", "-p", project, "-m", "local/audio", "--no-wait", env=env)
    assert ran.code == 0, ran.stderr
    generation_id = ran.stdout.strip()
    assert ID.match(generation_id)

    async def completed() -> bool:
        record = await account.api.get(f"/api/v1/generations/{generation_id}")
        return bool(record.json()["status"] == "completed")

    await eventually(completed, what="the generation left behind completes")


async def test_an_invalid_request_prints_each_bad_field_once_and_exits_2(
    env: dict[str, str], account: Account
) -> None:
    project = await _project(account, "Invalid")
    body = {"type": "text-to-image", "model_id": "local/image", "params": {"num_images": 9}}
    problem = (await account.api.post(f"/api/v1/projects/{project}/generations", json=body)).json()
    ran = await studio(
        "generate", "", "-p", project, "-m", "local/image", "-P", "num_images=9", env=env
    )
    assert ran.code == 2
    # The detail names the prompt `params.prompt`, its field error `body.prompt`: one line each.
    assert problem["detail"] == "params.num_images: At most 4; params.prompt: Required."
    assert ran.stderr == (
        f"Error: {problem['title']}\n  params.num_images: At most 4.\n  prompt: Required.\n"
    )
    assert ran.stdout == ""


async def test_a_param_that_is_not_of_its_type_is_a_usage_error(env: dict[str, str]) -> None:
    ran = await studio(
        "generate", "x", "-p", "0" * 24, "-m", "local/image", "-P", "seed=soon", env=env
    )
    assert ran.code == 2
    assert "--param seed: 'soon' is not a whole number" in ran.stderr
    size = await studio(
        "generate", "x", "-p", "0" * 24, "-m", "local/image", "-P", "image_size=12x", env=env
    )
    assert size.code == 2
    assert "--param image_size: '12x' is not a size: give WIDTHxHEIGHT" in size.stderr


async def test_a_cancelled_generation_exits_1(env: dict[str, str], account: Account) -> None:
    project = await _project(account, "Cancelled")
    process = await asyncio.create_subprocess_exec(
        STUDIO, "generate", "slow", "-p", project, "-m", "local/image", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    line = await _stderr_line(process, lambda text: text.startswith("generation "))
    generation_id = line.split()[1].rstrip(":")
    cancel = await account.api.post(f"/api/v1/generations/{generation_id}/cancel")
    assert cancel.status_code == 202, cancel.text
    ran = await _finished(process)
    assert ran.code == 1
    assert f"generation {generation_id} cancelled" in ran.stderr


async def test_a_bad_token_exits_with_the_auth_code(env: dict[str, str]) -> None:
    ran = await studio("projects", "list", env={**env, "STUDIO_TOKEN": "sst_nope.nope"})
    assert ran.code == 3
    assert ran.stderr.startswith("Error: ")
    assert "studio login" in ran.stderr


async def test_local_mode_against_a_gateway_with_accounts_exits_with_the_auth_code(
    env: dict[str, str], stack: FullStack
) -> None:
    ran = await studio("--local", "--url", stack.gateway, "whoami", env=env)
    assert ran.code == 3


async def test_local_mode_needs_no_token_against_a_local_mode_gateway(
    stack: FullStack, tmp_path: Path
) -> None:
    settings = make_settings(GatewaySettings, **{**stack.gateway_settings, "auth_mode": "local"})
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env = {**clean, "XDG_CONFIG_HOME": str(tmp_path)}
    async with running(create_gateway(settings)) as local_gateway:
        me = await studio("--local", "--url", local_gateway, "whoami", "--json", env=env)
        assert me.code == 0, me.stderr
        assert me.json()["authenticated_by"] == "local"
        login = await studio("--url", local_gateway, "login", env=env)  # asks nothing
        assert login.code == 0, login.stderr
        assert "local mode" in login.stderr
    assert not (tmp_path / "studio").exists()  # nothing to store


async def test_an_unknown_asset_exits_with_the_not_found_code(env: dict[str, str]) -> None:
    ran = await studio("assets", "download", "0" * 24, env=env)
    assert ran.code == 4
    assert "Not Found" in ran.stderr or "not found" in ran.stderr.lower()


async def test_a_url_that_is_not_http_is_a_usage_error(env: dict[str, str]) -> None:
    ran = await studio("--url", "notaurl", "projects", "list", env=env)
    assert ran.code == 2
    assert "'notaurl' is not a studio URL" in ran.stderr


class _WebPage(BaseHTTPRequestHandler):
    """Not the studio: a web server answering every path with a page."""

    body = b"<!doctype html><title>Router admin</title>"
    content_type = "text/html"

    def do_GET(self) -> None:
        body = self.body
        self.send_response(200)
        self.send_header("content-type", self.content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


class _OtherJson(_WebPage):
    """Not the studio either: another program's API, answering JSON that is not an object."""

    body = b"[]"
    content_type = "application/json"


@pytest.mark.parametrize("answers", [_WebPage, _OtherJson], ids=["a web page", "a JSON list"])
async def test_a_url_where_something_else_answers_is_a_clear_error(
    env: dict[str, str], answers: type[_WebPage]
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        ran = await studio("--url", url, "models", env=env)
    finally:
        server.shutdown()
        thread.join()
    assert ran.code == 5
    assert "Traceback" not in ran.stderr
    assert f"{url} answered /api/v1/models with something other than the studio's JSON" in (
        ran.stderr
    )
    assert "is it the studio's address?" in ran.stderr


async def test_an_unreachable_studio_exits_with_the_unavailable_code(env: dict[str, str]) -> None:
    ran = await studio("models", env={**env, "STUDIO_URL": "http://127.0.0.1:9"})
    assert ran.code == 5
    assert "cannot reach the studio at http://127.0.0.1:9" in ran.stderr


async def test_assets_are_listed_with_filters_and_downloaded(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Uploads")
    content = media_samples.png(40, 30)
    upload = await account.api.post(
        f"/api/v1/projects/{project}/assets", files={"file": ("tiny.png", content)}
    )
    assert upload.status_code == 201, upload.text
    asset_id = upload.json()["id"]
    listed = await studio(
        "assets", "list", "-p", project, "--media-type", "image", "--json", env=env
    )
    assert listed.code == 0, listed.stderr
    assert [a["id"] for a in listed.json()] == [asset_id]
    videos = await studio(
        "assets", "list", "-p", project, "--media-type", "video", "--json", env=env
    )
    assert videos.json() == []
    # A table in a pipe at 80 columns: the row stays one line, its ids whole.
    table = await studio("assets", "list", "-p", project, env={**env, "COLUMNS": "80"})
    assert table.code == 0, table.stderr
    [row] = [line for line in table.stdout.splitlines() if asset_id in line]
    assert project in row
    downloaded = await studio("assets", "download", asset_id, "--out", str(tmp_path), env=env)
    assert downloaded.code == 0, downloaded.stderr
    assert await _read(Path(downloaded.stdout.strip())) == content
    # A directory named with a trailing slash is made if missing, as `generate -o out/` does.
    fresh = tmp_path / "fresh"
    into = await studio("assets", "download", asset_id, "-o", f"{fresh}/", env=env)
    assert into.code == 0, into.stderr
    assert fresh.is_dir()
    assert Path(into.stdout.strip()).parent == fresh
    assert await _read(Path(into.stdout.strip())) == content


async def test_events_prints_an_event_as_json(env: dict[str, str], account: Account) -> None:
    process = await asyncio.create_subprocess_exec(
        STUDIO, "events", "--type", "project.created", "--count", "1", "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await _stderr_line(process, lambda text: text.startswith("listening"))
    project = await _project(account, "Watched")
    ran = await _finished(process)
    assert ran.code == 0, ran.stderr
    [line] = ran.stdout.splitlines()
    event = json.loads(line)
    assert event["event"] == "project.created"
    assert event["data"]["project_id"] == project


async def test_login_stores_a_private_token_that_later_commands_use_and_logout_revokes(
    stack: FullStack, tmp_path: Path
) -> None:
    email = new_email("login")
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as browser:
        await sign_up(browser, email, PASSWORD)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env = {**clean, "XDG_CONFIG_HOME": str(tmp_path)}
    wrong = await studio(
        "--url", stack.gateway, "login", "--email", email, "--password-stdin",
        env=env, stdin=b"not the password\n",
    )  # fmt: skip
    assert wrong.code == 3
    assert "Check the e-mail address and password." in wrong.stderr
    assert "studio login" not in wrong.stderr  # the command running already
    login = await studio(
        "--url", stack.gateway, "login", "--email", email, "--password-stdin",
        env=env, stdin=f"{PASSWORD}\n".encode(),
    )  # fmt: skip
    assert login.code == 0, login.stderr
    config = tmp_path / "studio" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    # No --url, no token: both come from the config file.
    me = await studio("whoami", "--json", env=env)
    assert me.code == 0, me.stderr
    assert me.json()["user"]["email"] == email
    assert me.json()["authenticated_by"] == "token"
    token = json.loads(config.read_text())["credentials"][stack.gateway]["token"]
    assert (await studio("logout", env=env)).code == 0
    revoked = await studio(
        "whoami", env={**env, "STUDIO_URL": stack.gateway, "STUDIO_TOKEN": token}
    )
    assert revoked.code == 3
