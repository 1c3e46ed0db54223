"""Access as the sixth QA pass found it: a rate limit whose detail leaves the wait open ("try
again later") was told the wait twice; on a phone, a token's meta line wrapped so a line began
with its separator dot."""

import json
import re

import httpx
from playwright.async_api import Page, Route, expect

from tests.browser.helpers import LINE_STARTS, PHONE, assert_accessible, import_studio_module
from tests.support.accounts import new_email
from tests.support.full_stack import FullStack

PASSWORD = "correct horse battery"


async def test_a_limit_that_says_try_again_later_is_told_the_wait_once(
    studio: FullStack, page: Page
) -> None:
    async def limited(route: Route) -> None:
        await route.fulfill(
            status=429,
            headers={"Retry-After": "30"},
            content_type="application/problem+json",
            body=json.dumps(
                {
                    "title": "Too Many Requests",
                    "status": 429,
                    "detail": "Too many open event streams: one user may have 8 at once. Close "
                    "one (each browser tab keeps one), or try again later.",
                }
            ),
        )

    await page.route(re.compile(r"/api/v1/assets\?"), limited)
    await page.goto(studio.gateway + "/studio/assets")
    await expect(page.locator(".empty__body")).to_have_text(
        "Too many open event streams: one user may have 8 at once. Close one (each browser tab "
        "keeps one), or try again in 30 seconds."
    )


async def test_every_way_of_leaving_the_wait_open_is_told_it_once(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/studio")
    said = await import_studio_module(
        page,
        "api.js",
        "(api, details) => details.map((detail) =>"
        " api.errorMessage(new api.ApiError(429, { detail }, 8)))",
        [
            "Busy. Try Again In A While.",
            "try again later: the queue is full",
            "Wait for some to finish (or cancel some), then try again.",
            "Too many requests: the limit is 600 a minute. Try again in 8 s.",
            "Slow down.",
        ],
    )
    assert said == [
        "Busy. Try Again in 8 seconds.",
        "Try again in 8 seconds: the queue is full",
        "Wait for some to finish (or cancel some), then try again in 8 seconds.",
        "Too many requests: the limit is 600 a minute. Try again in 8 seconds.",
        "Slow down. Try again in 8 seconds.",
    ]


async def test_a_tokens_meta_line_never_starts_a_line_with_its_separator(
    accounts_studio: FullStack, page: Page
) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(accounts_studio.gateway + "/studio/sign-up")
    await page.get_by_label("E-mail address").fill(new_email("meta"))
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await page.goto(accounts_studio.gateway + "/studio/tokens")
    await page.get_by_label("Token name").fill("render farm script")
    await page.get_by_label("Expires").select_option(label="In 365 days")
    await page.get_by_role("button", name="Create token").click()
    secret = await page.get_by_test_id("token-secret").text_content()
    # Used once, so the row says all three: created, last used, expires.
    async with httpx.AsyncClient(base_url=accounts_studio.gateway) as client:
        used = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert used.status_code == 200, used.text
    await page.reload()
    rows = page.get_by_role("list", name="Your API tokens").get_by_role("listitem")
    await expect(rows).to_have_count(1)
    meta = rows.first.locator(".list__meta")
    await expect(meta).to_contain_text("Last used")
    await expect(meta).to_contain_text("Expires ")

    # At 390 px the parts do not fit one line; where the line breaks depends on the width (and
    # the font), so phone widths around it are tried too: a wrapped line starts with a part.
    wrapped = {}
    for width in (390, *range(300, 480, 3)):
        await page.set_viewport_size({"width": width, "height": PHONE["height"]})
        starts = await meta.evaluate(LINE_STARTS)
        assert not [start for start in starts if "\u00b7" in start], (width, starts)
        wrapped[width] = len(starts)
    assert wrapped[390] >= 2, wrapped
    # Wide, the parts share one line with a dot between each two.
    await page.set_viewport_size({"width": 1440, "height": PHONE["height"]})
    assert await meta.evaluate(LINE_STARTS) == ["C"]
    await assert_accessible(page)
