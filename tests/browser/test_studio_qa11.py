"""QA pass 11 on the studio's pages: focus survives a project renamed elsewhere, the prompt the
project page focuses is in sight, and long names or narrow screens put nothing out of reach."""

import re

from playwright.async_api import FloatRect, Locator, Page, ViewportSize, expect

from tests.browser.helpers import create_project, finished, start_generation
from tests.support.full_stack import FullStack

SMALL_PHONE = ViewportSize(width=320, height=568)
WIDE = ViewportSize(width=1440, height=900)


async def _box(locator: Locator) -> FloatRect:
    box = await locator.bounding_box()
    assert box is not None, locator
    return box


async def test_a_project_renamed_elsewhere_leaves_the_focus_on_its_link(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Gamma")
        await finished(client, (await start_generation(client, project_id))["id"])
    await page.goto(studio.gateway + "/studio/generations")
    link = page.locator("article.gen-card .gen-card__project a")
    await expect(link).to_have_text("Gamma")
    await link.focus()
    async with studio.client() as client:
        renamed = await client.patch(
            f"/api/v1/projects/{project_id}", json={"name": "Gamma, renamed"}
        )
        assert renamed.is_success, renamed.text
    await expect(link).to_have_text("Gamma, renamed")
    assert await link.evaluate("(a) => document.activeElement === a")


async def test_the_project_page_opens_at_its_top_ready_to_type_into_the_prompt(
    studio: FullStack, page: Page
) -> None:
    words = " ".join(f"word{n}" for n in range(250))  # about 1,700 characters
    async with studio.client() as client:
        long_id = await create_project(client, "Long story", description=words)
        short_id = await create_project(client, "Short", description="Tiny")
    prompt = page.get_by_label("Prompt", exact=True)
    heading = page.get_by_role("heading", level=1)

    async def opened_at_the_top(project_id: str) -> None:
        await page.goto(f"{studio.gateway}/studio/{project_id}")
        await expect(prompt).to_be_focused()
        await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_be_enabled()
        assert await page.evaluate("() => window.scrollY") == 0
        await expect(heading).to_be_in_viewport(ratio=1)

    # A long description shows three lines, and the rest on asking: the prompt stays in sight.
    await page.set_viewport_size(WIDE)
    await opened_at_the_top(long_id)
    await expect(prompt).to_be_in_viewport(ratio=1)
    description = page.locator(".project-bar__description")
    more = page.get_by_role("button", name="More", exact=True)
    await expect(more).to_have_attribute("aria-expanded", "false")
    clamped = (await _box(description))["height"]
    await more.click()
    less = page.get_by_role("button", name="Less", exact=True)
    await expect(less).to_have_attribute("aria-expanded", "true")
    assert (await _box(description))["height"] > clamped * 2
    await less.click()
    await expect(more).to_be_visible()

    # Where the prompt is below the fold (a short window, a small phone), what is typed goes
    # into it and brings it into sight; a short description has nothing more to show.
    short_window = ViewportSize(width=1280, height=520)
    for viewport, project_id in ((short_window, long_id), (SMALL_PHONE, short_id)):
        await page.set_viewport_size(viewport)
        await opened_at_the_top(project_id)
        await page.keyboard.type("a heron")
        await expect(prompt).to_have_value("a heron")
        await expect(prompt).to_be_in_viewport()  # the line typed on, at least
    await expect(page.locator(".project-bar__more")).to_be_hidden()


async def test_a_long_name_wraps_in_a_confirm_dialog_and_leaves_its_close_button_in_reach(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "W" * 120)
    for viewport in (SMALL_PHONE, WIDE):
        await page.set_viewport_size(viewport)
        await page.goto(f"{studio.gateway}/studio/{project_id}")
        await page.locator(".project-bar").get_by_role("button", name="Delete").click()
        dialog = page.get_by_role("alertdialog")
        await expect(dialog).to_be_visible()
        close = dialog.get_by_role("button", name="Close")
        box = await _box(close)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (viewport, box)
        await close.click()
        await expect(dialog).to_be_hidden()


async def test_the_viewers_arrows_leave_the_audio_player_clear_on_a_small_phone(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Sounds")
        for prompt in ("waves", "wind"):
            made = await start_generation(
                client, project_id, prompt, type="text-to-audio", model_id="local/audio"
            )
            await finished(client, made["id"])
    await page.set_viewport_size(ViewportSize(width=320, height=740))
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await page.get_by_role("button", name="View audio").first.click()
    viewer = page.locator("dialog.dialog--viewer")
    audio = viewer.locator("audio")
    await expect(audio).to_be_visible()
    player = await _box(audio)
    for name in ("Previous", "Next"):
        arrow = await _box(viewer.get_by_role("button", name=re.compile(rf"^{name}")))
        apart = (
            arrow["x"] + arrow["width"] <= player["x"]
            or player["x"] + player["width"] <= arrow["x"]
            or arrow["y"] + arrow["height"] <= player["y"]
            or player["y"] + player["height"] <= arrow["y"]
        )
        assert apart, (name, arrow, player)


async def test_back_undoes_a_filter_chosen_on_the_assets_page(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Moss")
    await page.goto(studio.gateway + "/studio/generations")
    await page.get_by_role("link", name="Assets", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio/assets$"))
    chips = page.get_by_role("group", name="Media type")
    await chips.get_by_role("button", name="Video").click()
    await expect(page).to_have_url(re.compile(r"\?type=video$"))
    # Typing a search changes the address in place: no step per word.
    await page.get_by_role("searchbox").fill("waves")
    await expect(page).to_have_url(re.compile(r"\?q=waves&type=video$"))
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/assets$"))
    await expect(chips.get_by_role("button", name="Video")).to_have_attribute(
        "aria-pressed", "false"
    )
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
