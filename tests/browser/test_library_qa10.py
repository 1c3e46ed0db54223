"""QA pass 10 on the lists: a search box stops where the API would refuse (200 characters), a
link carrying a longer search is cut to it instead of failing the page, and a count with more
to load reads "24+ projects" (and "24+ templates"), not "24 projects+"."""

import asyncio
import re

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project
from tests.support.full_stack import FullStack

LONG = "fern " * 50  # 250 characters


async def test_a_search_stops_at_what_the_api_takes_in_the_box_and_in_a_link(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Fern")
    for path, name in (
        ("/studio", "Search projects"),
        ("/studio/assets", "Search assets"),
        ("/studio/templates", "Search your templates"),
    ):
        await page.goto(studio.gateway + path)
        search = page.get_by_role("searchbox", name=name)
        await search.fill(LONG)
        await expect(search).to_have_value(LONG[:200])
        await expect(page.get_by_text("At most 200 characters")).to_have_count(0)
        await expect(page.get_by_role("heading", name="Something went wrong")).to_have_count(0)

    for path, name in (("/studio", "Search projects"), ("/studio/assets", "Search assets")):
        await page.goto(f"{studio.gateway}{path}?q={LONG.replace(' ', '+')}")
        await expect(page.get_by_role("searchbox", name=name)).to_have_value(LONG[:200])
        await expect(page.get_by_role("heading", name="Something went wrong")).to_have_count(0)
        await expect(page.get_by_role("heading", name=re.compile("^No .* match"))).to_be_visible()


async def test_a_count_with_more_to_load_puts_the_plus_on_the_number(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await asyncio.gather(*(create_project(client, f"Odd {i}") for i in range(25)))
    await page.goto(studio.gateway + "/studio")
    summary = page.locator(".projects-summary")
    await expect(summary).to_have_text("24+ projects")
    await page.goto(studio.gateway + "/studio?q=odd")
    await expect(summary).to_have_text("24+ projects matching “odd”")

    async with studio.client() as client:
        made = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/templates",
                    json={
                        "name": f"Odd {i}",
                        "type": "text-to-image",
                        "model_id": "local/image",
                        "prompt": "moss",
                    },
                )
                for i in range(25)
            )
        )
        assert all(answer.status_code == 201 for answer in made)
    await page.goto(studio.gateway + "/studio/templates")
    await expect(page.locator(".templates-section__count")).to_have_text("24+ templates")
