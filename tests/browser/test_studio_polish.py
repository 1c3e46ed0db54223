"""Small things a QA pass found in the studio, each shown in a browser: the gallery's filter chips
say what is listed, the model dialog's key help is said once, template cards label settings as
the generation panel does, and the New project form stops at the API's name limit."""

import re

import httpx
from playwright.async_api import Locator, Page, expect

from tests.browser.helpers import create_project
from tests.support import media_samples
from tests.support.full_stack import FullStack


async def _upload(
    client: httpx.AsyncClient, project_id: str, name: str, data: bytes, kind: str
) -> str:
    response = await client.post(
        f"/api/v1/projects/{project_id}/assets", files={"file": (name, data, kind)}
    )
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["id"]
    return asset_id


async def _pressed(chip: Locator, pressed: bool) -> None:
    await expect(chip).to_have_attribute("aria-pressed", "true" if pressed else "false")


async def test_the_gallery_chips_always_say_what_is_listed(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        await _upload(client, moss, "red fox.png", media_samples.png(64, 48), "image/png")
        liked = await _upload(
            client, moss, "green moss.png", media_samples.png(48, 64), "image/png"
        )
        await _upload(client, moss, "birdsong.wav", media_samples.wav(0.5), "audio/wav")
        response = await client.patch(f"/api/v1/assets/{liked}", json={"favorite": True})
        assert response.status_code == 200, response.text

    await page.goto(studio.gateway + "/studio/assets")
    cards = page.locator("article.asset-card")
    summary = page.locator(".gallery__summary")
    types = page.get_by_role("group", name="Media type")
    everything = types.get_by_role("button", name="All")
    images = types.get_by_role("button", name="Images")
    audio = types.get_by_role("button", name="Audio")
    favorites = page.get_by_role("button", name="Favorites")
    await expect(cards).to_have_count(3)
    await expect(summary).to_have_text("3 assets")
    await _pressed(everything, True)

    # Favorites narrows the list, so "All" no longer claims everything is shown.
    await favorites.click()
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("green moss")
    await expect(summary).to_have_text("1 asset")
    await _pressed(favorites, True)
    await _pressed(everything, False)

    # A type keeps the favorites restriction: both chips are pressed, both apply.
    await images.click()
    await expect(cards).to_have_count(1)
    await _pressed(images, True)
    await _pressed(favorites, True)
    await audio.click()
    await expect(page.get_by_role("heading", name="No assets match")).to_be_visible()
    await expect(summary).to_have_text("no assets")

    # "All" shows everything again: the favorites restriction goes with the type.
    await everything.click()
    await expect(cards).to_have_count(3)
    await expect(summary).to_have_text("3 assets")
    await _pressed(everything, True)
    await _pressed(favorites, False)
    await _pressed(audio, False)


async def test_the_model_dialog_says_how_to_add_a_key_once(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await page.get_by_role("button", name=re.compile("^Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    help_text = dialog.get_by_text("FAL_KEY")
    await expect(help_text).to_have_count(1)

    flux = dialog.get_by_role("option", name=re.compile(r"FLUX\.1 \[dev\]"))
    await expect(flux).to_contain_text("Needs key")
    # A person can click it even so (it is aria-disabled, which Playwright would wait out).
    await flux.click(force=True)
    note = dialog.locator(".model-dialog__note")
    await expect(note).to_be_visible()
    await expect(note).to_contain_text("FLUX.1 [dev] needs a fal.ai key")
    await expect(help_text).to_have_count(1)
    await expect(help_text).to_be_visible()
    await expect(dialog).to_be_visible()


async def _facts(card: Locator) -> dict[str, str]:
    """A template card's facts: label → value, as shown."""
    pairs: list[list[str]] = await card.locator(
        ".template-card__fact:not(.template-card__fact--more)"
    ).evaluate_all(
        "(facts) => facts.map((f) => [f.querySelector('dt').textContent, f.querySelector('dd').textContent])"
    )
    return dict((label, value) for label, value in pairs)


async def test_template_cards_label_settings_as_the_panel_does(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
        response = await client.post(
            "/api/v1/templates",
            json={
                "name": "Square studio",
                "type": "text-to-image",
                "model_id": "local/image",
                "prompt": "A ceramic mug",
                "params": {
                    "image_size": "square_hd",
                    "negative_prompt": "",
                    "num_images": 2,
                    "num_inference_steps": 6,
                    "output_format": "webp",
                },
            },
        )
        assert response.status_code == 201, response.text

    await page.goto(studio.gateway + "/studio/templates")
    poster = page.get_by_test_id("starter-templates").locator(
        "article.template-card", has_text="Neon city poster"
    )
    own = page.get_by_test_id("user-templates").locator(
        "article.template-card", has_text="Square studio"
    )
    await expect(poster.locator(".template-card__fact")).not_to_have_count(0)
    await expect(own.locator(".template-card__fact")).not_to_have_count(0)
    assert await _facts(poster) == {
        "Model": "Local Image",
        "Image size": "Portrait 16:9",
        "Inference steps": "8",
    }
    # A blank setting (the negative prompt) says nothing worth a line, nor counts as one more.
    assert await _facts(own) == {
        "Model": "Local Image",
        "Image size": "Square HD",
        "Number of images": "2",
        "Inference steps": "6",
    }
    await expect(own.locator(".template-card__fact--more")).to_have_text("More+1 more")

    # The panel names the same settings with the same words.
    await page.goto(f"{studio.gateway}/studio/{project_id}?starter=neon-city-poster")
    size = page.get_by_label("Image size")
    await expect(size).to_have_value("portrait_16_9")
    await expect(size.locator("option:checked")).to_have_text("Portrait 16:9")
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_role("slider", name="Inference steps")).to_have_value("8")
    await expect(page.get_by_role("slider", name="Number of images")).to_be_visible()
    formats = page.get_by_label("Output format").locator("option")
    assert await formats.all_text_contents() == ["PNG", "WebP"]


async def test_the_new_project_name_stops_at_the_apis_limit(studio: FullStack, page: Page) -> None:
    # The limit the API keeps, found by asking it: the longest name it takes.
    async with studio.client() as client:
        longest = await client.post("/api/v1/projects", json={"name": "n" * 120})
        too_long = await client.post("/api/v1/projects", json={"name": "n" * 121})
        long_description = await client.post(
            "/api/v1/projects", json={"name": "Described", "description": "d" * 2001}
        )
    assert longest.status_code == 201, longest.text
    assert too_long.status_code == 422, too_long.text
    assert long_description.status_code == 422, long_description.text

    await page.goto(studio.gateway + "/studio/new")
    name = page.get_by_label("Name")
    description = page.get_by_label("Description")
    # Longer than the server takes: kept whole and refused at the field, not cut short unseen.
    await name.press_sequentially("n" * 121)
    await expect(name).to_have_value("n" * 121)
    await description.fill("d" * 2001)
    await page.get_by_role("button", name="Create project").click()
    await expect(page.locator("[data-field=name] .field__error")).to_have_text(
        "At most 120 characters. This one has 121."
    )
    await expect(name).to_be_focused()
    await name.press("Backspace")
    await page.get_by_role("button", name="Create project").click()
    await expect(page.locator("[data-field=description] .field__error")).to_have_text(
        "At most 2,000 characters. This one has 2,001."
    )
    await description.fill("d" * 2000)
    await page.get_by_role("button", name="Create project").click()
    await expect(page.get_by_role("heading", level=1, name="n" * 120)).to_be_visible()


async def test_could_not_reach_the_server_goes_once_the_server_is_back(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    # The server unreachable: the live stream cannot open and a Generate cannot get through.
    await page.route("**/api/v1/events*", lambda route: route.abort())
    await page.route("**/generations", lambda route: route.abort())
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await page.get_by_label("Prompt", exact=True).fill("a fox")
    await page.get_by_role("button", name="Generate", exact=True).click()
    alert = page.locator(".gen-panel .alert")
    await expect(alert).to_contain_text("could not reach the server")
    await expect(page.locator("html[data-live=offline]")).to_have_count(1)

    # Back: the live stream reopens on its own, and the stale alert goes with the outage.
    await page.unroute("**/api/v1/events*")
    await expect(page.locator("html[data-live=online]")).to_have_count(1)
    await expect(alert).to_be_hidden()


async def test_tab_goes_round_a_dialog_and_never_leaves_it(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    opener = page.get_by_role("button", name="Delete", exact=True).first
    await opener.click()
    confirm = page.get_by_role("alertdialog")
    close = confirm.get_by_role("button", name="Close")
    cancel = confirm.get_by_role("button", name="Cancel")
    delete = confirm.get_by_role("button", name="Delete project")
    await expect(cancel).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(delete).to_be_focused()
    await page.keyboard.press("Tab")  # past the last control: round to the first
    await expect(close).to_be_focused()
    await page.keyboard.press("Shift+Tab")  # before the first: round to the last
    await expect(delete).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(confirm).to_be_hidden()
    await expect(opener).to_be_focused()
