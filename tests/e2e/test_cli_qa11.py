"""The `studio` command against the QA pass 11 findings: what answers at --url when it is not
the studio (a redirect, an empty body, a plain 404), a studio lost while a generation is
followed, checks made before anything is requested, tokens, login and logout, project names,
pipes and Ctrl-C. Run as the installed entry point against a full stack, as in test_cli.py."""

import asyncio
import json
import os
import signal
import stat
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx
from pymongo import AsyncMongoClient

from tests.e2e.test_cli import (
    PASSWORD,
    STUDIO,
    Account,
    Ran,
    _finished,
    _project,
    _read,
    _stderr_line,
    account,
    env,
    stack,
    studio,
)
from tests.support import media_samples
from tests.support.accounts import new_email, sign_up
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually, patience

__all__ = ["account", "env", "stack"]  # fixtures of test_cli.py, used here too

ASSET = "6751c0ffee0123456789abcd"


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A server that is not the studio, in a thread; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


class _ToHttps(_Quiet):
    """What a server that only takes HTTPS answers on plain HTTP."""

    def do_GET(self) -> None:
        self.send_response(301)
        self.send_header("location", f"https://{self.headers['host']}{self.path}")
        self.send_header("content-length", "0")
        self.end_headers()


class _Empty(_Quiet):
    """200 and nothing."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()


async def test_a_redirect_is_an_error_naming_where_it_points(
    env: dict[str, str], tmp_path: Path
) -> None:
    with _serving(_ToHttps) as url:
        whoami = await studio("--url", url, "whoami", env=env)
        download = await studio(
            "--url", url, "assets", "download", ASSET, "-o", str(tmp_path / "a.png"), env=env
        )
    https = url.replace("http://", "https://")
    assert whoami.code == 5
    assert whoami.stderr == (
        f"Error: {url} answered /api/v1/me with a redirect to {https}/api/v1/me: if the studio "
        f"is there, use --url {https}\n"
    )
    assert download.code == 5
    assert "redirect" in download.stderr
    assert not (tmp_path / "a.png").exists()


async def test_an_empty_answer_is_not_taken_for_the_studios(
    env: dict[str, str], tmp_path: Path
) -> None:
    with _serving(_Empty) as url:
        models = await studio("--url", url, "models", env=env)
        download = await studio(
            "--url", url, "assets", "download", ASSET, "-o", str(tmp_path / "a.png"), env=env
        )
    assert models.code == 5
    assert "Traceback" not in models.stderr
    assert "(an empty answer); is it the studio's address?" in models.stderr
    assert download.code == 5
    assert not (tmp_path / "a.png").exists()


async def test_a_plain_404_means_something_else_answers(
    env: dict[str, str], tmp_path: Path
) -> None:
    class Files(SimpleHTTPRequestHandler):  # `python -m http.server` in an empty directory
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *_: Any) -> None:
            pass

    with _serving(Files) as url:
        ran = await studio("--url", url, "models", env=env)
    assert ran.code == 5
    assert ran.stderr.startswith(f"Error: {url}/api/v1/models answered 404 without the problem")
    assert "is it the studio's address?" in ran.stderr


async def test_a_url_ending_in_the_api_path_names_the_studio(
    env: dict[str, str], stack: FullStack
) -> None:
    ran = await studio("--url", f"{stack.gateway}/api/v1/", "models", "--json", env=env)
    assert ran.code == 0, ran.stderr
    assert ran.json()


class _Relay:
    """A TCP relay to the gateway that can lose it, as a restart does: `cut()` drops every
    connection and closes new ones at once (counted in `refused`) until `restore()`."""

    def __init__(self, target: str) -> None:
        self._port = httpx.URL(target).port
        self._transports: set[asyncio.WriteTransport] = set()
        self._server: asyncio.Server | None = None
        self.down = False
        self.refused = 0
        self.url = ""
        self.answered = bytearray()
        """Every byte relayed back to the client, in order (status lines included)."""
        self.lose_answer: bytes | None = None
        """An answer holding these bytes is not relayed: its connection is dropped instead,
        once, as if the studio restarted just after answering."""

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        self.cut()
        await self._server.wait_closed()

    def cut(self) -> None:
        self.down = True
        for transport in list(self._transports):
            transport.abort()

    def restore(self) -> None:
        self.down = False

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.refused += 1
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._port)
        sides = [writer.transport, up_writer.transport]
        self._transports.update(sides)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer),
                self._pump(up_reader, writer, answers=sides),
                return_exceptions=True,
            )
        finally:
            for side in sides:
                self._transports.discard(side)
                side.abort()

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        *,
        answers: list[asyncio.WriteTransport] | None = None,
    ) -> None:
        """Relay `source` to `sink`; `answers`: this is the way back, on these connections."""
        while data := await source.read(65536):
            if answers and self.lose_answer and self.lose_answer in data:
                self.lose_answer = None
                for side in answers:  # dropped on both sides at once, the answer unsent
                    side.abort()
                return
            if answers:
                self.answered.extend(data)
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()


async def _spawn(*args: str, env: dict[str, str], cwd: Path | None = None) -> Any:
    return await asyncio.create_subprocess_exec(
        STUDIO, *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_generate_follows_the_generation_through_a_short_outage(
    env: dict[str, str], stack: FullStack, account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Outage")
    async with _Relay(stack.gateway) as relay:
        process = await _spawn(
            "generate", "fog", "-p", project, "-m", "local/image", "-o", str(tmp_path),
            env={**env, "STUDIO_URL": relay.url},
        )  # fmt: skip
        await _stderr_line(process, lambda text: text.startswith("generation "))
        relay.cut()
        await eventually(
            lambda: relay.refused >= 2 or process.returncode is not None,
            what="the CLI asked again, unanswered (or gave up)",
        )
        relay.restore()
        ran = await _finished(process)
    assert ran.code == 0, ran.stderr
    [path] = ran.stdout.splitlines()
    assert (await _read(Path(path))).startswith(b"\x89PNG")


async def _generation_of(account: Account, project: str) -> str:
    found: list[str] = []

    async def requested() -> bool:
        page = await account.api.get(f"/api/v1/projects/{project}/generations")
        found.extend(item["id"] for item in page.json()["items"])
        return bool(found)

    await eventually(requested, what="the generation was requested")
    return found[0]


async def test_a_studio_lost_for_good_while_following_leaves_the_generation_id(
    env: dict[str, str], stack: FullStack, account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Lost")
    async with _Relay(stack.gateway) as relay:
        process = await _spawn(
            "generate", "fog", "-p", project, "-m", "local/image", "-o", str(tmp_path), "--json",
            env={**env, "STUDIO_URL": relay.url},
        )  # fmt: skip
        generation_id = await _generation_of(account, project)
        # Cut once the CLI has the 202 (with it, the generation's id), not before.
        await eventually(lambda: b"HTTP/1.1 202" in relay.answered, what="the 202 reached the CLI")
        relay.cut()
        ran = await _finished(process)
    assert ran.code == 5
    assert f"generation {generation_id} goes on in the studio" in ran.stderr
    assert ran.json()["generation"]["id"] == generation_id


async def test_a_lost_answer_to_generate_is_asked_again_and_makes_one_generation(
    env: dict[str, str], stack: FullStack, account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Lost answer")
    async with _Relay(stack.gateway) as relay:
        relay.lose_answer = b"HTTP/1.1 202"
        process = await _spawn(
            "generate", "fog", "-p", project, "-m", "local/image", "-o", str(tmp_path), "--json",
            env={**env, "STUDIO_URL": relay.url},
        )  # fmt: skip
        ran = await _finished(process)
        assert relay.lose_answer is None  # the first answer was lost
    assert ran.code == 0, ran.stderr
    listed = (await account.api.get(f"/api/v1/projects/{project}/generations")).json()
    assert [item["id"] for item in listed["items"]] == [ran.json()["generation"]["id"]]
    assert ran.json()["generation"]["status"] == "completed"


async def test_ctrl_c_while_following_with_json_says_which_generation_goes_on(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Interrupted")
    process = await _spawn(
        "generate", "fog", "-p", project, "-m", "local/image", "--json", env=env, cwd=tmp_path
    )
    generation_id = await _generation_of(account, project)
    process.send_signal(signal.SIGINT)
    ran = await _finished(process)
    assert ran.code == 130
    assert f"generation {generation_id} goes on in the studio" in ran.stderr


async def test_ctrl_c_while_the_command_is_still_loading_exits_quietly(
    env: dict[str, str],
) -> None:
    # Python reports each import as it ends: Typer's is one of the first of the command's.
    process = await _spawn("events", env={**env, "PYTHONPROFILEIMPORTTIME": "1"})
    await _stderr_line(process, lambda line: line.rsplit("|", 1)[-1].strip() == "typer._click")
    process.send_signal(signal.SIGINT)
    ran = await _finished(process)
    assert ran.code == 130
    assert "Traceback" not in ran.stderr


async def test_an_out_directory_that_cannot_be_made_fails_before_anything_is_requested(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Nowhere")
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    ran = await studio(
        "generate", "x", "-p", project, "-m", "local/image", "-o", str(afile / "out"), env=env
    )
    assert ran.code == 2
    assert ran.stderr.startswith(f"Error: cannot create {afile / 'out'}: ")
    generations = await account.api.get(f"/api/v1/projects/{project}/generations")
    assert generations.json()["items"] == []


async def _uploaded(account: Account, project: str, name: str = "tiny.png") -> str:
    upload = await account.api.post(
        f"/api/v1/projects/{project}/assets", files={"file": (name, media_samples.png(8, 8))}
    )
    assert upload.status_code == 201, upload.text
    asset_id: str = upload.json()["id"]
    return asset_id


async def test_an_asset_download_into_a_directory_that_cannot_be_made_is_a_usage_error(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    asset_id = await _uploaded(account, await _project(account, "Downloads"))
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    ran = await studio("assets", "download", asset_id, "-o", f"{afile}/", env=env)
    assert ran.code == 2
    assert ran.stderr.startswith(f"Error: cannot create {afile}")
    assert "Traceback" not in ran.stderr


async def test_a_token_pasted_with_its_line_ending_works(env: dict[str, str]) -> None:
    ran = await studio("whoami", env={**env, "STUDIO_TOKEN": f" {env['STUDIO_TOKEN']}\r"})
    assert ran.code == 0, ran.stderr


async def test_a_token_a_header_cannot_carry_is_a_usage_error_that_never_prints_it(
    env: dict[str, str],
) -> None:
    token = env["STUDIO_TOKEN"]
    for bad in (f"{token[:12]} {token[12:]}", f"{token}é"):
        ran = await studio("whoami", env={**env, "STUDIO_TOKEN": bad})
        assert ran.code == 2
        assert ran.stderr.startswith("Error: the API token from --token / STUDIO_TOKEN holds")
        assert token[12:] not in ran.stderr
        assert "Traceback" not in ran.stderr


def _signed_out_env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    return {**clean, "XDG_CONFIG_HOME": str(tmp_path)}


async def _login(stack: FullStack, email: str, env: dict[str, str], *args: str) -> Ran:
    return await studio(
        "--url", stack.gateway, "login", "--email", email, "--password-stdin", *args,
        env=env, stdin=f"{PASSWORD}\n".encode(),
    )  # fmt: skip


def _stored_token(tmp_path: Path, stack: FullStack) -> str:
    config = json.loads((tmp_path / "studio" / "config.json").read_text())
    token: str = config["credentials"][stack.gateway]["token"]
    return token


async def test_a_second_login_revokes_the_token_it_replaces(
    stack: FullStack, tmp_path: Path
) -> None:
    email = new_email("relogin")
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as browser:
        await sign_up(browser, email, PASSWORD)
    env = _signed_out_env(tmp_path)
    assert (await _login(stack, email, env)).code == 0
    first = _stored_token(tmp_path, stack)
    again = await _login(stack, email, env)
    assert again.code == 0, again.stderr
    assert _stored_token(tmp_path, stack) != first
    replaced = await studio("--url", stack.gateway, "--token", first, "whoami", env=env)
    assert replaced.code == 3
    assert (await studio("--url", stack.gateway, "whoami", env=env)).code == 0


async def test_a_login_refused_after_sign_in_signs_its_session_out(
    stack: FullStack, tmp_path: Path, mongo_url: str
) -> None:
    email = new_email("badname")
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as browser:
        user_id = (await sign_up(browser, email, PASSWORD))["user"]["id"]
    ran = await _login(stack, email, _signed_out_env(tmp_path), "--token-name", "")
    assert ran.code == 2
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        sessions = client[stack.gateway_settings["mongo_db"]]["sessions"]
        left = await sessions.count_documents(
            {"user_id": user_id, "user_agent": {"$regex": "^studio-cli/"}}
        )
    finally:
        await client.close()
    assert left == 0


async def test_logout_of_a_token_revoked_elsewhere_says_it_was_only_forgotten(
    stack: FullStack, tmp_path: Path
) -> None:
    email = new_email("revoked")
    env = _signed_out_env(tmp_path)
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as browser:
        await sign_up(browser, email, PASSWORD)
        assert (await _login(stack, email, env)).code == 0
        config = json.loads((tmp_path / "studio" / "config.json").read_text())
        token_id = config["credentials"][stack.gateway]["token_id"]
        revoked = await browser.delete(f"/api/v1/tokens/{token_id}")
        assert revoked.status_code == 204, revoked.text
    ran = await studio("--url", stack.gateway, "logout", env=env)
    assert ran.code == 0, ran.stderr
    assert "had expired or been revoked already; forgot it here" in ran.stderr
    assert "signed out" not in ran.stderr
    assert json.loads((tmp_path / "studio" / "config.json").read_text())["credentials"] == {}


async def test_the_config_directory_is_made_private_when_it_exists(
    stack: FullStack, tmp_path: Path
) -> None:
    email = new_email("private")
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as browser:
        await sign_up(browser, email, PASSWORD)
    (tmp_path / "studio").mkdir(mode=0o755)
    assert (await _login(stack, email, _signed_out_env(tmp_path))).code == 0
    assert stat.S_IMODE((tmp_path / "studio").stat().st_mode) == 0o700


async def _listed(env: dict[str, str], project: str) -> list[str]:
    ran = await studio("assets", "list", "-p", project, "--json", env=env)
    assert ran.code == 0, ran.stderr
    return [asset["id"] for asset in ran.json()]


async def test_a_project_name_matches_but_for_case_and_unicode_form(
    env: dict[str, str], account: Account
) -> None:
    suffix = uuid.uuid4().hex[:6]
    street = await _uploaded(account, await _project(account, f"Straße {suffix}"))
    cafe = await _uploaded(account, await _project(account, f"Café {suffix}"))
    assert await _listed(env, f"STRASSE {suffix}") == [street]
    assert await _listed(env, unicodedata.normalize("NFD", f"CAFÉ {suffix}")) == [cafe]


async def test_a_name_that_looks_like_an_id_is_found_by_name(
    env: dict[str, str], account: Account
) -> None:
    name = uuid.uuid4().hex[:24]
    asset_id = await _uploaded(account, await _project(account, name))
    assert await _listed(env, name) == [asset_id]


async def test_a_directory_given_as_ref_is_named_as_one(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Refs")
    ran = await studio("generate", "x", "-p", project, "-m", "local/image-edit", "--ref",
                       str(tmp_path), env=env)  # fmt: skip
    assert ran.code == 2
    assert ran.stderr == f"Error: --ref {tmp_path}: a directory, not a file\n"


async def test_a_refused_upload_names_its_ref(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Refs")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture\n" * 10)
    ran = await studio(
        "generate", "x", "-p", project, "-m", "local/image-edit", "--ref", str(notes), env=env
    )
    assert ran.code == 2
    assert ran.stderr.startswith(f"Error: --ref {notes}: ")


async def test_references_uploaded_for_a_refused_generation_are_deleted(
    env: dict[str, str], account: Account, tmp_path: Path
) -> None:
    project = await _project(account, "Refused")
    reference = tmp_path / "fox.png"
    reference.write_bytes(media_samples.png(32, 32))
    ran = await studio(
        "generate", "x", "-p", project, "-m", "local/image-edit", "--ref", str(reference),
        "-P", "strength=7", env=env,
    )  # fmt: skip
    assert ran.code == 2
    assert "strength" in ran.stderr
    assets = await account.api.get("/api/v1/assets", params={"project_id": project})
    assert assets.json()["items"] == []


async def test_a_model_shows_whole_number_bounds_exactly_and_its_description_unwrapped(
    env: dict[str, str], account: Account
) -> None:
    model = (await account.api.get("/api/v1/models/local/image")).json()
    assert len(model["description"]) > 80
    ran = await studio("model", "local/image", env={**env, "COLUMNS": "80"})
    assert ran.code == 0, ran.stderr
    assert "0..4294967295" in ran.stdout
    assert model["description"] in ran.stdout.splitlines()


async def test_a_project_search_without_a_match_says_so(env: dict[str, str]) -> None:
    ran = await studio("projects", "list", "--search", f"zz{uuid.uuid4().hex}", env=env)
    assert ran.code == 0, ran.stderr
    assert ran.stderr.startswith("No project matches ")


async def test_a_reader_that_stops_reading_ends_events_quietly(
    env: dict[str, str], account: Account
) -> None:
    read, write = os.pipe()
    process = await asyncio.create_subprocess_exec(
        STUDIO, "events", "--type", "project.created", "--json", env=env,
        stdout=write, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    os.close(write)
    await _stderr_line(process, lambda text: text.startswith("listening"))
    await _project(account, "Piped")
    assert (await asyncio.to_thread(os.read, read, 65536)).endswith(b"\n")
    os.close(read)  # as `head -1` does, with its line
    await _project(account, "Piped again")  # an event nobody reads any more
    assert process.stderr is not None
    async with asyncio.timeout(60 * patience()):
        rest = await process.stderr.read()
        code = await process.wait()
    assert code == 141
    assert rest == b""  # nothing said past the "listening" line
