"""`Strict-Transport-Security` from the gateway when the studio is served over HTTPS only."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from studio_gateway.security.headers import SecurityHeadersMiddleware
from studio_gateway.settings import GatewaySettings

from tests.support.apps import make_settings

YEAR = "max-age=31536000"


def test_an_https_only_studio_asks_browsers_to_keep_to_https() -> None:
    settings = make_settings(GatewaySettings, auth_mode="accounts", cookie_secure=True)
    assert settings.strict_transport == YEAR


@pytest.mark.parametrize(
    "values",
    [
        {"auth_mode": "local"},
        {"auth_mode": "accounts", "cookie_secure": False},
        {"auth_mode": "accounts", "cookie_secure": True, "hsts_max_age_s": 0},
    ],
    ids=["local-mode", "cookies-over-http", "turned-off"],
)
def test_a_studio_not_meant_for_https_only_sends_none(values: dict[str, object]) -> None:
    assert make_settings(GatewaySettings, **values).strict_transport is None


async def test_every_answer_carries_it() -> None:
    async def hello(_: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = SecurityHeadersMiddleware(
        Starlette(routes=[Route("/studio", hello), Route("/api/v1/me", hello)]),
        docs_path="/docs",
        docs_policy="default-src 'self'",
        strict_transport=YEAR,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://studio.test") as client:
        for path in ("/studio", "/api/v1/me", "/no/such/path"):
            response = await client.get(path)
            assert response.headers["strict-transport-security"] == YEAR, path
