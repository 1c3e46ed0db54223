"""A search in the model dialog for a family the studio cannot offer (Sora 2, Runway) says why,
and leads to the models that stand in for it. Before, "sora" answered only "No model for Text
to image matches", as if the studio had never heard of it."""

import asyncio
import re

from playwright.async_api import Page, Route, expect

from tests.browser.helpers import open_new_project, shoot_for_review
from tests.support.full_stack import FullStack


async def test_a_search_for_sora_says_why_it_is_absent_and_shows_what_stands_in(
    studio: FullStack, page: Page
) -> None:
    await open_new_project(page, studio, "Films")
    await page.get_by_role("button", name=re.compile(r"^Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    search = dialog.get_by_role("combobox", name="Search models")
    absent = dialog.locator(".model-dialog__absent")
    count = dialog.locator(".model-dialog__count")

    await search.fill("sora")
    await expect(absent).to_contain_text(
        "Sora 2 is not offered here: OpenAI shut the Sora 2 API down"
    )
    # Read out too: the live region says it before the count.
    await expect(count).to_contain_text("Sora 2 is not offered here")
    stand_ins = absent.get_by_role("button")
    await expect(stand_ins).to_have_text(["Show Veo 3.1", "Show Kling 2.5 Turbo Pro"])
    await shoot_for_review(page, "model-dialog-sora", ".model-dialog__absent")

    await stand_ins.first.click()
    await expect(search).to_be_focused()
    await expect(search).to_have_value("Veo 3.1")
    await expect(dialog.locator(".model-dialog__switched")).to_contain_text(
        "Showing models for Text to video"
    )
    await expect(dialog.get_by_role("option").first).to_contain_text("Veo 3.1")
    await expect(absent).to_be_hidden()

    # Runway has no model here at all: its name alone says so, the closest first.
    await search.fill("runway")
    await expect(absent).to_contain_text("Runway Gen-4 is not offered here")
    await expect(absent.get_by_role("button").first).to_have_text("Show Luma Ray 2")
    # A provider with models here names those, not what it lacks.
    await search.fill("openai")
    await expect(absent).to_be_hidden()
    # (Text to video is shown now, where OpenAI has none: the way to its GPT Image is offered.)
    await expect(dialog.locator(".model-dialog__elsewhere")).to_contain_text("Text to image")


async def test_the_dialog_names_an_absent_family_that_arrives_after_it_opened(
    studio: FullStack, page: Page
) -> None:
    """On a busy server the list of absent families can come after the dialog is open and the
    search typed: the search is then answered again, not left saying only "no model matches"."""
    arrived = asyncio.Event()

    async def hold(route: Route) -> None:
        await arrived.wait()
        await route.continue_()

    await page.route("**/api/v1/unavailable-models", hold)
    await open_new_project(page, studio, "Late")
    await page.get_by_role("button", name=re.compile(r"^Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await dialog.get_by_role("combobox", name="Search models").fill("sora")
    await expect(dialog.locator(".model-list__empty")).to_contain_text("matches “sora”")
    await expect(dialog.locator(".model-dialog__absent")).to_be_hidden()

    arrived.set()
    await expect(dialog.locator(".model-dialog__absent")).to_contain_text(
        "Sora 2 is not offered here"
    )
