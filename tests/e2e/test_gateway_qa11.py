"""The public API's input handling from an eleventh QA pass, over a full stack in accounts mode:
odd bytes in headers, bodies nested too deeply or holding huge numbers, HEAD on the event
stream, the methods a 405 lists, and fields that took what they should have refused."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.accounts import ACCOUNTS, new_email, signed_in
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.sse import listening

TEXT_TO_IMAGE = {"type": "text-to-image", "model_id": "local/image", "prompt": "a cat"}


@asynccontextmanager
async def _stack(
    servers: Servers, tmp_path: Path, **gateway: Any
) -> AsyncIterator[tuple[FullStack, httpx.AsyncClient]]:
    """A full stack in accounts mode (no workers: nothing here needs a job to run) and a
    signed-in client of a fresh account."""
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
            gateway={**ACCOUNTS, **gateway},
        ) as stack,
        signed_in(stack.gateway) as client,
    ):
        yield stack, client


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


async def test_a_forwarded_header_that_is_not_ascii_is_refused_naming_it(
    servers: Servers, tmp_path: Path
) -> None:
    async with _stack(servers, tmp_path) as (_, client):
        project = (await client.post("/api/v1/projects", json={"name": "p"})).json()["id"]
        for name, value in (
            (b"accept", "é/é"),
            (b"range", "bytes=é"),
            (b"if-none-match", '"é"'),
            (b"content-type", "application/json; charset=é"),
            (b"last-event-id", "é"),
            (b"if-match", '"é"'),
            (b"if-modified-since", "é"),
        ):
            sent = await client.get("/api/v1/projects", headers=[(name, value.encode())])
            body = _problem(sent, 400)
            assert body["type"] == "https://ai-studio.dev/problems/bad-request"
            assert body["errors"] == [
                {
                    "loc": ["header", name.decode()],
                    "msg": "Must be ASCII text.",
                    "type": "not_ascii",
                }
            ]
        keyed = await client.post(
            f"/api/v1/projects/{project}/generations",
            json=TEXT_TO_IMAGE,
            headers=[(b"idempotency-key", "ключ".encode())],
        )
        assert _problem(keyed, 400)["errors"][0]["loc"] == ["header", "idempotency-key"]
        # The gateway's own event stream reads Last-Event-ID too.
        streamed = await client.get("/api/v1/events", headers=[(b"last-event-id", b"\xc3\xa9")])
        assert _problem(streamed, 400)["errors"][0]["loc"] == ["header", "last-event-id"]
        # Nothing else changed: the same requests in ASCII are answered as before.
        assert (await client.get("/api/v1/projects", headers={"Accept": "*/*"})).status_code == 200


async def test_json_nested_too_deeply_or_with_a_huge_number_is_json_invalid(
    servers: Servers, tmp_path: Path
) -> None:
    deep_nan = b"[" * 100_000 + b"NaN" + b"]" * 100_000
    deep_in_a_string = b'{"name":"Infinity","x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    deep = b"[" * 100_000 + b"]" * 100_000
    huge = b'{"name": ' + b"7" * 5000 + b"}"
    async with _stack(servers, tmp_path) as (stack, client):
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as anonymous:
            for body in (deep_nan, deep_in_a_string, deep, huge):
                for path, sender in (
                    ("/api/v1/auth/signup", anonymous),
                    ("/api/v1/projects", client),
                ):
                    sent = await sender.post(
                        path, content=body, headers={"Content-Type": "application/json"}
                    )
                    problem = _problem(sent, 422)
                    assert problem["type"] == "https://ai-studio.dev/problems/invalid-input"
                    [error] = problem["errors"]
                    assert error["loc"] == ["body"]
                    assert error["type"] == "json_invalid"
                    assert error["msg"].startswith("The body is not valid JSON: ")
        # Nesting a body needs is still taken.
        nested = {"name": "n", "description": "d"}
        assert (await client.post("/api/v1/projects", json=nested)).status_code == 201


async def test_head_of_the_event_stream_answers_headers_and_holds_no_stream(
    servers: Servers, tmp_path: Path
) -> None:
    async with _stack(servers, tmp_path, sse_connections_per_user=1) as (_, client):
        head = await client.head("/api/v1/events", timeout=10)
        assert head.status_code == 200
        assert head.headers["content-type"].startswith("text/event-stream")
        assert head.content == b""
        # The same connection answers the next request, and the one stream a user may have
        # is still free.
        assert (await client.get("/api/v1/me", timeout=10)).status_code == 200
        async with listening(client) as log:
            assert log.named("ready")


def _allowed(response: httpx.Response) -> str:
    assert response.status_code == 405, response.text
    return response.headers["allow"]


async def test_a_405_lists_exactly_the_methods_its_path_takes(
    servers: Servers, tmp_path: Path
) -> None:
    async with _stack(servers, tmp_path) as (_, client):
        # Two routes serve /tokens (GET lists, POST makes one): both are named.
        assert _allowed(await client.put("/api/v1/tokens")) == "GET, HEAD, POST"
        for model_path in ("/api/v1/models/recommended", "/api/v1/models/local/image"):
            assert _allowed(await client.put(model_path)) == "GET, HEAD"
            assert _allowed(await client.post(model_path, json={})) == "GET, HEAD"
        validate = "/api/v1/models/local/image/validate"
        assert _allowed(await client.get(validate)) == "POST"
        assert _allowed(await client.put(validate)) == "POST"
        # Each method named is served.
        assert (await client.get("/api/v1/tokens")).status_code == 200
        assert (await client.get("/api/v1/models/local/image")).status_code == 200
        checked = await client.post(validate, json={"type": "text-to-image", "params": {}})
        assert checked.status_code == 422, checked.text  # served: the prompt is missing


async def test_a_prompt_of_only_whitespace_is_missing(servers: Servers, tmp_path: Path) -> None:
    async with _stack(servers, tmp_path) as (_, client):
        project = (await client.post("/api/v1/projects", json={"name": "p"})).json()["id"]
        path = f"/api/v1/projects/{project}/generations"
        empty = _problem(await client.post(path, json={**TEXT_TO_IMAGE, "prompt": ""}), 422)
        assert empty["errors"][0]["msg"] == "Required."
        for prompt in ("   \t ", "\n", "\u3000"):
            blank = await client.post(path, json={**TEXT_TO_IMAGE, "prompt": prompt})
            assert _problem(blank, 422) == empty
        listed = (await client.get(f"/api/v1/projects/{project}/generations")).json()
        assert listed["items"] == []


async def test_token_expiry_and_reroll_seed_take_only_their_own_types(
    servers: Servers, tmp_path: Path
) -> None:
    async with _stack(servers, tmp_path) as (_, client):
        for days in (True, "30", 1.5):
            sent = await client.post("/api/v1/tokens", json={"name": "ok", "expires_in_days": days})
            [error] = _problem(sent, 422)["errors"]
            assert error["loc"] == ["body", "expires_in_days"]
            assert error["msg"] == "Must be a whole number."
        made = await client.post("/api/v1/tokens", json={"name": "ok", "expires_in_days": 30})
        assert made.status_code == 201, made.text

        project = (await client.post("/api/v1/projects", json={"name": "p"})).json()["id"]
        generation = await client.post(
            f"/api/v1/projects/{project}/generations", json=TEXT_TO_IMAGE
        )
        retry = f"/api/v1/generations/{generation.json()['id']}/retry"
        for reroll in ("yes", 1, "true"):
            [error] = _problem(await client.post(retry, json={"reroll_seed": reroll}), 422)[
                "errors"
            ]
            assert error["loc"] == ["body", "reroll_seed"]
            assert error["msg"] == "Must be true or false."


async def test_invalid_unicode_a_body_not_utf8_and_a_bad_cursor_are_worded_as_sentences(
    servers: Servers, tmp_path: Path
) -> None:
    async with _stack(servers, tmp_path) as (_, client):
        surrogate = await client.post(
            "/api/v1/projects",
            content=b'{"name": "a\\ud800b"}',
            headers={"Content-Type": "application/json"},
        )
        [error] = _problem(surrogate, 422)["errors"]
        assert error == {
            "loc": ["body", "name"],
            "msg": "Must be valid Unicode text.",
            "type": "string_unicode",
        }
        latin = await client.post(
            "/api/v1/projects",
            content=b'{"name": "caf\xe9"}',
            headers={"Content-Type": "application/json"},
        )
        [error] = _problem(latin, 422)["errors"]
        assert error["msg"] == "The body is not valid JSON: it is not UTF-8 text."
        for path in ("/api/v1/projects", "/api/v1/generations", "/api/v1/tokens"):
            [error] = _problem(await client.get(path, params={"cursor": "nope"}), 422)["errors"]
            assert error["loc"] == ["query", "cursor"]
            assert error["msg"] == "Not a cursor this API gave out."


async def test_a_second_idempotency_key_is_refused_as_ambiguous(
    servers: Servers, tmp_path: Path
) -> None:
    async with _stack(servers, tmp_path) as (_, client):
        project = (await client.post("/api/v1/projects", json={"name": "p"})).json()["id"]
        path = f"/api/v1/projects/{project}/generations"
        sent = await client.post(
            path,
            json=TEXT_TO_IMAGE,
            headers=[(b"idempotency-key", b"first"), (b"idempotency-key", b"second")],
        )
        problem = _problem(sent, 422)
        assert problem["errors"][0]["loc"] == ["header", "idempotency-key"]
        assert "one Idempotency-Key" in problem["detail"]
        assert (await client.get(path)).json()["items"] == []
        once = await client.post(path, json=TEXT_TO_IMAGE, headers={"Idempotency-Key": "first"})
        assert once.status_code == 202, once.text


async def test_a_password_of_only_whitespace_is_refused_at_sign_up(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        _stack(servers, tmp_path) as (stack, _),
        httpx.AsyncClient(base_url=stack.gateway, timeout=30) as anonymous,
    ):
        for password in (" " * 12, "\t \u3000" * 4):
            sent = await anonymous.post(
                "/api/v1/auth/signup", json={"email": new_email(), "password": password}
            )
            [error] = _problem(sent, 422)["errors"]
            assert error["loc"] == ["body", "password"]
            assert error["msg"] == "Must hold more than spaces."
        # Spaces among other characters are still a password, and a short one still too short.
        kept = await anonymous.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": "  correct horse  "}
        )
        assert kept.status_code == 201, kept.text
        short = await anonymous.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": "short"}
        )
        assert _problem(short, 422)["errors"][0]["type"] == "string_too_short"
