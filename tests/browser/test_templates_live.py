"""The Templates page follows the person's templates as they change elsewhere (another tab, the
CLI): saved, renamed, renamed out of the search, deleted, without a reload."""

import httpx
from playwright.async_api import Page, expect

from tests.support.full_stack import FullStack


async def _template(client: httpx.AsyncClient, name: str, prompt: str = "moss") -> str:
    response = await client.post(
        "/api/v1/templates",
        json={"name": name, "type": "text-to-image", "model_id": "local/image", "prompt": prompt},
    )
    assert response.status_code == 201, response.text
    template_id: str = response.json()["id"]
    return template_id


async def test_templates_saved_renamed_and_deleted_elsewhere_show_at_once(
    studio: FullStack, page: Page
) -> None:
    own = page.get_by_test_id("user-templates").locator("article.template-card")
    async with studio.client() as client:
        first = await _template(client, "Mossy stones")
        await page.goto(studio.gateway + "/studio/templates")
        await expect(own).to_have_count(1)
        await expect(page.locator("html[data-live=online]")).to_have_count(1)

        second = await _template(client, "Fern study", prompt="ferns")
        await expect(own).to_have_count(2)
        await expect(own.first).to_have_attribute("data-template-id", second)  # newest first
        await expect(page.get_by_text("2 templates")).to_be_visible()

        renamed = await client.patch(f"/api/v1/templates/{first}", json={"name": "Wet stones"})
        assert renamed.status_code == 200, renamed.text
        await expect(own.get_by_role("heading", name="Wet stones")).to_be_visible()
        await expect(own.get_by_role("heading", name="Mossy stones")).to_have_count(0)

        assert (await client.delete(f"/api/v1/templates/{second}")).status_code == 204
        await expect(own).to_have_count(1)
        await expect(own.first).to_have_attribute("data-template-id", first)

        # With a search typed, a template saved elsewhere shows only if the search finds it.
        await page.get_by_label("Search your templates").fill("stone")
        await expect(page.get_by_text("1 template")).to_be_visible()
        await _template(client, "Ferns again", prompt="ferns")
        found = await _template(client, "Stone wall", prompt="a wall")
        await expect(own).to_have_count(2)
        await expect(own.first).to_have_attribute("data-template-id", found)
        await expect(own.get_by_role("heading", name="Ferns again")).to_have_count(0)
        # Renamed elsewhere out of the search: it leaves the list the search made.
        assert (
            await client.patch(f"/api/v1/templates/{found}", json={"name": "Brick wall"})
        ).status_code == 200
        await expect(own).to_have_count(1)

        # The last one deleted elsewhere: the empty state of the search, focus left alone.
        search = page.get_by_label("Search your templates")
        await search.focus()
        assert (await client.delete(f"/api/v1/templates/{first}")).status_code == 204
        await expect(page.get_by_text("No templates match")).to_be_visible()
        await expect(
            page.get_by_text("None of your templates has “stone” in its name or prompt.")
        ).to_be_visible()
        await expect(search).to_be_focused()
