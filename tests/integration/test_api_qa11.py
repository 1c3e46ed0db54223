"""Input handling every service shares (`studio_runtime`), checked on a service called directly
as the gateway calls it (signed identity, real socket): the catalog, which needs no database."""

from collections.abc import AsyncIterator

import httpx
import pytest
from studio_catalog.main import create_app
from studio_catalog.settings import CatalogSettings

from tests.support.apps import identity_headers, make_settings, running

VALIDATE = "/api/v1/models/local/image/validate"


@pytest.fixture(scope="module")
async def catalog() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running(create_app(make_settings(CatalogSettings))) as url,
        httpx.AsyncClient(base_url=url, headers=identity_headers(), timeout=30) as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "it nests arrays and objects more than 64 levels deep"),
        (b"[" * 100_000 + b"NaN" + b"]" * 100_000, "it nests arrays and objects more than 64"),
        (b'{"type": "text-to-image", "params": {"seed": ' + b"9" * 4301 + b"}}", "it holds a"),
    ],
)
async def test_a_body_python_cannot_parse_is_json_invalid_in_every_service(
    catalog: httpx.AsyncClient, body: bytes, reason: str
) -> None:
    sent = await catalog.post(VALIDATE, content=body, headers={"Content-Type": "application/json"})
    assert sent.status_code == 422, sent.text
    [error] = sent.json()["errors"]
    assert error["loc"] == ["body"]
    assert error["type"] == "json_invalid"
    assert error["msg"].startswith(f"The body is not valid JSON: {reason}")


async def test_nesting_and_long_digits_a_body_may_have_are_still_taken(
    catalog: httpx.AsyncClient,
) -> None:
    nested: object = "x"
    for _ in range(60):
        nested = [nested]
    digits_in_text = "9" * 5000
    sent = await catalog.post(
        VALIDATE,
        json={"type": "text-to-image", "params": {"prompt": digits_in_text, "nested": nested}},
    )
    # Parsed and checked: the one complaint is the parameter the model does not have.
    assert sent.status_code == 422, sent.text
    assert [e["loc"] for e in sent.json()["errors"]] == [["body", "params", "nested"]]


async def test_the_catalog_takes_a_prompt_of_only_whitespace_as_none(
    catalog: httpx.AsyncClient,
) -> None:
    sent = await catalog.post(
        VALIDATE, json={"type": "text-to-image", "params": {"prompt": " \t\n"}}
    )
    assert sent.status_code == 422, sent.text
    assert sent.json()["errors"] == [
        {"loc": ["body", "params", "prompt"], "msg": "Required.", "type": "missing"}
    ]


async def test_a_405_of_the_catalog_lists_the_methods_of_its_path(
    catalog: httpx.AsyncClient,
) -> None:
    for method, path, allowed in (
        ("GET", VALIDATE, "POST"),
        ("PUT", "/api/v1/models/recommended", "GET, HEAD"),
        ("POST", "/api/v1/models/local/image", "GET, HEAD"),
    ):
        sent = await catalog.request(method, path)
        assert sent.status_code == 405, sent.text
        assert sent.headers["allow"] == allowed
    assert (await catalog.get("/api/v1/models/local/image")).status_code == 200
