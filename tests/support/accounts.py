"""Signed-in clients for a gateway in accounts mode."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

ACCOUNTS = {"auth_mode": "accounts", "cookie_secure": False}
"""`full_stack(gateway=...)` settings: accounts, with cookies over plain HTTP on loopback."""


def new_email(name: str = "user") -> str:
    return f"{name}-{secrets.token_hex(4)}@example.test"


async def sign_up(
    client: httpx.AsyncClient, email: str, password: str = "correct horse battery"
) -> dict[str, Any]:
    """Sign up with `client`, which keeps the session cookie; later changes send the CSRF token."""
    response = await client.post("/api/v1/auth/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    client.headers["X-CSRF-Token"] = session["csrf_token"]
    return session


@asynccontextmanager
async def signed_in(gateway: str, name: str = "user") -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client with a fresh account's session."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        await sign_up(client, new_email(name))
        yield client
