"""Uploads lose nothing without a word: a file that failed for a reason that passes can be sent
again from its row, and closing the tab while one is on its way asks first."""

import asyncio
import re

import httpx
from playwright.async_api import Dialog, FilePayload, Page, Route, expect

from tests.browser.helpers import create_project
from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

ASSETS_POST = re.compile(r"/api/v1/projects/[0-9a-f]{24}/assets$")


async def _projects(client: httpx.AsyncClient) -> None:
    # Two, so the gallery asks which one an upload goes to, as people with several see it.
    await create_project(client, "Moodboard")
    await create_project(client, "Sketches")


async def _choose(page: Page, *files: FilePayload) -> None:
    await page.get_by_role("button", name="Upload", exact=True).click()
    dialog = page.get_by_role("dialog", name="Upload to which project?")
    await dialog.get_by_text("Moodboard").click()
    async with page.expect_file_chooser() as chooser_info:
        await dialog.get_by_role("button", name="Choose files").click()
    await (await chooser_info.value).set_files(list(files))


async def test_a_failed_upload_is_tried_again_from_its_row(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        await _projects(client)
    sent: list[str] = []

    async def down_once(route: Route) -> None:
        sent.append(route.request.url)
        if len(sent) == 1:
            await route.fulfill(
                status=503,
                json={"title": "Service Unavailable", "status": 503, "detail": None},
                headers={"content-type": "application/problem+json"},
            )
        else:
            await route.continue_()

    await page.route(ASSETS_POST, down_once)
    await page.goto(studio.gateway + "/studio/assets")
    await _choose(
        page, FilePayload(name="dune.png", mimeType="image/png", buffer=media_samples.png(96, 64))
    )
    tray = page.get_by_role("region", name="Uploads")
    row = tray.locator(".upload-row", has_text="dune.png")
    await expect(row.get_by_role("alert")).to_contain_text("not answering right now")
    again = row.get_by_role("button", name="Try again to upload dune.png")
    await again.focus()
    await page.keyboard.press("Enter")
    # The same row, on its way again (its Cancel has the focus), then done.
    await expect(row).to_contain_text("Uploaded")
    await expect(page.locator("article.asset-card", has_text="dune")).to_have_count(1)
    assert len(sent) == 2
    await expect(page.locator("#announcer")).to_have_text("dune.png uploaded.")


async def test_a_refused_upload_offers_no_try_again(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        await _projects(client)
    await page.goto(studio.gateway + "/studio/assets")
    # Named as a picture, but not one: refused by its content, which sending again cannot change.
    await _choose(page, FilePayload(name="notes.png", mimeType="image/png", buffer=b"plain text"))
    row = page.get_by_role("region", name="Uploads").locator(".upload-row", has_text="notes.png")
    await expect(row.get_by_role("alert")).to_be_visible()
    await expect(row.get_by_role("button", name="Dismiss notes.png")).to_be_visible()
    await expect(row.get_by_role("button", name=re.compile("Try again"))).to_have_count(0)


async def test_closing_the_tab_while_a_file_is_sent_asks_first(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await _projects(client)
    held = asyncio.Event()
    arrived = asyncio.Event()

    async def slow(route: Route) -> None:
        arrived.set()
        await held.wait()
        await route.continue_()

    await page.route(ASSETS_POST, slow)
    await page.goto(studio.gateway + "/studio/assets")
    await _choose(
        page, FilePayload(name="dune.png", mimeType="image/png", buffer=media_samples.png(96, 64))
    )
    await arrived.wait()
    asked: list[Dialog] = []

    async def stay(dialog: Dialog) -> None:
        asked.append(dialog)
        await dialog.dismiss()

    page.on("dialog", stay)
    await page.close(run_before_unload=True)
    await eventually(lambda: len(asked) == 1)
    assert asked[0].type == "beforeunload"
    assert not page.is_closed()

    # Once it is sent, nothing holds the tab.
    held.set()
    row = page.get_by_role("region", name="Uploads").locator(".upload-row", has_text="dune.png")
    await expect(row).to_contain_text("Uploaded")
    async with page.expect_event("close"):
        await page.close(run_before_unload=True)
    assert len(asked) == 1
