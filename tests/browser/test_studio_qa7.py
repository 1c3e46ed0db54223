"""The studio as the seventh QA pass found it: on a phone, the project header's stats and a
history card's meta line wrapped so a line began with a separator dot; the sign-in page cut a
429's detail from its "try again later" on; a card waiting to retry showed a running bar."""

import json
import re
from typing import Any

from playwright.async_api import Locator, Page, Route, expect

from tests.browser.helpers import (
    LINE_STARTS,
    PHONE,
    create_project,
    fake_generation,
)
from tests.support.full_stack import FullStack

GENERATIONS_LIST = re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations\?")


async def _wraps_between_whole_parts(page: Page, meta: Locator) -> None:
    """At phone widths (in steps of 2 px, as where a line breaks depends on width and font;
    from 240 px so that a break falls next to each separator) no line of `meta` starts with
    its dot; on the narrowest it does wrap."""
    lines = {}
    for width in (390, *range(240, 480, 2)):
        await page.set_viewport_size({"width": width, "height": PHONE["height"]})
        starts = await meta.evaluate(LINE_STARTS)
        assert not [start for start in starts if "\u00b7" in start], (width, starts)
        lines[width] = len(starts)
    assert lines[240] >= 2, lines


async def test_the_project_headers_stats_never_start_a_line_with_a_dot(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")

    async def busy_project(route: Route) -> None:
        # A project with many of each: counts long enough to wrap the line on a phone.
        answer = await route.fetch()
        project: dict[str, Any] = await answer.json()
        project.update(generation_count=123_456, asset_count=654_321)
        await route.fulfill(response=answer, body=json.dumps(project))

    await page.route(re.compile(rf"/api/v1/projects/{project_id}$"), busy_project)
    await page.set_viewport_size(PHONE)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    stats = page.locator(".project-bar__stats")
    await expect(stats).to_contain_text("654,321 assets")
    await _wraps_between_whole_parts(page, stats)
    # Wide, the parts share one line with a dot between each two.
    await page.set_viewport_size({"width": 1440, "height": PHONE["height"]})
    assert await stats.evaluate(LINE_STARTS) == ["1"]


async def test_a_history_cards_meta_never_starts_a_line_with_a_dot(
    studio: FullStack, page: Page
) -> None:
    async def history(route: Route) -> None:
        project_id = route.request.url.split("/projects/")[1].split("/")[0]
        # A hosted model with a long name ("FLUX1.1 [pro] ultra").
        failed = fake_generation(
            project_id,
            "failed",
            model_id="fal-ai/flux-pro/v1.1-ultra",
            completed_at="2026-01-01T00:00:04Z",
            error={"code": "provider_error", "message": "The provider failed."},
        )
        await route.fulfill(
            content_type="application/json",
            body=json.dumps({"items": [failed], "next_cursor": None}),
        )

    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
    await page.route(GENERATIONS_LIST, history)
    await page.set_viewport_size(PHONE)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    meta = page.locator("article.gen-card .gen-card__meta")
    await expect(meta).to_contain_text("failed after 4 s")
    await _wraps_between_whole_parts(page, meta)


async def test_sign_in_keeps_the_words_after_an_open_wait_and_counts_it_down(
    accounts_studio: FullStack, page: Page
) -> None:
    async def limited(route: Route) -> None:
        await route.fulfill(
            status=429,
            headers={"Retry-After": "4"},
            content_type="application/problem+json",
            body=json.dumps(
                {
                    "title": "Too Many Requests",
                    "status": 429,
                    "detail": "Too many attempts for this account; try again later or reset "
                    "the password.",
                }
            ),
        )

    await page.route("**/api/v1/auth/login", limited)
    await page.goto(accounts_studio.gateway + "/studio/sign-in")
    await page.get_by_label("E-mail address").fill("heron@example.com")
    await page.get_by_label("Password").fill("correct horse battery")
    submit = page.get_by_role("button", name="Sign in")
    await submit.click()
    alert = page.get_by_role("alert")
    # Before: "Too many attempts for this account; Try again in 4 seconds." (the rest cut).
    await expect(alert).to_have_text(
        re.compile(
            r"^Too many attempts for this account; try again in [1-4] seconds? or reset the "
            r"password\.$"
        )
    )
    await expect(submit).to_be_disabled()
    # The wait is still counted down to its end.
    await expect(alert).to_have_text("You can try again now.", timeout=15_000)
    await expect(submit).to_be_enabled()


async def test_a_card_waiting_to_retry_has_no_running_bar(studio: FullStack, page: Page) -> None:
    reason = "Trying again in about 8 s (attempt 2 of 5): fal.ai did not answer"

    async def history(route: Route) -> None:
        project_id = route.request.url.split("/projects/")[1].split("/")[0]
        waiting = fake_generation(
            project_id,
            "pending",
            attempts=1,
            progress={"queue_position": None, "percent": None, "logs": [reason]},
        )
        await route.fulfill(
            content_type="application/json",
            body=json.dumps({"items": [waiting], "next_cursor": None}),
        )

    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
    await page.route(GENERATIONS_LIST, history)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator("article.gen-card")
    await expect(card.locator(".gen-card__status")).to_have_text("Waiting to retry")
    await expect(card.locator(".gen-card__log")).to_have_text(reason)
    # Before: an indeterminate (moving) bar and a shimmering placeholder, as if it ran.
    await expect(card.locator("progress")).to_have_count(0)
    placeholder = card.locator(".gen-card__placeholder")
    await expect(placeholder).to_have_css("animation-name", "none")
