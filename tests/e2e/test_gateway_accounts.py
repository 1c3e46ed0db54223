"""Accounts through the gateway: sign-up, log-in, log-out, sessions, CSRF, API tokens, limits."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from studio_gateway.settings import GatewaySettings

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, new_email, sign_up, signed_in
from tests.support.apps import make_settings
from tests.support.full_stack import FullStack, Servers, full_stack


def accounts_stack(
    servers: Servers,
    tmp_path: Path,
    *,
    generation_api: dict[str, Any] | None = None,
    **gateway: Any,
) -> AbstractAsyncContextManager[FullStack]:
    """Every service, no worker, the gateway in accounts mode with `gateway` settings."""
    return full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        gateway={**ACCOUNTS, **gateway},
        generation_api=generation_api,
    )


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    async with accounts_stack(servers, tmp_path) as running_stack:
        yield running_stack


async def test_sign_up_sets_a_secure_session_and_me_answers(stack: FullStack) -> None:
    async with stack.client() as client:
        email = new_email("Ada")
        response = await client.post(
            "/api/v1/auth/signup",
            json={"email": email.upper(), "password": "a long passphrase", "display_name": "Ada"},
        )
        assert response.status_code == 201, response.text
        session = response.json()
        assert session["user"]["email"] == email.lower()
        cookies = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("studio_session="))
        assert "HttpOnly" in session_cookie
        assert "SameSite=lax" in session_cookie
        assert "Path=/api" in session_cookie
        csrf_cookie = next(c for c in cookies if c.startswith("studio_csrf="))
        assert session["csrf_token"] in csrf_cookie
        me = await client.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["user"]["id"] == session["user"]["id"]
        assert me.json()["authenticated_by"] == "session"
        assert me.json()["auth_mode"] == "accounts"

        again = await client.post(
            "/api/v1/auth/signup", json={"email": email, "password": "another long one"}
        )
        assert again.status_code == 409
        short = await client.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": "short"}
        )
        assert short.status_code == 422
        assert short.json()["errors"][0]["loc"] == ["body", "password"]
        not_email = await client.post(
            "/api/v1/auth/signup", json={"email": "nobody", "password": "long enough pass"}
        )
        assert not_email.status_code == 422


async def test_session_cookie_is_marked_secure_by_default(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
            gateway={"auth_mode": "accounts"},
        ) as secure_stack,
        secure_stack.client() as client,
    ):
        response = await client.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": "a long passphrase"}
        )
        assert response.status_code == 201
        for cookie in response.headers.get_list("set-cookie"):
            assert "Secure" in cookie


async def test_log_in_log_out_and_the_session_is_revoked(stack: FullStack) -> None:
    email, password = new_email(), "correct horse battery"
    async with stack.client() as first:
        await sign_up(first, email, password)
    async with stack.client() as client:
        wrong = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "not the password"}
        )
        assert wrong.status_code == 401
        assert wrong.headers["content-type"] == "application/problem+json"
        unknown = await client.post(
            "/api/v1/auth/login", json={"email": new_email(), "password": password}
        )
        assert unknown.status_code == 401
        assert unknown.json()["detail"] == wrong.json()["detail"]  # no hint which was wrong

        login = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200
        csrf = login.json()["csrf_token"]
        cookie = client.cookies["studio_session"]
        assert (await client.get("/api/v1/me")).status_code == 200

        no_csrf = await client.post("/api/v1/auth/logout")
        assert no_csrf.status_code == 403
        logout = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert logout.status_code == 204
        # The browser forgets the person's cached files too (tests/browser/test_accounts.py).
        assert logout.headers["clear-site-data"] == '"cache"'
    async with httpx.AsyncClient(base_url=stack.gateway) as replay:
        replay.cookies.set("studio_session", cookie)
        after = await replay.get("/api/v1/me")
        assert after.status_code == 401
        assert after.headers["www-authenticate"].startswith("Bearer")
        assert (await replay.get("/api/v1/projects")).status_code == 401


async def test_log_out_everywhere_ends_every_session(stack: FullStack) -> None:
    email, password = new_email(), "correct horse battery"
    async with stack.client() as laptop, stack.client() as phone:
        await sign_up(laptop, email, password)
        login = await phone.post("/api/v1/auth/login", json={"email": email, "password": password})
        phone.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        assert (await phone.get("/api/v1/me")).status_code == 200
        everywhere = await laptop.post("/api/v1/auth/logout-all")
        assert everywhere.status_code == 204
        assert everywhere.headers["clear-site-data"] == '"cache"'
        assert (await phone.get("/api/v1/me")).status_code == 401
        assert (await laptop.get("/api/v1/me")).status_code == 401


async def test_cookie_changes_need_the_csrf_token(stack: FullStack) -> None:
    async with signed_in(stack.gateway) as client:
        csrf = client.headers.pop("X-CSRF-Token")
        refused = await client.post("/api/v1/projects", json={"name": "Forged"})
        assert refused.status_code == 403
        assert "X-CSRF-Token" in refused.json()["detail"]
        wrong = await client.post(
            "/api/v1/projects", json={"name": "Forged"}, headers={"X-CSRF-Token": "guess"}
        )
        assert wrong.status_code == 403
        assert (await client.get("/api/v1/projects")).json()["items"] == []  # nothing was made
        made = await client.post(
            "/api/v1/projects", json={"name": "Mine"}, headers={"X-CSRF-Token": csrf}
        )
        assert made.status_code == 201
        assert (await client.get("/api/v1/projects")).status_code == 200  # reads need none


async def test_api_tokens_are_shown_once_used_and_revoked(stack: FullStack) -> None:
    async with signed_in(stack.gateway) as browser:
        created = await browser.post("/api/v1/tokens", json={"name": "ci script"})
        assert created.status_code == 201
        token = created.json()["token"]
        assert token.startswith("sst_")
        listed = (await browser.get("/api/v1/tokens")).json()
        assert [t["name"] for t in listed["items"]] == ["ci script"]
        assert "token" not in listed["items"][0]
        assert token.startswith(listed["items"][0]["prefix"])
        # Made a moment apart, two tokens are still told apart by what the list shows.
        second = await browser.post("/api/v1/tokens", json={"name": "second"})
        shown = {t["prefix"] for t in (await browser.get("/api/v1/tokens")).json()["items"]}
        assert len(shown) == 2
        assert (await browser.delete(f"/api/v1/tokens/{second.json()['id']}")).status_code == 204

        async with httpx.AsyncClient(
            base_url=stack.gateway, headers={"Authorization": f"Bearer {token}"}
        ) as script:
            me = (await script.get("/api/v1/me")).json()
            assert me["authenticated_by"] == "token"
            assert me["user"]["id"] == (await browser.get("/api/v1/me")).json()["user"]["id"]
            # Programs need no CSRF token: a browser never sends this header by itself.
            project = await script.post("/api/v1/projects", json={"name": "From CI"})
            assert project.status_code == 201
            revoked = await browser.delete(f"/api/v1/tokens/{created.json()['id']}")
            assert revoked.status_code == 204
            refused = await script.get("/api/v1/projects")
            assert refused.status_code == 401
            assert "not valid" in refused.json()["detail"]
        assert (await browser.delete(f"/api/v1/tokens/{created.json()['id']}")).status_code == 404

        for header in ("Bearer sst_nonsense", "Basic dXNlcjpwYXNz", f"Bearer {token}x"):
            answer = await browser.get("/api/v1/me", headers={"Authorization": header})
            assert answer.status_code == 401, header


async def test_someone_elses_token_cannot_be_revoked(stack: FullStack) -> None:
    async with signed_in(stack.gateway, "a") as alice, signed_in(stack.gateway, "b") as bob:
        token = (await alice.post("/api/v1/tokens", json={"name": "mine"})).json()
        assert (await bob.delete(f"/api/v1/tokens/{token['id']}")).status_code == 404
        assert (await bob.get("/api/v1/tokens")).json()["items"] == []
        async with httpx.AsyncClient(
            base_url=stack.gateway, headers={"Authorization": f"Bearer {token['token']}"}
        ) as script:
            assert (await script.get("/api/v1/me")).status_code == 200


async def test_without_identity_every_route_answers_401(stack: FullStack) -> None:
    async with stack.client() as anonymous:
        for method, path in (
            ("GET", "/api/v1/me"),
            ("GET", "/api/v1/projects"),
            ("POST", "/api/v1/projects"),
            ("GET", "/api/v1/models"),
            ("GET", "/api/v1/assets"),
            ("GET", "/api/v1/generations"),
            ("GET", "/api/v1/events"),
            ("GET", "/api/v1/tokens"),
        ):
            response = await anonymous.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.headers["content-type"] == "application/problem+json"


async def test_log_in_attempts_are_limited_per_account(stack: FullStack) -> None:
    email = new_email()
    async with stack.client() as first:
        await sign_up(first, email)
    async with stack.client() as attacker:
        answers = [
            (
                await attacker.post(
                    "/api/v1/auth/login", json={"email": email, "password": f"guess number {i}"}
                )
            )
            for i in range(7)
        ]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    limited = answers[5]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "sign-in attempts" in limited.json()["detail"]


async def test_requests_over_the_per_user_limit_answer_429(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        accounts_stack(servers, tmp_path, requests_per_minute=5) as limited_stack,
        signed_in(limited_stack.gateway, "a") as alice,
        signed_in(limited_stack.gateway, "b") as bob,
    ):
        statuses = [(await alice.get("/api/v1/projects")).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        over = await alice.get("/api/v1/projects")
        assert over.headers["retry-after"].isdigit()
        assert "5 a minute" in over.json()["detail"]
        # The limit is per user: someone else is not slowed down.
        assert (await bob.get("/api/v1/projects")).status_code == 200


async def test_the_per_user_limit_counts_every_route_of_a_caller_once_per_request(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        accounts_stack(servers, tmp_path, requests_per_minute=3) as limited_stack,
        signed_in(limited_stack.gateway) as client,  # signing up has no caller: not counted
    ):
        paths = ["/api/v1/me", "/api/v1/tokens", "/api/v1/projects", "/api/v1/me"]
        statuses = [(await client.get(path)).status_code for path in paths]
        assert statuses == [200, 200, 200, 429]


async def test_a_thumbnail_costs_a_tenth_of_a_request(servers: Servers, tmp_path: Path) -> None:
    """A gallery scrolled through thousands of assets asks for a thumbnail per card: at a full
    request each, the limit refused most of them and the cards kept their placeholders."""
    async with (
        accounts_stack(servers, tmp_path, requests_per_minute=3) as limited_stack,
        signed_in(limited_stack.gateway) as client,
    ):
        project = (await client.post("/api/v1/projects", json={"name": "Cards"})).json()["id"]
        uploaded = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("a.png", media_samples.png())}
        )
        assert uploaded.status_code == 201, uploaded.text
        thumbnail = f"/api/v1/assets/{uploaded.json()['id']}/thumbnail"
        # One request left: nine thumbnails fit in it, and then no whole request does.
        statuses = [(await client.get(thumbnail)).status_code for _ in range(9)]
        assert statuses == [200] * 9
        assert (await client.get("/api/v1/projects")).status_code == 429


async def test_local_mode_has_one_user_and_no_sign_up(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as local,
        local.client() as client,
    ):
        me = (await client.get("/api/v1/me")).json()
        assert me["auth_mode"] == "local"
        assert me["user"]["id"] == "local"
        signup = await client.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": "long enough pass"}
        )
        assert signup.status_code == 404
        assert "STUDIO_AUTH_MODE" in signup.json()["detail"]


def test_local_mode_refuses_to_listen_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="STUDIO_AUTH_MODE=local has no sign-in"):
        make_settings(GatewaySettings, host="0.0.0.0")
    assert make_settings(GatewaySettings, host="0.0.0.0", auth_mode="accounts").host == "0.0.0.0"
    public = make_settings(GatewaySettings, host="0.0.0.0", local_mode_public=True)
    assert public.auth_mode == "local"
    assert make_settings(GatewaySettings, host="::1").host == "::1"


async def test_active_generations_over_the_per_user_limit_answer_429(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        accounts_stack(
            servers, tmp_path, generation_api={"max_active_per_user": 2}
        ) as limited_stack,
        signed_in(limited_stack.gateway, "a") as alice,
        signed_in(limited_stack.gateway, "b") as bob,
    ):
        body = {"type": "text-to-image", "model_id": "local/image", "prompt": "queued"}
        project = (await alice.post("/api/v1/projects", json={"name": "P"})).json()["id"]
        url = f"/api/v1/projects/{project}/generations"
        accepted = [await alice.post(url, json=body) for _ in range(2)]
        assert [r.status_code for r in accepted] == [202, 202]
        over = await alice.post(url, json=body)
        assert over.status_code == 429
        assert over.headers["retry-after"].isdigit()
        assert "2 generations queued or running" in over.json()["detail"]
        assert len((await alice.get("/api/v1/generations")).json()["items"]) == 2  # none stored
        # Another user is not affected; a finished one frees a place.
        bobs = (await bob.post("/api/v1/projects", json={"name": "B"})).json()["id"]
        bob_job = await bob.post(f"/api/v1/projects/{bobs}/generations", json=body)
        assert bob_job.status_code == 202
        cancel = await alice.post(f"/api/v1/generations/{accepted[0].json()['id']}/cancel")
        assert cancel.status_code == 202
        assert (await alice.post(url, json=body)).status_code == 202


async def test_upload_volume_over_the_per_user_limit_answers_429(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        accounts_stack(servers, tmp_path, upload_bytes_per_hour=20_000) as limited_stack,
        signed_in(limited_stack.gateway) as client,
    ):
        project = (await client.post("/api/v1/projects", json={"name": "P"})).json()["id"]
        image = media_samples.noisy_png(64, 64)
        assert 10_001 < len(image) < 19_000
        first = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("a.png", image)}
        )
        assert first.status_code == 201
        second = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("b.png", image)}
        )
        assert second.status_code == 429
        assert "uploaded bytes" in second.json()["detail"]
        assert int(second.headers["retry-after"]) > 0
        assert len((await client.get("/api/v1/assets")).json()["items"]) == 1


async def test_log_in_attempts_are_limited_per_address(servers: Servers, tmp_path: Path) -> None:
    async with (
        accounts_stack(servers, tmp_path, login_attempts_per_minute_per_ip=3) as limited_stack,
        limited_stack.client() as sprayer,
    ):
        statuses = [
            (
                await sprayer.post(
                    "/api/v1/auth/login", json={"email": new_email(), "password": "password1234"}
                )
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]


async def test_an_expired_api_token_is_refused(stack: FullStack, servers: Servers) -> None:
    async with signed_in(stack.gateway) as browser:
        created = (
            await browser.post("/api/v1/tokens", json={"name": "short", "expires_in_days": 1})
        ).json()
        assert created["expires_at"] is not None
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            await mongo[f"{servers.mongo_db_name}_gw"]["api_tokens"].update_one(
                {"_id": created["id"]}, {"$set": {"expires_ms": 1}}
            )
        finally:
            await mongo.close()
        refused = await browser.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}
        )
        assert refused.status_code == 401


@pytest.mark.parametrize(
    "email",
    [
        "a\u0000@example.com",
        "<script>alert(1)</script>@example.com",
        "a@example..com",
        ".dot@example.com",
        "\u202eevil@example.com",
        "line\nbreak@example.com",
    ],
    ids=["nul", "markup", "double-dot", "leading-dot", "bidi-override", "newline"],
)
async def test_sign_up_refuses_a_malformed_address_at_the_field(
    stack: FullStack, email: str
) -> None:
    async with stack.client() as client:
        response = await client.post(
            "/api/v1/auth/signup", json={"email": email, "password": "a long passphrase"}
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        error = response.json()["errors"][0]
        assert error["loc"] == ["body", "email"]
        # The validator's sentence as written, shown at the field ("An email address must have
        # an @-sign."), without pydantic's "Value error, " in front.
        assert not error["msg"].startswith("Value error"), error["msg"]
        assert "Value error" not in response.json()["detail"]
        assert "\u0000" not in response.text
        assert (await client.get("/api/v1/me")).status_code == 401  # no session was made


async def test_sign_up_normalises_the_address(stack: FullStack) -> None:
    local = new_email("Norm").split("@")[0]
    async with stack.client() as client:
        response = await client.post(
            "/api/v1/auth/signup",
            json={"email": f"  {local.upper()}@EXAMPLE.COM ", "password": "a long passphrase"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["user"]["email"] == f"{local.lower()}@example.com"
        again = await client.post(
            "/api/v1/auth/login",
            json={"email": f"{local}@Example.com", "password": "a long passphrase"},
        )
        assert again.status_code == 200
        bidi_name = await client.post(
            "/api/v1/auth/signup",
            json={
                "email": new_email(),
                "password": "a long passphrase",
                "display_name": "evil\u202etxt.exe",
            },
        )
        assert bidi_name.status_code == 422
        assert bidi_name.json()["errors"][0]["loc"] == ["body", "display_name"]


async def test_an_api_token_cannot_manage_the_accounts_sign_ins(stack: FullStack) -> None:
    """A token made another one that never expired, and so outlived its own revocation; it
    could also revoke the other tokens and end every browser session."""
    async with signed_in(stack.gateway) as browser:
        short = (
            await browser.post("/api/v1/tokens", json={"name": "short", "expires_in_days": 1})
        ).json()
        other = (await browser.post("/api/v1/tokens", json={"name": "other"})).json()
        async with httpx.AsyncClient(
            base_url=stack.gateway, headers={"Authorization": f"Bearer {short['token']}"}
        ) as script:
            for method, path, body in (
                ("POST", "/api/v1/tokens", {"name": "forever"}),
                ("DELETE", f"/api/v1/tokens/{other['id']}", None),
                ("POST", "/api/v1/auth/logout-all", None),
            ):
                refused = await script.request(method, path, json=body)
                assert refused.status_code == 403, (path, refused.text)
                problem = refused.json()
                assert problem["type"].endswith("/session-required"), problem
                assert "browser session" in problem["detail"], problem
            # What a token may do with tokens: see them, and give itself up (`studio logout`).
            listed = (await script.get("/api/v1/tokens")).json()["items"]
            assert {t["name"] for t in listed} == {"short", "other"}
            assert (await browser.get("/api/v1/me")).status_code == 200, "sessions untouched"
            assert (await script.delete(f"/api/v1/tokens/{short['id']}")).status_code == 204
            assert (await script.get("/api/v1/me")).status_code == 401
        names = {t["name"] for t in (await browser.get("/api/v1/tokens")).json()["items"]}
        assert names == {"other"}
