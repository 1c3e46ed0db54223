"""The project studio in a browser: the generation panel (types, the model dialog by keyboard,
advanced settings, references), the history (live updates, viewer, download, cancel, retry,
remix, save as template, paging) and how refusals and markup are shown."""

import asyncio
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import nats
import pytest
from PIL import Image
from playwright.async_api import Page, Route, expect
from pymongo import AsyncMongoClient
from studio_contracts import subjects
from studio_contracts.events import GenerationCompleted

from tests.browser.helpers import (
    assert_accessible,
    create_project,
    finished,
    screenshot,
    start_generation,
)
from tests.support.full_stack import FullStack, Servers, full_stack

MARKUP_PROMPT = '<img src=x onerror=window.__x=1> "fox" & <b>bold</b><script>window.__y=1</script>'


@pytest.fixture
async def slow_studio(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """A worker whose local jobs take a minute, reporting progress every second."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker={"local_latency_s": 60, "local_progress_steps": 60},
    ) as stack:
        yield stack


@pytest.fixture
async def idle_studio(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """No worker: generations stay pending."""
    async with full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack:
        yield stack


async def _project(client: httpx.AsyncClient, name: str = "Moss and stone") -> str:
    return await create_project(client, name, "Macro textures")


def _png(color: tuple[int, int, int] = (40, 160, 120)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), color).save(out, format="PNG")
    return out.getvalue()


async def _open(page: Page, stack: FullStack, project_id: str, query: str = "") -> None:
    await page.goto(f"{stack.gateway}/studio/{project_id}{query}")
    await expect(page.get_by_role("radio", name="Text to image")).to_be_visible()


async def _open_new(page: Page, stack: FullStack, query: str = "") -> str:
    """A new project ("Moss and stone"), its page open; its id."""
    async with stack.client() as client:
        project_id = await _project(client)
    await _open(page, stack, project_id, query)
    return project_id


def _cards(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("article.gen-card")


async def test_type_and_model_are_chosen_with_the_keyboard(
    keyed_studio: FullStack, page: Page
) -> None:
    await _open_new(page, keyed_studio)
    await expect(page.get_by_label("Prompt", exact=True)).to_be_focused()
    await expect(page.get_by_role("heading", level=1, name="Moss and stone")).to_be_visible()

    # The type radio group: arrows move and select.
    text_to_image = page.get_by_role("radio", name="Text to image")
    await expect(text_to_image).to_have_attribute("aria-checked", "true")
    await text_to_image.focus()
    await page.keyboard.press("ArrowRight")
    image_to_image = page.get_by_role("radio", name="Image to image")
    await expect(image_to_image).to_be_focused()
    await expect(image_to_image).to_have_attribute("aria-checked", "true")
    await expect(page.get_by_text("Reference image", exact=True)).to_be_visible()
    await page.keyboard.press("ArrowLeft")
    await expect(text_to_image).to_have_attribute("aria-checked", "true")
    await expect(page.get_by_text("Reference image", exact=True)).to_be_hidden()

    # With a key the best hosted model is the default; choose FLUX.1 [dev] by keyboard.
    card = page.get_by_role("button", name=re.compile(r"^Choose model"))
    await card.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Choose a model")
    await expect(dialog).to_be_visible()
    search = dialog.get_by_role("combobox", name="Search models")
    await expect(search).to_be_focused()
    await expect(dialog.get_by_role("option", name=re.compile("Local Image"))).to_be_visible()
    await expect(dialog.get_by_role("option", name=re.compile("Kling|Veo"))).to_have_count(0)
    await screenshot(page, "model-dialog")
    await assert_accessible(page)
    await page.keyboard.type("flux")
    await expect(dialog.get_by_role("option", name=re.compile("Local Image"))).to_have_count(0)
    options = dialog.get_by_role("option")
    names = [await o.locator(".model-option__name").inner_text() for o in await options.all()]
    target = names.index("FLUX.1 [dev]")
    await page.keyboard.press("ArrowUp")  # wraps to the last option
    for _ in range(len(names) - 1 - target):
        await page.keyboard.press("ArrowUp")
    active = await search.get_attribute("aria-activedescendant")
    assert (
        active
        and await page.locator(f"#{active}").locator(".model-option__name").inner_text()
        == "FLUX.1 [dev]"
    )
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_hidden()
    await expect(card).to_contain_text("FLUX.1 [dev]")
    await expect(card).to_contain_text("Black Forest Labs")

    # Escape closes and gives focus back to the model card; the choice stays.
    await card.focus()
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await expect(
        dialog.get_by_role("option", name=re.compile(r"FLUX\.1 \[dev\]")).first
    ).to_have_attribute("aria-selected", "true")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(card).to_be_focused()
    await expect(card).to_contain_text("FLUX.1 [dev]")


async def test_advanced_settings_go_in_the_request_and_the_result_shows_live(
    studio: FullStack, page: Page
) -> None:
    await _open_new(page, studio)
    await page.get_by_text("Advanced settings").click()
    steps = page.get_by_role("slider", name="Inference steps")
    await expect(steps).to_have_value("4")
    await steps.focus()
    for _ in range(8):
        await page.keyboard.press("ArrowRight")
    await expect(steps).to_have_value("12")
    guidance = page.get_by_role("slider", name="Guidance scale")
    await guidance.focus()
    await page.keyboard.press("End")
    await expect(guidance).to_have_value("20")
    images = page.get_by_role("slider", name="Number of images")
    await images.focus()
    await page.keyboard.press("ArrowRight")
    await expect(images).to_have_value("2")
    seed = page.get_by_role("spinbutton", name="Seed")
    await expect(seed).to_be_disabled()
    await page.get_by_role("switch", name="Random").uncheck()
    await expect(seed).to_be_enabled()
    await seed.fill("4242")
    await page.get_by_label("Image size").select_option("landscape_16_9")
    prompt = page.get_by_label("Prompt", exact=True)
    await prompt.fill("teal ocean waves at dusk")

    async with page.expect_response(re.compile(r"/generations$")) as answer:
        await prompt.press("Control+Enter")
    created = await (await answer.value).json()
    card = _cards(page).first
    await expect(card).to_have_attribute("data-id", created["id"])
    await expect(card.locator(".gen-card__badge")).to_have_text(
        re.compile("Completed"), timeout=20_000
    )
    thumbs = card.locator(".gen-card__view img")
    await expect(thumbs).to_have_count(2)
    await page.wait_for_function(
        "() => [...document.querySelectorAll('article.gen-card img')].every((i) => i.complete && i.naturalWidth > 0)"
    )
    await expect(thumbs.first).to_have_attribute("loading", "lazy")
    assert await thumbs.first.get_attribute("width")
    await expect(card).to_contain_text("Local Image")
    await expect(card).to_contain_text("Text to image")

    async with studio.client() as client:
        record = (await client.get(f"/api/v1/generations/{created['id']}")).json()
    params = record["params"]
    assert params["num_inference_steps"] == 12
    assert params["guidance_scale"] == 20
    assert params["num_images"] == 2
    assert params["seed"] == 4242
    assert params["image_size"] == "landscape_16_9"

    await assert_accessible(page)
    # The bar's counts follow the generation (a moment later, as they do for a person).
    await expect(page.locator(".project-bar__stats")).to_contain_text("1 generation")
    await page.locator(".studio__panel").evaluate("(el) => { el.scrollTop = 0; }")
    await screenshot(page, "project")

    # The viewer: arrows move between the two images, Escape closes and returns focus.
    view = card.get_by_role("button", name="View 2 images")
    await view.click()
    viewer = page.locator("dialog.dialog--viewer")
    await expect(viewer).to_be_visible()
    await expect(viewer.locator(".viewer__counter")).to_have_text("1 of 2")
    await expect(viewer.locator("img.viewer__media")).to_have_attribute(
        "src", re.compile(r"/content$")
    )
    await page.keyboard.press("ArrowRight")
    await expect(viewer.locator(".viewer__counter")).to_have_text("2 of 2")
    await page.keyboard.press("ArrowLeft")
    await expect(viewer.locator(".viewer__counter")).to_have_text("1 of 2")
    await page.wait_for_function(
        "() => document.querySelector('img.viewer__media')?.naturalWidth > 0"
    )
    await screenshot(page, "viewer")
    content = await viewer.locator("img.viewer__media").get_attribute("src")
    assert content
    async with page.expect_download() as download_info:
        await viewer.get_by_role("link", name="Download").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".png")
    favorite = viewer.get_by_role("button", name="Favorite")
    await favorite.click()
    await expect(favorite).to_have_attribute("aria-pressed", "true")
    await page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()
    await expect(view).to_be_focused()

    # The card's own download link.
    async with page.expect_download() as download_info:
        await card.get_by_role("link", name="Download").click()
    assert (await download_info.value).suggested_filename.endswith(".png")

    # A file opened in a tab of its own is shown by the browser's own viewer, whose sandboxed
    # policy (nothing may run) does not keep the image from showing.
    tab = await page.context.new_page()
    opened = await tab.goto(urljoin(page.url, content))
    assert opened is not None and "sandbox" in opened.headers["content-security-policy"]
    await tab.wait_for_function("() => document.images[0]?.naturalWidth > 0")
    await tab.close()

    # The settings are remembered for the project.
    await page.reload()
    await expect(page.get_by_role("slider", name="Inference steps")).to_have_value("12")
    await expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("4242")
    await expect(page.get_by_role("switch", name="Random")).not_to_be_checked()
    await expect(page.get_by_label("Image size")).to_have_value("landscape_16_9")
    await page.get_by_role("button", name="Reset to defaults").click()
    await expect(page.get_by_role("slider", name="Inference steps")).to_have_value("4")
    await expect(page.get_by_role("switch", name="Random")).to_be_checked()


async def test_an_uploaded_reference_becomes_a_video(
    studio: FullStack, page: Page, tmp_path: Path
) -> None:
    await _open_new(page, studio, "?type=image-to-video")
    await expect(page.get_by_role("radio", name="Image to video")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(page.get_by_role("button", name=re.compile("Choose model"))).to_contain_text(
        "Local Image to Video"
    )

    # Generating without the image says what is missing, at the references.
    await page.get_by_label("Prompt", exact=True).fill("gentle push-in")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator(".refs .field__error")).to_contain_text("Add an image")

    frame = tmp_path / "first-frame.png"
    frame.write_bytes(_png())
    await page.locator(".refs input[type=file]").set_input_files(frame)
    item = page.locator(".refs__item")
    await expect(item).to_contain_text("first-frame.png")
    await expect(item).to_contain_text("96\u00d764")
    # The same file again is not stored twice.
    await page.locator(".refs input[type=file]").set_input_files(frame)
    await expect(page.locator(".refs .field__error")).to_have_text(
        "“first-frame.png” is attached already."
    )
    await expect(item).to_have_count(1)
    await page.get_by_role("button", name="Generate", exact=True).click()
    card = _cards(page).first
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed", timeout=30_000)
    await expect(card).to_contain_text("Image to video")
    # The card shows the video's first frame (its poster), with a play mark and its length.
    poster = card.locator(".gen-card__view--video img")
    await expect(poster).to_be_visible()
    await poster.evaluate(
        "(img) => img.decode().then(() => { if (!img.naturalWidth) throw new Error('empty'); })"
    )
    await expect(card.locator(".gen-card__play")).to_be_visible()
    await expect(card.locator(".gen-card__view--video")).to_contain_text(
        re.compile(r"Video · 0:0\d")
    )
    await card.get_by_role("button", name="View video").click()
    video = page.locator("dialog.dialog--viewer video")
    await expect(video).to_be_visible()
    assert await video.get_attribute("controls") is not None
    # Named from its prompt, as in the gallery.
    await expect(page.locator("dialog.dialog--viewer")).to_contain_text("gentle-push-in-1.mp4")
    await page.keyboard.press("Escape")

    async with studio.client() as client:
        record = (
            await client.get(f"/api/v1/generations/{await card.get_attribute('data-id')}")
        ).json()
    assert len(record["input_asset_ids"]) == 1

    # Remove the reference: the drop zone comes back.
    await item.get_by_role("button", name="Remove first-frame.png").click()
    await expect(item).to_have_count(0)
    await expect(page.get_by_role("button", name="Pick from project")).to_be_visible()
    # …and "Pick from project" lists the uploaded image.
    await page.get_by_role("button", name="Pick from project").click()
    picker = page.get_by_role("dialog", name="Pick from project")
    await picker.get_by_role("button", name=re.compile("first-frame.png")).click()
    await expect(page.locator(".refs__item")).to_contain_text("first-frame.png")

    # The record says the video has a poster: a history opened later shows it without asking
    # the asset first.
    assert record["outputs"][0]["thumbnail"] is True
    assets_asked: list[str] = []
    page.on(
        "request",
        lambda request: (
            assets_asked.append(request.url.rsplit("/", 1)[-1])
            if re.search(r"/api/v1/assets/[^/?]+$", request.url)
            else None
        ),
    )
    await page.reload()
    await expect(_cards(page).first.locator(".gen-card__view--video img")).to_be_visible()
    assert record["outputs"][0]["asset_id"] not in assets_asked, assets_asked


async def test_a_slow_generation_shows_progress_and_can_be_cancelled(
    slow_studio: FullStack, page: Page
) -> None:
    await _open_new(page, slow_studio)
    await page.get_by_label("Prompt", exact=True).fill("a lighthouse in the storm")
    await page.get_by_role("button", name="Generate", exact=True).click()
    card = _cards(page).first
    await expect(card.locator(".gen-card__badge")).to_have_text(
        re.compile("Pending|Processing"), timeout=2_000
    )
    await expect(card.locator(".gen-card__badge")).to_have_text(re.compile(r"Processing \d+%"))
    await expect(card.locator(".gen-card__log")).to_have_text(re.compile(r"step \d+/60"))
    await expect(card).to_contain_text("so far")
    await screenshot(page, "project-generating")
    await card.get_by_role("button", name="Cancel").click()
    await expect(card.locator(".gen-card__badge")).to_have_text("Cancelled")
    await expect(card.get_by_role("button", name="Retry")).to_be_visible()


async def test_a_cancel_the_worker_has_not_acted_on_yet_says_so_and_survives_a_reload(
    idle_studio: FullStack, servers: Servers, page: Page
) -> None:
    """A worker that took the job and stopped answering (stopped, cut off): the cancel is
    stored, and the card says "Cancelling" with no second Cancel, after a reload too."""
    async with idle_studio.client() as client:
        project_id = await _project(client)
        generation = await start_generation(client, project_id, prompt="a heron at dusk")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        taken = await mongo[f"{servers.mongo_db_name}_g"]["generations"].update_one(
            {"_id": generation["id"], "status": "pending"},
            {"$set": {"status": "processing", "attempts": 1, "lease_until_ms": 2**53}},
        )
        assert taken.modified_count == 1
    finally:
        await mongo.close()
    await _open(page, idle_studio, project_id)
    card = _cards(page).first
    await expect(card.locator(".gen-card__badge")).to_have_text("Processing")
    cancel = card.get_by_role("button", name="Cancel", exact=True)
    await cancel.focus()
    await page.keyboard.press("Enter")
    await expect(card.locator(".gen-card__badge")).to_have_text("Cancelling")
    inert = card.get_by_role("button", name="Cancelling…")
    await expect(inert).to_be_focused()
    await expect(inert).to_have_attribute("aria-disabled", "true")
    await expect(card.get_by_role("button", name="Cancel", exact=True)).to_have_count(0)

    await page.reload()
    card = _cards(page).first
    await expect(card.locator(".gen-card__badge")).to_have_text("Cancelling")
    await expect(card.get_by_role("button", name="Cancel", exact=True)).to_have_count(0)
    async with idle_studio.client() as client:
        record = (await client.get(f"/api/v1/generations/{generation['id']}")).json()
    assert record["status"] == "processing" and record["cancel_requested"] is True

    # The worker comes back having finished the job before it heard the cancel: it ends
    # completed (docs/generation.md), and the page says the cancel came too late.
    mongo = AsyncMongoClient(servers.mongo_url)
    try:
        stored = mongo[f"{servers.mongo_db_name}_g"]["generations"]
        doc = await stored.find_one_and_update(
            {"_id": generation["id"]}, {"$set": {"status": "completed", "completed_ms": 1}}
        )
        assert doc is not None
    finally:
        await mongo.close()
    nc = await nats.connect(servers.nats_url)
    try:
        completed = GenerationCompleted(
            user_id=doc["owner"],
            generation_id=generation["id"],
            project_id=project_id,
            model_id=doc["model_id"],
            prompt=doc["prompt"],
            outputs=[],
        )
        await nc.jetstream().publish(
            subjects.subject(subjects.GENERATION_COMPLETED, servers.nats_prefix),
            completed.model_dump_json().encode(),
        )
    finally:
        await nc.close()
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed")
    await expect(page.locator("#toasts")).to_contain_text(
        "“a heron at dusk” had already finished, so it could not be cancelled."
    )


async def test_a_slow_project_shows_the_page_shape_while_it_loads(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await _project(client)
        await start_generation(client, project_id, prompt="a heron at dusk")
    held = asyncio.Event()

    async def slow(route: Route) -> None:
        await held.wait()
        await route.continue_()

    await page.route(re.compile(rf"/api/v1/projects/{project_id}$"), slow)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    # Not an empty page: the bar and the panel as grey shapes, and the history, asked for
    # beside the project, already there.
    await expect(page.locator("main .project-bar .skeleton").first).to_be_visible()
    await expect(page.locator("main .studio__panel .skeleton").first).to_be_visible()
    await expect(_cards(page)).to_have_count(1)
    await expect(page.locator("main")).to_have_attribute("aria-busy", "true")

    held.set()
    await expect(page.get_by_role("heading", name="Moss and stone")).to_be_visible()
    await expect(page.locator("main .skeleton")).to_have_count(0)
    await expect(_cards(page)).to_have_count(1)
    await expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")


async def test_the_active_limit_message_clears_when_a_generation_ends(
    servers: Servers, tmp_path: Path, page: Page
) -> None:
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker={"local_latency_s": 60, "local_progress_steps": 60},
        generation_api={"max_active_per_user": 1},
    ) as stack:
        await _open_new(page, stack)
        await page.get_by_label("Prompt", exact=True).fill("a lighthouse in the storm")
        generate = page.get_by_role("button", name="Generate", exact=True)
        await generate.click()
        first = _cards(page).first
        await expect(first.get_by_role("button", name="Cancel", exact=True)).to_be_visible()
        await generate.click()
        alert = page.locator(".gen-panel [role=alert]")
        # Said as the server says it, without a wait: the limit frees up when one ends.
        await expect(alert).to_have_text(
            "You have 1 generation queued or running, the most allowed at once; wait for it to "
            "finish (or cancel it), then try again."
        )
        # The limit is free again once one ends: the panel says so, without a reload.
        await first.get_by_role("button", name="Cancel", exact=True).click()
        await expect(first.locator(".gen-card__badge")).to_have_text("Cancelled")
        await expect(alert).to_have_text("A generation has finished: you can generate again.")
        await generate.click()
        await expect(_cards(page)).to_have_count(2)
        await expect(alert).to_be_hidden()


async def test_a_failed_generation_is_retried(
    studio: FullStack, servers: Servers, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await _project(client)
        generation = await start_generation(client, project_id, prompt="a fox in the snow")
        await finished(client, generation["id"])
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        await mongo[f"{servers.mongo_db_name}_g"]["generations"].update_one(
            {"_id": generation["id"]},
            {
                "$set": {
                    "status": "failed",
                    "outputs": [],
                    "error": {
                        "code": "provider_error",
                        "message": "The provider refused the prompt.",
                    },
                }
            },
        )
    finally:
        await mongo.close()
    await _open(page, studio, project_id)
    card = _cards(page).first
    await expect(card.locator(".gen-card__badge")).to_have_text("Failed")
    await expect(card.locator(".gen-card__error")).to_have_text("The provider refused the prompt.")
    await card.get_by_role("button", name="Retry").click()
    await expect(_cards(page)).to_have_count(2)
    fresh = _cards(page).first
    assert await fresh.get_attribute("data-id") != generation["id"]
    await expect(fresh.locator(".gen-card__badge")).to_have_text("Completed", timeout=20_000)
    await expect(fresh.locator(".gen-card__view img")).to_be_visible()


async def test_remix_fills_the_panel_and_a_template_is_saved(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await _project(client)
        generation = await start_generation(
            client,
            project_id,
            prompt="purple mountains at night",
            params={"num_inference_steps": 7, "image_size": "portrait_16_9", "seed": 99},
        )
        await finished(client, generation["id"])
    await _open(page, studio, project_id)
    card = _cards(page).first
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed")
    await card.get_by_role("button", name="Remix").click()
    await expect(page.get_by_label("Prompt", exact=True)).to_have_value("purple mountains at night")
    await expect(page.get_by_label("Prompt", exact=True)).to_be_focused()
    await expect(page.locator(".toast", has_text="Remixing")).to_be_visible()
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_role("slider", name="Inference steps")).to_have_value("7")
    await expect(page.get_by_label("Image size")).to_have_value("portrait_16_9")
    await expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("99")
    await expect(page.get_by_role("switch", name="Random")).not_to_be_checked()

    await card.get_by_role("button", name="Save as template").click()
    dialog = page.get_by_role("dialog", name="Save as template")
    name = dialog.get_by_label("Name")
    await expect(name).to_be_focused()
    await name.fill("Night peaks")
    await dialog.get_by_label("Description").fill("  Cold light on the ridges.  ")
    await dialog.get_by_role("button", name="Save template").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator(".toast", has_text="Night peaks")).to_be_visible()
    async with studio.client() as client:
        templates = (await client.get("/api/v1/templates")).json()["items"]
    assert [t["name"] for t in templates] == ["Night peaks"]
    saved = templates[0]
    assert saved["description"] == "Cold light on the ridges."
    assert saved["model_id"] == "local/image"
    assert saved["prompt"] == "purple mountains at night"
    assert saved["source_generation_id"] == generation["id"]
    assert saved["params"]["num_inference_steps"] == 7
    assert "seed" not in saved["params"] and "prompt" not in saved["params"]

    # ?template= fills the panel from it.
    await _open(page, studio, project_id, f"?template={saved['id']}")
    await expect(page.get_by_label("Prompt", exact=True)).to_have_value("purple mountains at night")
    await expect(page).to_have_url(re.compile(rf"/studio/{project_id}$"))


async def test_a_generation_shows_at_once_as_pending_while_it_is_sent(
    studio: FullStack, page: Page
) -> None:
    """UI.md: Generate feels instant, the new card is in the history at once as pending, then
    follows the answer; a refusal takes it off again."""
    project_id = await _open_new(page, studio)
    answer = asyncio.Queue[str]()

    async def slow_server(route: Route) -> None:
        if route.request.method != "POST" or await answer.get() == "accept":
            await route.continue_()
        else:
            # A definite refusal (a 503 would leave open whether it was made: asked again).
            await route.fulfill(
                status=422,
                json={
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "This model cannot take that prompt.",
                    "errors": [],
                },
            )

    await page.route(f"**/api/v1/projects/{project_id}/generations", slow_server)
    prompt = page.get_by_label("Prompt", exact=True)
    generate = page.get_by_role("button", name="Generate", exact=True)
    await prompt.fill("a slow fox")
    await generate.click()
    card = _cards(page).filter(has_text="a slow fox")
    await expect(card).to_have_count(1)  # while the request is still out
    await expect(card.locator(".gen-card__status")).to_have_text("Pending")
    await expect(card.get_by_role("button")).to_have_count(0)  # nothing to act on yet
    await expect(card).to_contain_text("Sending")  # not "Waiting for a worker": none has it
    await expect(generate).to_have_attribute("aria-busy", "true")
    # Busy, the button keeps the focus of the person who pressed it (disabled, it dropped it to
    # the page), and pressing it again is a double press, not a second job.
    await expect(generate).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(_cards(page)).to_have_count(1)
    await answer.put("accept")
    await expect(card).to_have_attribute("data-id", re.compile(r"^[0-9a-f]{24}$"))
    await expect(card).to_have_count(1)
    await expect(generate).not_to_have_attribute("aria-busy", "true")

    await prompt.fill("a refused fox")
    await generate.click()
    refused = _cards(page).filter(has_text="a refused fox")
    await expect(refused).to_have_count(1)
    await answer.put("refuse")
    await expect(refused).to_have_count(0)
    await expect(page.get_by_role("alert")).to_contain_text("This model cannot take that prompt.")
    await expect(_cards(page)).to_have_count(1)


async def test_refusals_are_shown_where_they_belong(studio: FullStack, page: Page) -> None:
    project_id = await _open_new(page, studio)
    prompt = page.get_by_label("Prompt", exact=True)
    generate = page.get_by_role("button", name="Generate", exact=True)
    error = page.locator("[data-field=prompt] .field__error")
    # An empty prompt is asked for before anything is sent.
    await prompt.fill("   ")
    await generate.click()
    await expect(error).to_have_text("Write a prompt first: describe what to make.")
    await expect(prompt).to_be_focused()

    # A seed is sent as typed, and the API's words are shown at it as a sentence.
    await prompt.fill("a fox")
    await page.get_by_text("Advanced settings").click()
    await page.get_by_role("switch", name="Random").uncheck()
    seed = page.get_by_role("spinbutton", name="Seed")
    seed_error = page.locator("[data-field=seed] .field__error")
    await seed.fill("1.5")
    await generate.click()
    await expect(seed_error).to_have_text("Must be a whole number.")
    await seed.fill("99999999999")
    await generate.click()
    await expect(seed_error).to_have_text("At most 4294967295.")
    await seed.fill("2.5")
    await generate.click()
    await expect(seed_error).to_have_text("Must be a whole number.")
    # Past what JSON carries exactly (it went as 1e+23, and was "not a whole number").
    await seed.fill("99999999999999999999999")
    await generate.click()
    await expect(seed_error).to_have_text("At most 4294967295.")
    await expect(_cards(page)).to_have_count(0)
    await page.get_by_role("switch", name="Random").check()

    # The box stops at 10,000 characters; a client without that limit gets the API's refusal.
    await prompt.evaluate("(el) => el.removeAttribute('maxlength')")
    await prompt.fill("x" * 10_001)
    await generate.click()
    await expect(error).to_have_text("At most 10000 characters.")
    await expect(prompt).to_have_attribute("aria-invalid", "true")
    await expect(prompt).to_be_focused()
    await expect(_cards(page)).to_have_count(0)

    # Hosted models are listed but need a key: the dialog says how to add one.
    await page.get_by_role("button", name=re.compile("Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await expect(dialog.get_by_text("FAL_KEY").first).to_be_visible()
    flux = dialog.get_by_role("option", name=re.compile(r"FLUX\.1 \[dev\]"))
    await expect(flux).to_have_attribute("aria-disabled", "true")
    await expect(flux).to_contain_text("Needs key")
    await page.keyboard.type("flux.1 [dev]")
    await expect(dialog.get_by_role("option")).to_have_count(1)
    await page.keyboard.press("Enter")
    await expect(dialog.locator(".model-dialog__note")).to_contain_text("needs a fal.ai key")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("button", name=re.compile("Choose model"))).to_contain_text(
        "Local Image"
    )

    # A starter for a hosted model falls back to the offline one and says why.
    await _open(page, studio, project_id, "?starter=cinematic-portrait")
    alert = page.locator(".gen-panel .alert")
    await expect(alert).to_contain_text("FAL_KEY")


async def test_markup_in_a_prompt_is_shown_as_text(studio: FullStack, page: Page) -> None:
    await _open_new(page, studio)
    await page.get_by_label("Prompt", exact=True).fill(MARKUP_PROMPT)
    await page.get_by_role("button", name="Generate", exact=True).click()
    card = _cards(page).first
    await expect(card.locator(".gen-card__prompt")).to_have_text(MARKUP_PROMPT)
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed", timeout=20_000)
    await expect(card.locator(".gen-card__prompt")).to_have_text(MARKUP_PROMPT)
    await expect(page.locator("main script, main b, img[src=x]")).to_have_count(0)
    assert await page.evaluate("() => [window.__x, window.__y]") == [None, None]


async def test_the_history_loads_more_as_it_scrolls(idle_studio: FullStack, page: Page) -> None:
    async with idle_studio.client() as client:
        project_id = await _project(client)
        for i in range(120):
            await start_generation(client, project_id, prompt=f"frame {i:03d}")
    await _open(page, idle_studio, project_id)
    cards = _cards(page)
    await expect(cards).to_have_count(50)
    await expect(cards.first).to_contain_text("frame 119")
    await expect(cards.first.locator(".gen-card__badge")).to_have_text("Pending")
    await page.locator(".gen-history .sentinel").scroll_into_view_if_needed()
    await expect(cards).to_have_count(100)
    await page.locator(".gen-history .sentinel").scroll_into_view_if_needed()
    await expect(cards).to_have_count(120)
    await expect(cards.last).to_contain_text("frame 000")
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()


async def test_rename_and_delete_the_project(studio: FullStack, page: Page) -> None:
    project_id = await _open_new(page, studio)
    await page.get_by_role("button", name="Rename").click()
    await page.get_by_label("Name").fill("Moss, stone & <b>fern</b>")
    await page.get_by_label("Description").fill("Spring set")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moss, stone & <b>fern</b>")
    await expect(page.locator(".project-bar__description")).to_have_text("Spring set")
    await page.get_by_role("button", name="Delete", exact=True).first.click()
    confirm = page.get_by_role("alertdialog")
    await expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    await confirm.get_by_role("button", name="Delete project").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    # One toast says so: the page's own `project.deleted` from the live stream adds none. (The
    # rename's "Project updated" may still be up: on a slow machine it goes only a moment before.)
    deleted = page.locator(".toast").filter(has_text="deleted")
    await expect(deleted).to_have_text(["“Moss, stone & <b>fern</b>” deleted"])
    async with studio.client() as client:
        assert (await client.get(f"/api/v1/projects/{project_id}")).status_code == 404


async def test_a_project_deleted_elsewhere_or_never_there_says_so(
    studio: FullStack, page: Page
) -> None:
    project_id = await _open_new(page, studio)
    await expect(page.locator("html[data-live=online]")).to_have_count(1)
    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/projects/{project_id}")).status_code in (202, 204)
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.locator(".toast")).to_have_text(["This project was deleted."])

    # Its address later (a bookmark): the not-found page, not an error to retry.
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    await expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    await page.get_by_role("link", name="Back to projects").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
