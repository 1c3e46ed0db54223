"""The project bar's counts follow what happens in the project at once (QA 13: they lagged
seconds behind a card that said Completed, waiting for the server's figures after a quiet
spell): each live event counts, and the server's figures correct them later."""

from playwright.async_api import Page, Route, expect

from tests.browser.helpers import create_project, start_generation, upload_image
from tests.support.full_stack import FullStack


async def test_the_bar_counts_from_live_events_without_asking_the_server(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Counting")
        await page.goto(f"{studio.gateway}/studio/{project}")
        await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
        stats = page.locator(".project-bar__stats")
        await expect(stats).to_contain_text("no generations")

        async def refuse(route: Route) -> None:
            await route.abort()

        # The server's figures cannot be had now: what the bar says comes from the events.
        await page.route(f"**/api/v1/projects/{project}", refuse)
        await upload_image(client, project, "one.png")
        await upload_image(client, project, "two.png")
        await start_generation(client, project, "a heron")

        # Before: "no generations · no assets" until a refresh of the project answered.
        await expect(stats).to_contain_text("1 generation")
        await expect(stats).to_contain_text("3 assets")  # two uploads and the output
        await page.unroute(f"**/api/v1/projects/{project}")
        listed = await client.get(f"/api/v1/projects/{project}/assets", params={"limit": 1})
        asset = listed.json()["items"][0]["id"]
        assert (await client.delete(f"/api/v1/assets/{asset}")).status_code == 204
        await expect(stats).to_contain_text("2 assets")
