"""A remix or a "use as reference" handed to the panel before it can take it (the project's
record or the model catalog not yet in) waits for it: the history shows its cards first, and on
a slow network a person can press Remix while the panel still loads (the click used to be
dropped without a word)."""

import asyncio
import re

import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.helpers import (
    create_project,
    fake_generation,
    import_studio_module,
    list_generations,
    upload_image,
)
from tests.support.full_stack import FullStack

BRIA = "fal-ai/bria/background/remove"
CHOOSE_MODEL = re.compile(r"^Choose model")


async def hold(page: Page, pattern: re.Pattern[str]) -> asyncio.Event:
    """GETs of `pattern` answered only once the returned event is set."""
    release = asyncio.Event()

    async def held(route: Route) -> None:
        if route.request.method == "GET":
            await release.wait()
        await route.continue_()

    await page.route(pattern, held)
    return release


async def hold_the_models(page: Page) -> asyncio.Event:
    """The catalog's model list answered only once the returned event is set."""
    return await hold(page, re.compile(r"/api/v1/models\?"))


@pytest.mark.parametrize("loading", ["models", "project"])
async def test_a_remix_pressed_while_the_page_loads_is_applied_once_the_panel_can(
    keyed_idle_studio: FullStack, page: Page, loading: str
) -> None:
    """`models`: the panel is there, its catalog not yet; `project`: the project's own record
    is not in yet, so there is no panel at all (the history shows first)."""
    async with keyed_idle_studio.client() as client:
        project_id = await create_project(client, "Cut-outs")
    failed = fake_generation(
        project_id,
        "failed",
        type="image-to-image",
        model_id=BRIA,
        prompt="",
        error={"code": "provider_error", "message": "fal.ai could not run it."},
    )
    await list_generations(page, project_id, [failed])
    if loading == "models":
        release = await hold_the_models(page)
    else:
        release = await hold(page, re.compile(rf"/api/v1/projects/{project_id}$"))
    await page.goto(f"{keyed_idle_studio.gateway}/studio/{project_id}")
    card = page.locator(f"article.gen-card[data-id='{failed['id']}']")
    await card.get_by_role("button", name="Remix").click()
    # The panel is still loading: no model is offered yet.
    await expect(page.get_by_role("button", name=CHOOSE_MODEL)).to_have_count(0)

    release.set()
    await expect(page.get_by_role("button", name=CHOOSE_MODEL)).to_contain_text("Bria RMBG 2.0")
    await expect(page.get_by_role("radio", name="Image to image")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(page.locator("#toasts")).to_contain_text("Remixing")


async def test_a_reference_handed_over_while_the_models_load_lands_in_the_slot(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Foxes")
        asset = await upload_image(client, project_id, "fox.png")
    release = await hold_the_models(page)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    # The panel is on the page, still waiting for the models.
    await expect(page.locator(".gen-panel__advanced")).to_be_attached()
    await expect(page.get_by_role("button", name=CHOOSE_MODEL)).to_have_count(0)
    await import_studio_module(
        page, "components/handoff.js", "(m, asset) => m.useAsReference(asset)", asset
    )

    release.set()
    await expect(page.get_by_role("radio", name="Image to image")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(page.locator(".refs__item")).to_have_count(1)
    await expect(page.locator(".refs__item")).to_contain_text("fox")
