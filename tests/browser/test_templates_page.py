"""The Templates page in a browser: starter templates by type, "Use" with and without a last
project, the person's own templates (search, rename with the API's errors, delete), and names
full of markup shown as text."""

import json
import re

import httpx
from playwright.async_api import Locator, Page, expect

from tests.browser.helpers import (
    assert_accessible,
    create_project,
    open_rename,
    save_name,
    screenshot,
)
from tests.support.full_stack import FullStack

MARKUP = "<img src=x onerror=window.__x=1>"
PROMPT = "A portrait of a potter at the wheel, clay on her hands, warm afternoon light"


async def _template(client: httpx.AsyncClient, name: str, **fields: object) -> str:
    body = {
        "name": name,
        "description": "Soft window light, shallow depth of field.",
        "type": "text-to-image",
        "model_id": "local/image",
        "prompt": PROMPT,
        "params": {
            "image_size": "portrait_4_3",
            "num_inference_steps": 12,
            "seed": 7,
            "num_images": 2,
        },
        **fields,
    }
    response = await client.post("/api/v1/templates", json=body)
    assert response.status_code == 201, response.text
    template_id: str = response.json()["id"]
    return template_id


def _starters(page: Page) -> Locator:
    return page.get_by_test_id("starter-templates").locator("article.template-card")


def _own(page: Page) -> Locator:
    return page.get_by_test_id("user-templates").locator("article.template-card")


async def _opened_with(page: Page, project_id: str, prompt: str) -> None:
    """ "Use" opened the project's studio and its panel took the template. The address carries
    `?template=`/`?starter=` only until the panel has read it, so it is checked once settled
    (on a busy machine the panel may read it before any check could see it)."""
    await expect(page).to_have_url(re.compile(rf"/studio/{project_id}$"))
    await expect(page.get_by_label("Prompt", exact=True)).to_have_value(prompt)


async def _remember_project(page: Page, project_id: str | None) -> None:
    await page.add_init_script(
        f"localStorage.setItem('studio.last-project', {json.dumps(json.dumps(project_id))})"
    )


async def test_starters_by_type_and_own_templates_shown_as_typed(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        starters = (await client.get("/api/v1/starter-templates")).json()["items"]
        await _template(client, "Potter portrait")
        ocean_id = await _template(
            client,
            f"{MARKUP} ocean",
            type="text-to-video",
            model_id="local/video",
            description=f"<script>window.__y=1</script>{MARKUP}",
            prompt="Slow waves at dusk",
            params={"duration": "4", "aspect_ratio": "16:9"},
        )

    await page.goto(studio.gateway + "/studio/templates")
    await expect(_starters(page)).to_have_count(len(starters))
    poster = _starters(page).filter(has_text="Neon city poster")
    await expect(poster.locator(".template-card__type")).to_have_text("Text to image")
    await expect(poster).to_contain_text("A rain-soaked city street at night")
    await expect(poster.locator(".template-card__fact", has_text="Image size")).to_contain_text(
        "Portrait 16:9"
    )
    await expect(poster.locator(".template-card__fact", has_text="Model")).to_contain_text("Local")
    types = page.get_by_role("group", name="Generation type")
    await types.get_by_role("button", name=re.compile(r"^Text to audio")).click()
    audio = [s for s in starters if s["type"] == "text-to-audio"]
    await expect(_starters(page)).to_have_count(len(audio))
    for card in await _starters(page).all():
        await expect(card.locator(".template-card__type")).to_have_text("Text to audio")
    await types.get_by_role("button", name=re.compile(r"^All")).click()
    await expect(_starters(page)).to_have_count(len(starters))

    await expect(_own(page)).to_have_count(2)
    ocean = _own(page).first
    await expect(ocean.locator(".template-card__name")).to_have_text(f"{MARKUP} ocean")
    await expect(ocean.locator(".template-card__description")).to_have_text(
        f"<script>window.__y=1</script>{MARKUP}"
    )
    await expect(ocean.locator(".template-card__type")).to_have_text("Text to video")
    await expect(page.locator("main img, main script")).to_have_count(0)
    assert await page.evaluate("() => [window.__x, window.__y]") == [None, None]
    potter = _own(page).filter(has_text="Potter portrait")
    await expect(potter).to_contain_text("+1 more")

    # The person's own come first when there are any.
    first_section = page.locator("main section.templates-section").first
    await expect(first_section.get_by_role("heading", level=2)).to_have_text("Your templates")
    await assert_accessible(page)
    # The guide's picture shows what a person would have made, renamed here (live, as from
    # another tab), not the markup above.
    async with studio.client() as client:
        renamed = await client.patch(
            f"/api/v1/templates/{ocean_id}",
            json={"name": "Slow ocean waves", "description": "Long exposure, blue hour."},
        )
        assert renamed.is_success, renamed.text
    renamed_card = page.locator(f"[data-template-id='{ocean_id}']")
    await expect(renamed_card.locator(".template-card__name")).to_have_text("Slow ocean waves")
    await page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    await screenshot(page, "templates")

    await page.get_by_role("searchbox", name="Search your templates").fill("potter")
    await expect(_own(page)).to_have_count(1)
    await page.get_by_role("searchbox", name="Search your templates").fill("")
    await expect(_own(page)).to_have_count(2)


async def test_use_opens_the_last_project_or_asks_which(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        first = await create_project(client, "Moss and stone")
        second = await create_project(client, "Neon city")
        gone = await create_project(client, "Deleted since")
        assert (await client.delete(f"/api/v1/projects/{gone}")).status_code in (202, 204)
        starters = (await client.get("/api/v1/starter-templates")).json()["items"]
    prompts = {starter["id"]: starter["prompt"] for starter in starters}

    # A last project that no longer exists is not used: the chooser asks.
    await _remember_project(page, gone)
    await page.goto(studio.gateway + "/studio/templates")
    poster = _starters(page).filter(has_text="Neon city poster")
    await poster.get_by_role("button", name="Use Neon city poster").click()
    dialog = page.get_by_role("dialog", name="Use in which project?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("radio")).to_have_count(2)
    await expect(dialog.get_by_role("radio", name=re.compile("Neon city"))).to_be_focused()
    await assert_accessible(page)
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()

    await poster.get_by_role("button", name="Use Neon city poster").click()
    await dialog.get_by_role("button", name="New project").click()
    await expect(page).to_have_url(re.compile(r"/studio/new\?starter=neon-city-poster$"))

    await page.goto(studio.gateway + "/studio/templates")
    await poster.get_by_role("button", name="Use Neon city poster").click()
    await dialog.get_by_text("Moss and stone").click()
    await dialog.get_by_role("button", name="Use template").click()
    await _opened_with(page, first, prompts["neon-city-poster"])

    # With a last project that exists, "Use" goes straight there.
    await page.evaluate(f"localStorage.setItem('studio.last-project', '\"{second}\"')")
    await page.goto(studio.gateway + "/studio/templates")
    await page.evaluate(f"localStorage.setItem('studio.last-project', '\"{second}\"')")
    await (
        _starters(page)
        .filter(has_text="Product shot")
        .get_by_role("button", name="Use Product shot")
        .click()
    )
    await _opened_with(page, second, prompts["product-shot"])


async def test_own_templates_are_renamed_with_the_apis_errors_used_and_deleted(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Moss and stone")
        template = await _template(client, "Potter portrait")
    await _remember_project(page, project)
    await page.goto(studio.gateway + "/studio/templates")
    card = _own(page).first
    await expect(card).to_contain_text("Potter portrait")

    dialog, name = await open_rename(page, "Rename Potter portrait", "Rename template")
    await save_name(dialog, "", "Give the template a name.", exact=True)
    await expect(name).to_have_attribute("aria-invalid", "true")
    await save_name(dialog, "y" * 101, "At most 100 characters.")
    await save_name(dialog, f"{MARKUP} potter")
    await expect(_own(page).first.locator(".template-card__name")).to_have_text(f"{MARKUP} potter")
    await expect(page.get_by_role("button", name=f"Rename {MARKUP} potter")).to_be_focused()
    async with studio.client() as client:
        stored = (await client.get(f"/api/v1/templates/{template}")).json()
    assert stored["name"] == f"{MARKUP} potter"
    assert await page.evaluate("() => window.__x") is None

    await page.get_by_role("button", name=f"Delete {MARKUP} potter").click()
    confirm = page.get_by_role("alertdialog", name=f"Delete “{MARKUP} potter”?")
    await expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    await confirm.get_by_role("button", name="Delete").click()
    await expect(_own(page)).to_have_count(0)
    await expect(page.get_by_role("heading", name="No templates of your own yet")).to_be_visible()
    await expect(page.get_by_text("Save as template")).to_be_visible()
    async with studio.client() as client:
        assert (await client.get(f"/api/v1/templates/{template}")).status_code == 404
        await _template(client, "Second try")
    await page.reload()
    await _own(page).first.get_by_role("button", name="Use Second try").click()
    await _opened_with(page, project, PROMPT)


async def test_a_template_or_starter_in_the_address_fills_the_panel(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Moss and stone")
        template = await _template(client, "Potter portrait")
        video = await _template(
            client,
            "Ocean",
            type="text-to-video",
            model_id="local/video",
            prompt="Slow waves at dusk",
            params={"duration": "4", "aspect_ratio": "16:9"},
        )
        starters = (await client.get("/api/v1/starter-templates")).json()["items"]
    poster = next(s for s in starters if s["id"] == "neon-city-poster")

    await page.goto(f"{studio.gateway}/studio/{project}?template={template}")
    await expect(page.get_by_role("radio", name="Text to image")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(page.get_by_role("button", name=re.compile("Choose model"))).to_contain_text(
        "Local Image"
    )
    prompt = page.get_by_label("Prompt", exact=True)
    await expect(prompt).to_have_value(re.compile("^A portrait of a potter at the wheel"))
    await expect(page.get_by_label("Image size")).to_have_value("portrait_4_3")
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_role("slider", name="Inference steps")).to_have_value("12")
    await expect(page.get_by_role("slider", name="Number of images")).to_have_value("2")
    await expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("7")
    await expect(page.get_by_role("switch", name="Random")).not_to_be_checked()
    await expect(page.get_by_text("Settings from “Potter portrait”")).to_be_visible()
    # The address no longer carries the template: a reload keeps what the person changed.
    await expect(page).to_have_url(re.compile(rf"/studio/{project}$"))

    await page.goto(f"{studio.gateway}/studio/{project}?template={video}")
    await expect(page.get_by_role("radio", name="Text to video")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(page.get_by_role("button", name=re.compile("Choose model"))).to_contain_text(
        "Local Video"
    )
    await expect(prompt).to_have_value("Slow waves at dusk")

    await page.goto(f"{studio.gateway}/studio/{project}?starter=neon-city-poster")
    await expect(page.get_by_role("radio", name="Text to image")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(prompt).to_have_value(poster["prompt"])
    await expect(page.get_by_label("Image size")).to_have_value(poster["params"]["image_size"])

    # One that does not exist says so, and leaves the panel usable.
    await page.goto(f"{studio.gateway}/studio/{project}?starter=no-such-starter")
    await expect(page.get_by_role("alert")).to_contain_text(
        "There is no starter template “no-such-starter”"
    )
    await expect(page.get_by_role("button", name="Generate", exact=True)).to_be_enabled()
