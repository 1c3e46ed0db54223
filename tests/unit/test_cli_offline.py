"""The `studio` command's pieces in-process, against `httpx.MockTransport`: `--param` values
typed by the model's schema, a problem body turned into the message, field lines and exit code,
and a generation followed by polling when its event stream breaks. No sockets, no servers."""

from collections.abc import Callable, Iterator

import httpx
import pytest
from studio_cli.client import StudioClient
from studio_cli.config import Target
from studio_cli.errors import CliError, ExitCode
from studio_cli.follow import follow_generation
from studio_cli.params import parse_params
from studio_cli.progress import status_display


def _offline_client(handler: Callable[[httpx.Request], httpx.Response]) -> StudioClient:
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


def test_a_problem_body_gives_the_message_the_field_lines_and_the_exit_code() -> None:
    problem = {
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "params.seed: must be at least 0",
        "errors": [{"loc": ["body", "params", "seed"], "msg": "must be at least 0", "type": "x"}],
    }
    client = _offline_client(lambda _: httpx.Response(422, json=problem))
    with pytest.raises(CliError) as raised:
        client.get("/api/v1/models")
    assert raised.value.message == "Unprocessable Content: params.seed: must be at least 0"
    assert raised.value.lines == ["  params.seed: must be at least 0"]
    assert raised.value.code == ExitCode.USAGE


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
