"""The `studio` command's pieces in-process, against `httpx.MockTransport`: `--param` values
typed by the model's schema, a problem body turned into the message, field lines and exit code,
a generation followed by polling when its event stream breaks, and whole commands run through
the entry point (`main.run`) as a shell would, their requests answered by a handler: among them
a config file of another shape, and the help of every command. No sockets, no servers."""

import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from studio_catalog.catalog import Catalog
from studio_catalog.datafile import load_models
from studio_cli import config, main, output, session
from studio_cli.client import StudioClient
from studio_cli.commands import auth
from studio_cli.config import Target
from studio_cli.errors import CliError, ExitCode
from studio_cli.follow import follow_generation
from studio_cli.output import print_table
from studio_cli.params import parse_params
from studio_cli.progress import status_display
from studio_contracts.enums import GenerationType
from studio_contracts.params import ParamsInvalid, validate_params

Handler = Callable[[httpx.Request], httpx.Response]
PROJECT = "6751c0ffee0123456789abcd"
ASSET = "6751c0ffee0123456789abce"


def _offline_client(handler: Handler) -> StudioClient:
    return StudioClient(
        Target("http://studio.test", "sst_a.b"), transport=httpx.MockTransport(handler)
    )


class _BrokenStream(httpx.SyncByteStream):
    """An event stream that says `ready` and then loses its connection."""

    def __iter__(self) -> Iterator[bytes]:
        yield b"id: 1-0-0\nevent: ready\ndata: {}\n\n"
        raise httpx.ReadError("connection reset")


def test_param_values_are_typed_by_the_models_schema() -> None:
    schema = {
        "seed": {"type": "integer"},
        "strength": {"type": "number"},
        "safe": {"type": "boolean"},
        "image_size": {"type": "image_size"},
        "style": {"type": "string"},
    }
    pairs = ["seed=7", "strength=0.5", "safe=no", "image_size=768x512", "style=42", "extra=[1]"]
    assert parse_params(pairs, schema) == {
        "seed": 7,
        "strength": 0.5,
        "safe": False,
        "image_size": {"width": 768, "height": 512},
        "style": "42",
        "extra": [1],
    }


def _problem(response: httpx.Response) -> CliError:
    client = _offline_client(lambda _: response)
    with pytest.raises(CliError) as raised:
        client.get("/api/v1/models")
    return raised.value


def test_a_problem_body_gives_the_message_the_field_lines_and_the_exit_code() -> None:
    problem = {
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "params.seed: At least 0.",
        "errors": [{"loc": ["body", "params", "seed"], "msg": "At least 0.", "type": "x"}],
    }
    error = _problem(httpx.Response(422, json=problem))
    # The detail only restates the field error: printed once, as its field line.
    assert error.message == "Unprocessable Content"
    assert error.lines == ["  params.seed: At least 0."]
    assert error.code == ExitCode.USAGE


def test_a_field_named_otherwise_in_the_detail_than_in_its_loc_is_printed_once() -> None:
    problem = {
        "title": "Unprocessable Content",
        "detail": "params.prompt: Required.; params.num_images: At most 4.",
        "errors": [
            {"loc": ["body", "prompt"], "msg": "Required."},
            {"loc": ["body", "params", "num_images"], "msg": "At most 4."},
        ],
    }
    error = _problem(httpx.Response(422, json=problem))
    assert error.message == "Unprocessable Content"
    assert error.lines == ["  prompt: Required.", "  params.num_images: At most 4."]


def test_the_catalogs_own_summary_of_its_errors_is_left_out() -> None:
    """Every message validate_params writes, in the summary it writes: each error printed
    once, as its field line (a `;` inside a message would split it in two and keep the
    summary)."""
    image = Catalog(load_models()).get("local/image")
    assert image is not None
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(
            image,
            GenerationType.TEXT_TO_VIDEO,
            {"num_images": 9, "image_size": {"width": 1}, "colour": "red"},
        )
    errors = [e.model_dump() for e in caught.value.errors]
    assert len(errors) == 5, errors
    problem = {"title": "Unprocessable Content", "detail": caught.value.summary, "errors": errors}
    error = _problem(httpx.Response(422, json=problem))
    assert error.message == "Unprocessable Content"
    assert error.lines == [
        "  type: Local Image does not do text-to-video. It does: text-to-image.",
        "  params.num_images: At most 4.",
        "  params.image_size: Must be a size name or {width, height} in pixels, each 64-2048.",
        "  params.colour: Local Image has no parameter 'colour'.",
        "  params.prompt: Required.",
    ]


def test_a_summary_of_the_first_fields_only_or_cut_short_is_left_out_too() -> None:
    errors = [{"loc": ["body", "params", name], "msg": "Must be a number."} for name in "abcdefg"]
    for detail in (
        "params.a: Must be a number.; params.b: Must be a number. (and 5 more)",
        "params.a: Must be a number.; params.b: Must be a numb\u2026",
    ):
        problem = {"title": "Unprocessable Content", "detail": detail, "errors": errors}
        error = _problem(httpx.Response(422, json=problem))
        assert error.message == "Unprocessable Content"
        assert len(error.lines) == len(errors)


def test_a_summary_of_messages_holding_a_semicolon_is_left_out() -> None:
    """The generation API's input errors say what to do after a `;`, and its detail joins them
    with `; `: the detail is still only their summary, not a sentence of its own."""
    problem = {
        "title": "Unprocessable Content",
        "detail": "this model takes at most 1 image; remove the others; "
        "this file is no longer in your library; choose another",
        "errors": [
            {
                "loc": ["body", "input_asset_ids", 1],
                "msg": "this model takes at most 1 image; remove the others",
            },
            {
                "loc": ["body", "input_asset_ids", 2],
                "msg": "this file is no longer in your library; choose another",
            },
        ],
    }
    error = _problem(httpx.Response(422, json=problem))
    assert error.message == "Unprocessable Content"
    assert error.lines == [
        "  input_asset_ids.1: this model takes at most 1 image; remove the others",
        "  input_asset_ids.2: this file is no longer in your library; choose another",
    ]
    kept = {**problem, "detail": "this model takes at most 1 image; and something else"}
    assert _problem(httpx.Response(422, json=kept)).message.endswith("and something else")


def test_a_detail_saying_more_than_the_field_errors_is_kept() -> None:
    problem = {
        "title": "Unprocessable Content",
        "detail": "No model with id local/nope in the catalog.",
        "errors": [{"loc": ["body", "model_id"], "msg": "Not a model in the catalog."}],
    }
    error = _problem(httpx.Response(422, json=problem))
    assert error.message == "Unprocessable Content: No model with id local/nope in the catalog."
    assert error.lines == ["  model_id: Not a model in the catalog."]


def test_a_wait_the_detail_names_is_said_once() -> None:
    problem = {
        "title": "Too Many Requests",
        "detail": "Too many sign-in attempts for this account: the limit is 5 a minute. "
        "Try again in 8 s.",
    }
    error = _problem(httpx.Response(429, json=problem, headers={"Retry-After": "8"}))
    assert error.message.count("Try again") == 1
    assert error.lines == []
    assert error.code == ExitCode.UNAVAILABLE


@pytest.mark.parametrize(
    "detail", ["the database is unavailable; try again", "the bus is down; try again shortly."]
)
def test_a_detail_asking_to_try_again_is_told_when(detail: str) -> None:
    problem = {"title": "Service Unavailable", "detail": detail}
    error = _problem(httpx.Response(503, json=problem, headers={"Retry-After": "5"}))
    # Before: "...; try again" and then a line of its own, "Try again in 5 s.".
    assert error.message.endswith("; try again in 5 s."), error.message
    assert error.message.count("try again") == 1
    assert error.lines == []


def test_a_wait_only_the_retry_after_header_names_is_a_line_of_its_own() -> None:
    problem = {"title": "Service Unavailable", "detail": "the database is unavailable"}
    error = _problem(httpx.Response(503, json=problem, headers={"Retry-After": "5"}))
    assert error.message == "Service Unavailable: the database is unavailable"
    assert error.lines == ["Try again in 5 s."]


def test_a_malformed_image_size_is_a_usage_error_naming_the_accepted_forms() -> None:
    schema = {"image_size": {"type": "image_size", "enum": ["square_hd", "landscape_4_3"]}}
    assert parse_params(["image_size=square_hd"], schema) == {"image_size": "square_hd"}
    assert parse_params(["image_size=96 X 64"], schema) == {
        "image_size": {"width": 96, "height": 64}
    }
    for malformed in ("12x", "x512", "768*512", "{oops"):
        with pytest.raises(CliError) as raised:
            parse_params([f"image_size={malformed}"], schema)
        assert raised.value.code == ExitCode.USAGE
        assert raised.value.message == (
            f"--param image_size: {malformed!r} is not a size: give WIDTHxHEIGHT in pixels "
            "(768x512) or a size name (square_hd, landscape_4_3)"
        )


def test_a_generation_is_followed_by_polling_when_its_event_stream_breaks() -> None:
    polls = iter(["processing", "completed"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/events":
            headers = {"content-type": "text/event-stream"}
            return httpx.Response(200, headers=headers, stream=_BrokenStream())
        return httpx.Response(200, json={"id": "g1", "status": next(polls), "outputs": []})

    client = _offline_client(handler)
    with client.events() as events:
        assert next(events).event == "ready"
        pending = {"id": "g1", "status": "pending"}
        final = follow_generation(client, pending, events, status_display("g1", quiet=True))
    assert final["status"] == "completed"


# --- whole commands, through the entry point ----------------------------------------------


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    requests: list[httpx.Request]


Studio = Callable[..., Ran]


@pytest.fixture
def studio(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Studio:
    """Runs `studio ARGS...` as the shell does, with `handler` answering its requests; stdout
    is a pipe (not a terminal) of the default 80 columns."""
    for name in ("STUDIO_URL", "STUDIO_TOKEN", "STUDIO_EMAIL", "STUDIO_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "80")

    def run(*args: str, handler: Handler | None = None, stdin: str = "") -> Ran:
        requests: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            assert handler is not None, f"no request expected: {request.method} {request.url}"
            return handler(request)

        def client(target: Target) -> StudioClient:
            return StudioClient(target, transport=httpx.MockTransport(answer))

        monkeypatch.setattr(session, "StudioClient", client)
        monkeypatch.setattr(auth, "StudioClient", client)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(sys, "argv", ["studio", "--url", "http://studio.test", *args])
        with pytest.raises(SystemExit) as exited:
            main.run()
        captured = capsys.readouterr()
        return Ran(int(exited.value.code or 0), captured.out, captured.err, requests)

    return run


def _routes(routes: dict[str, httpx.Response]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        # The studio's 404 is a problem body, as every error answer of it.
        not_found = httpx.Response(
            404, json={"title": "Not Found"}, headers={"content-type": "application/problem+json"}
        )
        return routes.get(f"{request.method} {request.url.path}", not_found)

    return handler


_IMAGE_MODEL = {
    "id": "local/image",
    "name": "Local image",
    "types": ["text-to-image"],
    "params": {"num_images": {"type": "integer", "minimum": 1, "maximum": 4}},
}


def test_a_refused_generation_prints_each_field_error_once(studio: Studio) -> None:
    problem = {
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "params.num_images: At most 4.",
        "errors": [{"loc": ["body", "params", "num_images"], "msg": "At most 4."}],
    }
    handler = _routes(
        {
            "GET /api/v1/models/local/image": httpx.Response(200, json=_IMAGE_MODEL),
            f"GET /api/v1/projects/{PROJECT}": httpx.Response(200, json={"id": PROJECT}),
            "GET /api/v1/events": httpx.Response(503, json={"title": "Service Unavailable"}),
            f"POST /api/v1/projects/{PROJECT}/generations": httpx.Response(422, json=problem),
        }
    )
    ran = studio(
        "generate", "-p", PROJECT, "-m", "local/image", "x", "-P", "num_images=99", handler=handler
    )
    assert ran.code == ExitCode.USAGE
    assert ran.stderr == "Error: Unprocessable Entity\n  params.num_images: At most 4.\n"


def test_tables_piped_keep_each_row_on_one_line(studio: Studio) -> None:
    name = "a lighthouse at dusk over a quiet sea, in teal and orange.png"
    asset = {
        "id": ASSET,
        "name": name,
        "media_type": "image",
        "kind": "output",
        "size": 1234567,
        "project_id": PROJECT,
        "created_at": "2026-12-03T08:01:12.345678Z",
    }
    page = {"items": [asset], "next_cursor": None}
    ran = studio(
        "assets", "list", handler=_routes({"GET /api/v1/assets": httpx.Response(200, json=page)})
    )
    assert ran.code == 0, ran.stderr
    [row] = [line for line in ran.stdout.splitlines() if ASSET in line]
    assert PROJECT in row
    assert name in row
    assert len(ran.stdout.splitlines()) == 5  # top border, header, rule, the row, bottom border


def test_ids_are_not_wrapped_in_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(output, "stdout", Console(file=terminal, force_terminal=True, width=40))
    rows = [["local/image-edit", "Local image edit, a long name", "local"], [ASSET, "x", "fal"]]
    print_table(None, ["id", "name", "provider"], rows, empty="", whole=("id", "provider"))
    lines = terminal.getvalue().splitlines()
    # The table grows past the terminal rather than fold an id; the name column folds.
    assert any("local/image-edit" in line for line in lines)
    assert any(ASSET in line for line in lines)
    assert not any("Local image edit, a long name" in line for line in lines)


def test_help_shows_no_value_for_flags_and_the_search_fields(studio: Studio) -> None:
    ran = studio("assets", "list", "--help")
    assert ran.code == 0
    assert "<bool>" not in ran.stdout
    assert "original file name, a tag" in " ".join(ran.stdout.split())
    assert "-m," not in ran.stdout  # `-m` is --model in `studio generate`
    projects = studio("projects", "list", "--help")
    assert "<bool>" not in projects.stdout
    assert "in the name or description" in " ".join(projects.stdout.split())
    media_short = studio("assets", "list", "-m", "image")
    assert media_short.code == ExitCode.USAGE
    assert "No such option: -m" in media_short.stderr


def test_a_url_that_is_not_http_is_a_usage_error_before_any_request(studio: Studio) -> None:
    ran = studio("--url", "notaurl", "projects", "list")
    assert ran.code == ExitCode.USAGE
    assert ran.stderr.startswith("Error: 'notaurl' is not a studio URL")
    assert "http://HOST[:PORT]" in ran.stderr
    assert ran.requests == []


def _sign_in_routes(login: httpx.Response) -> Handler:
    return _routes(
        {
            "GET /api/v1/me": httpx.Response(401, json={"title": "Unauthorized"}),
            "POST /api/v1/auth/login": login,
            "POST /api/v1/tokens": httpx.Response(201, json={"id": "t1", "token": "sst_t.1"}),
            "POST /api/v1/auth/logout": httpx.Response(204),
        }
    )


def test_login_reads_the_password_from_stdin_and_takes_no_password_option(
    studio: Studio, tmp_path: Path
) -> None:
    session_answer = httpx.Response(
        200,
        json={"csrf_token": "c", "user": {"email": "alice@example.com"}},
        headers={"set-cookie": "studio_session=s; Path=/"},
    )
    ran = studio(
        "login", "--email", "alice@example.com", "--password-stdin",
        handler=_sign_in_routes(session_answer), stdin="correct horse\n",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    [sign_in] = [r for r in ran.requests if r.url.path == "/api/v1/auth/login"]
    assert json.loads(sign_in.content) == {
        "email": "alice@example.com",
        "password": "correct horse",
    }
    stored = json.loads((tmp_path / "config" / "studio" / "config.json").read_text())
    assert stored["credentials"]["http://studio.test"]["token"] == "sst_t.1"
    on_the_command_line = studio("login", "--email", "alice@example.com", "--password", "x")
    assert on_the_command_line.code == ExitCode.USAGE
    assert "No such option: --password" in on_the_command_line.stderr


def test_a_refused_login_says_to_check_the_credentials(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDIO_PASSWORD", "wrong")
    refused = httpx.Response(
        401, json={"title": "Unauthorized", "detail": "Wrong e-mail address or password."}
    )
    ran = studio("login", "--email", "alice@example.com", handler=_sign_in_routes(refused))
    assert ran.code == ExitCode.AUTH
    assert ran.stderr == (
        "Error: Unauthorized: Wrong e-mail address or password.\n"
        "Check the e-mail address and password.\n"
    )


def test_logout_keeps_the_token_it_could_not_revoke(studio: Studio) -> None:
    url = "http://studio.test"
    config.store_credential(url, {"token": "sst_t1.secret", "token_id": "t1"})
    down = _routes(
        {
            "DELETE /api/v1/tokens/t1": httpx.Response(
                503, json={"title": "Service Unavailable", "detail": "the gateway is restarting"}
            )
        }
    )
    ran = studio("logout", handler=down)
    assert ran.code == ExitCode.UNAVAILABLE
    assert "still stored and still valid" in ran.stderr
    # Forgotten here, it would stay valid on the server with no way to revoke it from here.
    assert config.stored_credential(url) is not None

    ran = studio("logout", handler=_routes({"DELETE /api/v1/tokens/t1": httpx.Response(204)}))
    assert ran.code == 0
    assert config.stored_credential(url) is None


# --- QA pass 11: numbers JSON cannot hold, config files of another shape, help -------------

_NUMBERS = {"guidance_scale": {"type": "number"}, "num_images": {"type": "integer"}}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("guidance_scale=nan", "'nan' is not a finite number"),
        ("guidance_scale=inf", "'inf' is not a finite number"),
        ("guidance_scale=-Infinity", "'-Infinity' is not a finite number"),
        ("guidance_scale=1e400", "'1e400' is not a finite number"),
        ("guidance_scale=7_5", "'7_5' is not a finite number"),
        ("num_images=1_000", "'1_000' is not a whole number"),
    ],
)
def test_a_number_json_cannot_hold_is_a_usage_error(pair: str, message: str) -> None:
    with pytest.raises(CliError) as raised:
        parse_params([pair], _NUMBERS)
    assert raised.value.code == ExitCode.USAGE
    assert raised.value.message.endswith(message)


def test_numbers_are_still_read_as_json_numbers() -> None:
    pairs = ["guidance_scale=7.5", "num_images=2"]
    assert parse_params(pairs, _NUMBERS) == {"guidance_scale": 7.5, "num_images": 2}
    assert parse_params(["guidance_scale=1e3"], _NUMBERS) == {"guidance_scale": 1000.0}


def test_an_unknown_param_json_cannot_hold_is_sent_as_text() -> None:
    assert parse_params(["colour=NaN", "size=[1e400]"], {}) == {
        "colour": "NaN",
        "size": "[1e400]",
    }


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"credentials": []}', '"credentials" is not an object'),
        ('{"url": 5}', '"url" is not a string'),
        (
            '{"credentials": {"http://127.0.0.1:8080": "x"}}',
            '"credentials" of http://127.0.0.1:8080 is not an object of strings',
        ),
        ("[]", "not a JSON object"),
    ],
)
def test_a_config_file_of_another_shape_is_an_error_naming_it(
    studio: Studio, tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "config" / "studio" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    ran = studio("whoami")
    assert ran.code == ExitCode.USAGE
    assert ran.stderr == (
        f"Error: {path} is not a studio config file: {problem}\n"
        "Fix it, or remove it and run `studio login` again.\n"
    )
    assert ran.requests == []
    version = studio("version")
    assert version.code == 0, version.stderr
    assert version.stdout.startswith("studio-cli ")


def test_help_comes_before_a_bad_url(studio: Studio) -> None:
    ran = studio("--url", "notaurl", "models", "--help")
    assert ran.code == 0, ran.stderr
    assert ran.stdout.startswith("Usage: ")


_COMMANDS = [
    [],
    ["generate"],
    ["models"],
    ["model"],
    ["projects", "list"],
    ["projects", "create"],
    ["assets", "list"],
    ["assets", "download"],
    ["events"],
    ["login"],
]
_TYPE_NAME = re.compile(r"-[\w-]+ <(str|int|float|list\[|dir|path|file)")
"""An option shown with its Python type (`--param <list[str]>`) instead of what it takes."""


@pytest.mark.parametrize("command", _COMMANDS, ids=lambda command: " ".join(command) or "studio")
def test_every_option_names_what_it_takes_not_its_type(studio: Studio, command: list[str]) -> None:
    ran = studio(*command, "--help")
    assert ran.code == 0, ran.stderr
    assert not _TYPE_NAME.search(ran.stdout), ran.stdout
