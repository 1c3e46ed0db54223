"""Access as the fifth QA pass found it: a page that stayed on its error after the service came
back, and API tokens that could not be given an expiry."""

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Page, Route, expect

from tests.browser.helpers import (
    answer_service_down,
    assert_accessible,
    create_project,
    import_studio_module,
)
from tests.support.accounts import ACCOUNTS, new_email
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.waiting import eventually

APOS = "\u2019"
PASSWORD = "correct horse battery"


async def test_a_page_recovers_by_itself_when_its_service_is_back(
    studio: FullStack, page: Page
) -> None:
    asked: list[float] = []

    async def assets(route: Route) -> None:
        asked.append(time.monotonic())
        if len(asked) <= 2:
            await answer_service_down(route, "assets")
        else:
            await route.continue_()

    # Only the assets service is down: the live stream stays up, so no `reset` reloads the page.
    await page.route(re.compile(r"/api/v1/assets\?"), assets)
    await page.goto(studio.gateway + "/studio/assets")
    await expect(page.locator(".empty__body")).to_have_text(
        f"The studio{APOS}s file service is not answering right now. Try again in a moment."
    )
    await expect(page.locator("html[data-live=online]")).to_have_count(1)

    # Nothing pressed: the page asks again (2 s, then 4 s later) and shows the gallery.
    await expect(page.get_by_role("heading", name="No assets yet")).to_be_visible(timeout=20_000)
    assert len(asked) == 3
    first_wait, second_wait = asked[1] - asked[0], asked[2] - asked[1]
    assert first_wait >= 1.9
    assert second_wait >= 3.9


async def test_the_studio_starts_by_itself_once_sign_in_can_be_checked_again(
    studio: FullStack, page: Page
) -> None:
    asked: list[float] = []

    async def me(route: Route) -> None:
        asked.append(time.monotonic())
        if len(asked) <= 2:
            await route.fulfill(
                status=503,
                content_type="application/problem+json",
                body=json.dumps(
                    {
                        "title": "Service Unavailable",
                        "status": 503,
                        "detail": "Sign-in cannot be checked right now (the accounts database "
                        "is unavailable); try again shortly.",
                    }
                ),
            )
        else:
            await route.continue_()

    await page.route("**/api/v1/me", me)
    await page.goto(studio.gateway + "/studio")
    await expect(page.get_by_role("button", name="Try again")).to_be_visible()
    # Asked again in place, not by reloading the page: the second wait is longer than the
    # first (a reload would forget the first and wait 2 s each time, for ever).
    await expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible(
        timeout=20_000
    )
    assert len(asked) == 3
    assert asked[2] - asked[1] >= 3.9


async def test_a_limit_says_how_long_to_wait_once(studio: FullStack, page: Page) -> None:
    await page.goto(studio.gateway + "/studio")
    said = await import_studio_module(
        page,
        "api.js",
        "(api, details) => details.map((detail) =>"
        " api.errorMessage(new api.ApiError(429, { detail }, 8)))",
        [
            "Too many requests: the limit is 600 a minute. Try again in 8 s.",
            "Too many open event streams: one user may have 8 at once. Close one (each browser "
            "tab keeps one), or try again later.",
        ],
    )
    assert said == [
        "Too many requests: the limit is 600 a minute. Try again in 8 seconds.",
        "Too many open event streams: one user may have 8 at once. Close one (each browser "
        "tab keeps one), or try again in 8 seconds.",
    ]


async def test_try_again_still_asks_at_once(studio: FullStack, page: Page) -> None:
    asked = 0

    async def assets(route: Route) -> None:
        nonlocal asked
        asked += 1
        await answer_service_down(route, "assets")

    await page.route(re.compile(r"/api/v1/assets\?"), assets)
    await page.goto(studio.gateway + "/studio/assets")
    retry = page.get_by_role("button", name="Try again")
    await expect(retry).to_be_visible()
    await retry.focus()
    # The first wait by itself is 2 s: a second request well inside it is the button's.
    started = time.monotonic()
    await retry.press("Enter")
    await eventually(lambda: asked == 2, what="Try again asked again")
    assert time.monotonic() - started < 1.5


async def test_the_panel_loads_its_models_by_itself_when_the_catalog_is_back(
    studio: FullStack, page: Page
) -> None:
    down = True

    async def catalog(route: Route) -> None:
        if down:
            await answer_service_down(route, "catalog")
        else:
            await route.continue_()

    await page.route("**/api/v1/models**", catalog)
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    alert = page.locator(".gen-panel [role=alert]")
    await expect(alert).to_contain_text("The models could not be loaded.")
    prompt = page.get_by_label("Prompt", exact=True)
    await prompt.fill("moss on a wet stone")

    down = False
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Local Image", timeout=20_000
    )
    await expect(alert).to_be_hidden()
    # Nobody pressed anything: what the person typed, and where, stays.
    await expect(prompt).to_be_focused()
    await expect(prompt).to_have_value("moss on a wet stone")


async def test_an_api_token_is_given_an_expiry_and_its_name_a_limit(
    accounts_studio: FullStack, page: Page
) -> None:
    await page.goto(accounts_studio.gateway + "/studio/sign-up")
    await page.get_by_label("E-mail address").fill(new_email("expiry"))
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await page.goto(accounts_studio.gateway + "/studio/tokens")

    # A name longer than the server takes (TokenName: 100 characters) is kept whole and refused
    # with a word, not cut short unseen.
    name = page.get_by_label("Token name")
    await name.fill("x" * 120)
    await expect(name).to_have_value("x" * 120)
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator("[data-field=name] .field__error")).to_have_text(
        "At most 100 characters. This one has 120."
    )
    await expect(name).to_be_focused()
    await expect(page.locator("[data-testid=token-secret]")).to_have_count(0)

    expires = page.get_by_label("Expires")
    await expect(expires).to_have_value("")
    assert await expires.locator("option").all_text_contents() == [
        "Never",
        "In 30 days",
        "In 90 days",
        "In 365 days",
    ]
    await name.fill("render farm script")
    await expires.select_option(label="In 30 days")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator(".token-secret")).to_contain_text(
        "Token \u201crender farm script\u201d created, valid until"
    )
    await name.fill("kept forever")
    await expires.select_option(label="Never")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator(".token-secret")).to_contain_text(
        "Token \u201ckept forever\u201d created. Copy it"
    )

    rows = page.get_by_role("list", name="Your API tokens").get_by_role("listitem")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="kept forever")).to_contain_text("Never expires")
    farm = rows.filter(has_text="render farm script")
    expiry = farm.locator("time[datetime]").last
    await expect(expiry).to_contain_text("Expires ")
    stamp = await expiry.get_attribute("datetime")
    assert stamp is not None
    days = (datetime.fromisoformat(stamp) - datetime.now(UTC)) / timedelta(days=1)
    assert 29.9 < days <= 30
    await assert_accessible(page)


SHORT_SESSION_S = 6.0


async def test_an_open_page_goes_to_sign_in_when_its_session_expires(
    servers: Servers, tmp_path: Path, page: Page
) -> None:
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        gateway={**ACCOUNTS, "session_ttl_s": SHORT_SESSION_S},
    ) as stack:
        await page.goto(stack.gateway + "/studio/sign-up")
        await page.get_by_label("E-mail address").fill(new_email("expires"))
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Create account").click()
        await expect(page).to_have_url(re.compile(r"/studio$"))
        await expect(page.locator("html[data-live=online]")).to_have_count(1)
        # Nothing clicked: the live stream ends with the session, and the page says why.
        await expect(page).to_have_url(
            re.compile(r"/studio/sign-in\?next=%2Fstudio$"), timeout=(SHORT_SESSION_S + 15) * 1000
        )
        await expect(page.get_by_role("alert")).to_contain_text("Your session has ended")
