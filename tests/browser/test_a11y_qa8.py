"""Accessibility details from the eighth QA pass: what a screen reader hears of a row of facts,
and where the keyboard starts on a page that has just opened."""

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import LINE_STARTS, create_project
from tests.support import media_samples
from tests.support.full_stack import FullStack


async def test_a_row_of_facts_is_read_with_its_separators(studio: FullStack, page: Page) -> None:
    async with httpx.AsyncClient(base_url=studio.gateway) as client:
        await create_project(client, "Empty shelf")
        await create_project(client, "Harbour")
    await page.goto(f"{studio.gateway}/studio/assets")
    await page.get_by_role("button", name="Upload", exact=True).click()
    dialog = page.get_by_role("dialog", name="Upload to which project?")
    # The dots between the facts are drawn by CSS, which is not text: the facts were read run
    # together, "no generations no assets just now".
    choice = dialog.get_by_role("radio", name=re.compile("^Empty shelf"))
    await expect(choice).to_have_accessible_name(
        re.compile(r"^Empty shelf,? no generations, no assets, \S")
    )
    # Each fact is still its own words alone: the comma is only read, never drawn.
    meta = dialog.locator(".project-choice__text").filter(has_text="Empty shelf")
    await expect(meta.locator(".meta-parts__item")).to_have_text(
        ["no generations", "no assets", re.compile(r"^\w")]
    )


async def test_the_first_tab_on_a_page_that_opens_reaches_the_skip_link(
    studio: FullStack, page: Page
) -> None:
    await page.goto(f"{studio.gateway}/studio")
    heading = page.get_by_role("heading", level=1, name="Projects")
    await expect(heading).to_be_visible()
    await expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")
    # It put focus on the heading, so the first Tab went past the skip link to New project.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    # A move to another page (no reload) takes focus to its heading, for screen readers.
    await (
        page.get_by_role("navigation", name="Studio")
        .get_by_role("link", name="Generations")
        .click()
    )
    await expect(page.get_by_role("heading", level=1, name="Generations")).to_be_focused()


async def test_the_list_views_size_and_length_wrap_between_parts_never_at_a_dot(
    studio: FullStack, page: Page
) -> None:
    async with httpx.AsyncClient(base_url=studio.gateway) as client:
        project_id = await create_project(client, "Reels")
        uploaded = await client.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": ("tide.mp4", media_samples.mp4(160, 96), "video/mp4")},
        )
        assert uploaded.status_code == 201, uploaded.text
    await page.goto(f"{studio.gateway}/studio/assets")
    await page.get_by_role("button", name="List view").click()
    cell = page.locator("td.asset-row__extent").first
    # It was one string, "160 x 96 \u00b7 0:02", that could wrap at the dot in a narrow cell.
    await expect(cell.locator(".meta-parts__item")).to_have_text(
        ["160 \u00d7 96", re.compile(r"^\d+:\d\d$")]
    )
    checked = []
    for width in range(900, 1300, 20):
        await page.set_viewport_size({"width": width, "height": 800})
        if not await cell.is_visible():
            continue
        starts = await cell.locator(".meta-parts").evaluate(LINE_STARTS)
        assert not [start for start in starts if "\u00b7" in start], (width, starts)
        checked.append(width)
    assert checked
