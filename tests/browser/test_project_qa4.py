"""What a fourth hands-on QA pass of the project page found, each shown in a browser: the
history names models and types once the catalog's Try again has loaded it."""

import json
import re

from playwright.async_api import Page, Route, expect

from tests.browser.helpers import create_project, start_generation
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually


async def test_history_names_models_after_the_catalog_retry(studio: FullStack, page: Page) -> None:
    down = True

    async def catalog(route: Route) -> None:
        if not down:
            await route.continue_()
            return
        await route.fulfill(
            status=502,
            content_type="application/problem+json",
            body=json.dumps(
                {
                    "title": "Bad Gateway",
                    "status": 502,
                    "detail": "the catalog service is unavailable",
                }
            ),
        )

    await page.route("**/api/v1/models**", catalog)
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
        generation = await start_generation(client, project_id)

        async def completed() -> bool:
            record = (await client.get(f"/api/v1/generations/{generation['id']}")).json()
            return bool(record["status"] == "completed")

        # Done before the page opens: no later event redraws the card with the catalog's names.
        await eventually(completed, within=20)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    meta = page.locator("article.gen-card .gen-card__meta")
    # Without the catalog the card can only give the model's id.
    await expect(meta).to_contain_text("local/image")

    down = False
    await page.locator(".gen-panel [role=alert]").get_by_role("button", name="Try again").click()
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Local Image"
    )
    await expect(meta).to_contain_text("Local Image")
