"""The library (asset gallery, uploads) as the fourth QA pass found it: what a person saw go wrong,
checked the way they would meet it."""

import asyncio
import contextlib
import io
import re

from PIL import Image
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import FilePayload, Page, Route, expect

from tests.browser.helpers import create_project, upload_image
from tests.support import media_samples
from tests.support.full_stack import FullStack


def _animated_gif() -> bytes:
    """Three frames, red, green and blue, looping."""
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return out.getvalue()


async def test_an_upload_can_be_cancelled_while_it_is_sent(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Slow line")
    held: list[Route] = []
    both_sent = asyncio.Event()

    async def hold(route: Route) -> None:
        # The request waits here as it would on a slow connection, until the test lets it go.
        held.append(route)
        if len(held) == 2:
            both_sent.set()

    await page.goto(f"{studio.gateway}/studio/{project}")
    await page.get_by_role("tab", name="Assets").click()
    await expect(page.get_by_role("heading", name="No assets in this project yet")).to_be_visible()
    await page.route(f"**/api/v1/projects/{project}/assets", hold)
    await page.get_by_test_id("gallery-file-input").set_input_files(
        files=[
            FilePayload(name="long take.png", mimeType="image/png", buffer=media_samples.png()),
            FilePayload(name="quick.png", mimeType="image/png", buffer=media_samples.png()),
        ]
    )
    await asyncio.wait_for(both_sent.wait(), timeout=30)
    row = page.locator(".upload-row").filter(has_text="long take.png")
    await row.get_by_role("button", name="Cancel upload of long take.png").click()
    await expect(row).to_contain_text("Cancelled")
    await expect(row.get_by_role("button", name="Cancel upload of long take.png")).to_be_hidden()
    await expect(page.locator("#toasts")).not_to_contain_text("failed")

    # The other file goes on: its request is let through to the server.
    for route in held:
        if b"quick.png" in (route.request.post_data_buffer or b""):
            await route.continue_()
        else:  # the cancelled one is never let through (the browser has dropped it already)
            with contextlib.suppress(PlaywrightError):
                await route.abort()
    await expect(page.locator("article.asset-card")).to_have_count(1)
    await expect(page.locator("article.asset-card")).to_contain_text("quick.png")
    await expect(page.locator(".upload-tray")).to_be_hidden()
    async with studio.client() as client:
        listed = (await client.get(f"/api/v1/projects/{project}/assets")).json()["items"]
    assert [asset["name"] for asset in listed] == ["quick.png"]


async def test_favorites_with_none_yet_say_how_to_make_one(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Moodboard")
        await upload_image(client, project, "dune.png")
    await page.goto(f"{studio.gateway}/studio/{project}")
    await page.get_by_role("tab", name="Assets").click()
    cards = page.locator("article.asset-card")
    await expect(cards).to_have_count(1)

    await page.get_by_role("button", name="Favorites").click()
    await expect(page.get_by_role("heading", name="No favorites yet")).to_be_visible()
    await expect(page.get_by_role("heading", name="No assets match")).to_have_count(0)
    await page.get_by_role("button", name="Show all assets").click()
    await expect(cards).to_have_count(1)
    await expect(page.get_by_role("button", name="All", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    await cards.first.hover()
    await page.get_by_role("button", name="Favorite dune.png").click()
    await expect(page.get_by_role("button", name="Favorite dune.png")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.get_by_role("button", name="Favorites").click()
    await expect(cards).to_have_count(1)


async def test_a_gif_is_marked_as_one_and_plays_in_the_viewer(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Loops")
        for name, data, mime in (
            ("still.png", media_samples.png(), "image/png"),
            ("spinner.gif", _animated_gif(), "image/gif"),
        ):
            response = await client.post(
                f"/api/v1/projects/{project}/assets", files={"file": (name, data, mime)}
            )
            assert response.status_code == 201, response.text
    await page.goto(f"{studio.gateway}/studio/assets")
    gif = page.locator("article.asset-card", has_text="spinner.gif")
    await expect(gif.locator(".asset-chip")).to_have_text("GIF")
    still = page.locator("article.asset-card", has_text="still.png")
    await expect(still).to_be_visible()
    await expect(still.locator(".asset-chip")).to_have_count(0)

    # The viewer shows the file itself, every frame, not the still thumbnail.
    await page.get_by_role("button", name="Open spinner.gif").click()
    viewer = page.get_by_role("dialog")
    await expect(viewer.locator("img")).to_have_attribute("src", re.compile(r"/content$"))


async def test_a_template_used_in_a_new_project_opens_in_it(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        await create_project(client, "Moss and stone")
        await create_project(client, "Neon city")
        response = await client.post(
            "/api/v1/templates",
            json={
                "name": "Harbour at dawn",
                "type": "text-to-image",
                "model_id": "local/image",
                "prompt": "a quiet harbour at dawn, mist on the water",
                "params": {},
            },
        )
        assert response.status_code == 201, response.text
    await page.goto(f"{studio.gateway}/studio/templates")
    await page.get_by_role("button", name="Use Harbour at dawn").click()
    dialog = page.get_by_role("dialog", name="Use in which project?")
    await dialog.get_by_role("button", name="New project").click()

    await expect(page.get_by_text("the template\u2019s settings open in it")).to_be_visible()
    await page.get_by_label("Name").fill("Harbour series")
    await page.get_by_role("button", name="Create project").click()
    await expect(page.get_by_role("heading", name="Harbour series")).to_be_visible()
    await expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        "a quiet harbour at dawn, mist on the water"
    )


async def test_the_viewer_marks_a_favorite_with_the_cards_star(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Stars")
        await upload_image(client, project, "dune.png")
    await page.goto(f"{studio.gateway}/studio/assets")
    card = page.locator("article.asset-card", has_text="dune.png")
    card_star = card.get_by_role("button", name="Favorite dune.png")
    await card.get_by_role("button", name="Open dune.png").click()
    viewer = page.get_by_role("dialog")
    favorite = viewer.get_by_role("button", name="Favorite")
    await favorite.click()
    await expect(favorite).to_have_attribute("aria-pressed", "true")
    await expect(card_star).to_have_attribute("aria-pressed", "true")

    shape = "(button) => button.querySelector('svg path').getAttribute('d')"
    assert await favorite.evaluate(shape) == await card_star.evaluate(shape)
    warning = await page.evaluate(
        "() => { const p = document.createElement('p'); p.style.color ="
        " 'var(--color-warning-text)'; document.body.append(p);"
        " const c = getComputedStyle(p).color; p.remove(); return c; }"
    )
    # Polled: the colour may still be in its transition right after the click.
    await expect(favorite).to_have_css("color", warning)


async def test_the_viewer_goes_on_into_the_galleries_next_page(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Contact sheet")
        for i in range(55):
            response = await client.post(
                f"/api/v1/projects/{project}/assets",
                files={"file": (f"frame-{i:02d}.png", media_samples.png(8, 8), "image/png")},
            )
            assert response.status_code == 201, response.text
    await page.goto(f"{studio.gateway}/studio/{project}")
    await page.get_by_role("tab", name="Assets").click()
    cards = page.locator("article.asset-card")
    await expect(cards).to_have_count(50)
    await page.get_by_role("button", name="Open frame-54.png").click()
    viewer = page.get_by_role("dialog")
    counter = viewer.locator(".viewer__counter")
    await expect(counter).to_have_text("1 of 50+")

    # Back from the first goes round to the last one loaded; on from there loads the next page.
    await page.keyboard.press("ArrowLeft")
    await expect(counter).to_have_text("50 of 50+")
    await expect(viewer.locator(".dialog__title")).to_have_text("frame-05.png")
    await page.keyboard.press("ArrowRight")
    await expect(counter).to_have_text("51 of 55")
    await expect(viewer.locator(".dialog__title")).to_have_text("frame-04.png")
    await expect(cards).to_have_count(55)
