"""Access as the sixth QA pass found it: a rate limit whose detail leaves the wait open ("try
again later") was told the wait twice."""

import json
import re

from playwright.async_api import Page, Route, expect

from tests.browser.helpers import import_studio_module
from tests.support.full_stack import FullStack


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
