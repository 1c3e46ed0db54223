"""Edges a second hands-on QA pass found, each shown in a browser: a deleted result leaves its
history card, live and after a reload; the phone menu keeps keyboard focus; a filter in the
address that the API does not know is ignored, not shown as an error."""

from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    create_project,
    start_generation,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually


async def _completed(client: httpx.AsyncClient, generation_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def done() -> bool:
        found.update((await client.get(f"/api/v1/generations/{generation_id}")).json())
        return bool(found["status"] == "completed")

    await eventually(done)
    return found


async def test_a_deleted_result_leaves_its_history_card(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        job = await start_generation(client, moss, "three foxes", params={"num_images": 3})
        outputs = (await _completed(client, job["id"]))["outputs"]

    await page.goto(f"{studio.gateway}/studio/{moss}")
    card = page.locator(f'article.gen-card[data-id="{job["id"]}"]')
    await expect(card.get_by_role("button", name="View 3 images")).to_be_visible()
    await expect(card.locator(".gen-card__view img")).to_have_count(3)

    # Deleted elsewhere (another tab, the API): the open card follows at once.
    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/assets/{outputs[0]['asset_id']}")).is_success
    await expect(card.get_by_role("button", name="View 2 images")).to_be_visible()
    await expect(card.locator(".gen-card__view img")).to_have_count(2)
    download = card.get_by_role("link", name="Download")
    await expect(download).to_have_attribute(
        "href", f"/api/v1/assets/{outputs[1]['asset_id']}/content?download=1"
    )
    # And after a reload, from the API's record.
    await page.reload()
    await expect(card.locator(".gen-card__view img")).to_have_count(2)
    await page.wait_for_function(
        """(id) => [...document.querySelectorAll(`article.gen-card[data-id="${id}"] .gen-card__view img`)]
          .every((img) => img.complete && img.naturalWidth > 0)""",
        arg=job["id"],
    )

    async with studio.client() as client:
        for output in outputs[1:]:
            assert (await client.delete(f"/api/v1/assets/{output['asset_id']}")).is_success
    await expect(card.locator(".gen-card__placeholder")).to_contain_text("Files deleted")
    await expect(card.get_by_role("link", name="Download")).to_have_count(0)


async def test_the_phone_menu_keeps_focus_until_it_is_closed(studio: FullStack, page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(studio.gateway + "/studio")
    menu = page.get_by_role("button", name="Open menu")
    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    sidebar = page.locator("#sidebar")
    # Opening it moves focus to its first link (once it is shown).
    await expect(sidebar.get_by_role("link", name="AI Studio")).to_be_focused()
    # Round and round the menu's own controls, both ways; the page behind cannot be reached.
    for key in ["Tab"] * 14 + ["Shift+Tab"] * 14:
        await page.keyboard.press(key)
        assert await sidebar.evaluate("(nav) => nav.contains(document.activeElement)"), (
            key,
            await page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)"),
        )
    assert await page.locator(".workspace").get_attribute("inert") == ""
    await page.keyboard.press("Escape")
    await expect(menu).to_be_focused()
    await expect(menu).to_have_attribute("aria-expanded", "false")
    assert await page.locator(".workspace").get_attribute("inert") is None
    # Opened, then the window grows past the phone layout: the page is usable again.
    await menu.click()
    await page.set_viewport_size(DESKTOP)
    await expect(page.locator(".workspace")).not_to_have_attribute("inert", "")
    await page.get_by_role("link", name="New project").first.click()
    await expect(page).to_have_url(studio.gateway + "/studio/new")


async def test_unknown_filters_in_the_address_are_dropped(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        await _completed(client, (await start_generation(client, moss, "moss"))["id"])

    await page.goto(studio.gateway + "/studio/generations?status=bogus&type=zzz")
    await expect(page.locator("article.gen-card")).to_have_count(1)
    await expect(page.get_by_label("Status")).to_have_value("")
    await expect(page.get_by_label("Type")).to_have_value("")
    await expect(page).to_have_url(studio.gateway + "/studio/generations")
    # A known one is kept.
    await page.goto(studio.gateway + "/studio/generations?status=completed&type=nonsense")
    await expect(page.get_by_label("Status")).to_have_value("completed")
    await expect(page).to_have_url(studio.gateway + "/studio/generations?status=completed")
    await expect(page.locator("article.gen-card")).to_have_count(1)


async def test_remix_from_the_viewer_hands_the_prompt_over(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        job = await start_generation(client, moss, "moss on a wet stone")
        await _completed(client, job["id"])

    await page.goto(f"{studio.gateway}/studio/{moss}")
    prompt = page.get_by_label("Prompt", exact=True)
    await prompt.fill("")
    await page.get_by_role("button", name="View image").click()
    viewer = page.locator("dialog.dialog--viewer")
    await viewer.get_by_role("button", name="Remix").click()
    await expect(viewer).to_have_count(0)
    await expect(prompt).to_have_value("moss on a wet stone")
    # Focus lands in the prompt (not back on the card the viewer opened from), and it says so.
    await expect(prompt).to_be_focused()
    await expect(page.locator(".toast")).to_contain_text("Remixing")


async def test_the_light_theme_keeps_status_colours_readable(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        sound = await client.post(
            f"/api/v1/projects/{moss}/assets",
            files={"file": ("quiet.wav", media_samples.wav(0.5), "audio/wav")},
        )
        assert sound.status_code == 201, sound.text

    await page.emulate_media(color_scheme="light")
    # The "WAV" label on a sound's tile, and the "Offline" badge of a local model, on their
    # tinted backgrounds: axe checks their contrast.
    await page.goto(studio.gateway + "/studio/assets")
    await expect(page.locator(".asset-thumb__placeholder--audio")).to_contain_text("WAV")
    await assert_accessible(page)
    await page.goto(f"{studio.gateway}/studio/{moss}")
    await page.get_by_role("button", name="Choose model").click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await expect(dialog.locator(".badge--success").first).to_contain_text("Offline")
    await assert_accessible(page)


async def test_a_generation_deleted_elsewhere_leaves_the_open_history(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        kept = await start_generation(client, moss, "a fern")
        gone = await start_generation(client, moss, "a stone")
        for job in (kept, gone):
            await _completed(client, job["id"])

    await page.goto(f"{studio.gateway}/studio/{moss}")
    cards = page.locator("article.gen-card")
    await expect(cards).to_have_count(2)
    await expect(page.locator(".project-bar__stats")).to_contain_text("2 generations")
    # Another tab (or a script) deletes one: this page follows, counts included.
    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/generations/{gone['id']}")).status_code == 204
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_have_attribute("data-id", kept["id"])
    await expect(page.locator(".project-bar__stats")).to_contain_text(
        "1 generation", timeout=10_000
    )


async def test_the_assets_page_keeps_its_filters_in_the_address(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        neon = await create_project(client, "Neon city")
        for project, name in ((moss, "red fox.png"), (neon, "blue sea.png"), (moss, "fern.png")):
            answer = await client.post(
                f"/api/v1/projects/{project}/assets",
                files={"file": (name, media_samples.png(32, 32), "image/png")},
            )
            assert answer.status_code == 201, answer.text

    await page.goto(studio.gateway + "/studio/assets")
    cards = page.locator("article.asset-card")
    await expect(cards).to_have_count(3)
    await page.get_by_role("combobox", name="Project").select_option(label="Moss and stone")
    await page.get_by_role("searchbox", name="Search assets").fill("fox")
    await expect(cards).to_have_count(1)
    await expect(page).to_have_url(f"{studio.gateway}/studio/assets?q=fox&project={moss}")
    # A reload (or a shared link) lists the same.
    await page.reload()
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("red fox")
    await expect(page.get_by_role("searchbox", name="Search assets")).to_have_value("fox")
    await expect(page.get_by_role("combobox", name="Project")).to_have_value(moss)
    # Values it does not know are dropped.
    await page.goto(studio.gateway + "/studio/assets?type=nonsense&project=nope")
    await expect(cards).to_have_count(3)
    await expect(page).to_have_url(studio.gateway + "/studio/assets")


async def test_a_project_renamed_elsewhere_is_renamed_on_open_pages(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")

    async def rename(name: str) -> None:
        async with studio.client() as client:
            answer = await client.patch(f"/api/v1/projects/{moss}", json={"name": name})
            assert answer.status_code == 200, answer.text

    await page.goto(f"{studio.gateway}/studio/{moss}")
    title = page.get_by_role("heading", level=1)
    await expect(title).to_have_text("Moss and stone")
    await rename("Moss, stone and fern")  # another tab, or a script
    await expect(title).to_have_text("Moss, stone and fern")

    await page.goto(f"{studio.gateway}/studio")
    await expect(page.locator(".project-card")).to_contain_text("Moss, stone and fern")
    await rename("Fern")
    await expect(page.locator(".project-card")).to_contain_text("Fern")
    await expect(page.locator(".project-card")).not_to_contain_text("stone")
