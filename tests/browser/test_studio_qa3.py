"""What a third hands-on QA pass of the studio found, each shown in a browser: references of a
type that takes none are not sent; a list setting without a default is left to the model; the
panel recovers from a catalog that was down; a service that is down is said in a sentence;
paste and drop move to a type that takes the file; the reference slot shows one current
message; a video without a poster asks for none; option values read as words; project names
have the card's width; the prompt has a limit and a counter; a queued generation says so."""

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import FilePayload, Page, Request, Route, ViewportSize, expect

from tests.browser.helpers import (
    GENERATIONS_POST,
    answer_service_down,
    choose_model,
    create_project,
    dispatch_files,
    fake_generation,
    import_studio_module,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

# U+2019 and the curly double quotes, as the studio writes them.
APOS = "\u2019"
MODEL_CHOICE = f"Model{APOS}s choice"
GENERATIONS_LIST = re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations\?")


async def _open_project(page: Page, stack: FullStack, query: str = "") -> str:
    async with stack.client() as client:
        project_id = await create_project(client, "Moss and stone")
    await page.goto(f"{stack.gateway}/studio/{project_id}{query}")
    await expect(page.get_by_role("radio", name="Text to image")).to_be_visible()
    return project_id


def _radio(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("radio", name=name, exact=True)


async def _generate(page: Page) -> dict[str, Any]:
    """Press Generate; the body the panel sent."""
    async with page.expect_request(
        lambda r: r.method == "POST" and bool(GENERATIONS_POST.search(r.url))
    ) as sent:
        await page.get_by_role("button", name="Generate", exact=True).click()
    body = (await sent.value).post_data_json
    assert isinstance(body, dict)
    return body


async def test_references_of_a_hidden_slot_are_kept_but_not_sent(
    studio: FullStack, page: Page, tmp_path: Path
) -> None:
    await _open_project(page, studio, "?type=image-to-image")
    frame = tmp_path / "fern.png"
    frame.write_bytes(media_samples.png(96, 64))
    await page.locator(".refs input[type=file]").set_input_files(frame)
    item = page.locator(".refs__item")
    await expect(item.locator(".refs__meta")).to_be_visible()

    # Text to image shows no slot: what it held is not sent (the API would refuse it).
    await _radio(page, "Text to image").click()
    await expect(page.locator(".refs")).to_be_hidden()
    await page.get_by_label("Prompt", exact=True).fill("a fern in the rain")
    body = await _generate(page)
    assert body["type"] == "text-to-image"
    assert body["input_asset_ids"] == []
    await expect(page.locator("article.gen-card")).to_have_count(1)
    await expect(page.get_by_role("alert")).to_be_hidden()

    # Back on Image to image, the reference is still there, and goes with the request.
    await _radio(page, "Image to image").click()
    await expect(item).to_contain_text("fern.png")
    body = await _generate(page)
    assert len(body["input_asset_ids"]) == 1
    await expect(page.locator("article.gen-card")).to_have_count(2)


async def test_a_list_setting_without_a_default_is_left_to_the_model(
    keyed_studio: FullStack, page: Page
) -> None:
    await _open_project(page, keyed_studio)
    await choose_model(page, "Ideogram V3")
    await page.get_by_text("Advanced settings").click()
    preset = page.get_by_label("Style preset")
    await expect(preset).to_have_value("")
    await expect(preset.locator("option:checked")).to_have_text(MODEL_CHOICE)
    await expect(page.locator('[data-field="style"] select')).to_have_value("")
    # A setting with a default starts on it, with no "Model's choice" to pick.
    speed = page.get_by_label("Rendering speed")
    await expect(speed).to_have_value("BALANCED")
    await expect(speed.locator("option")).to_have_text(["Turbo", "Balanced", "Quality"])
    # Shouted ids read as words.
    await expect(preset.locator('option[value="80S_ILLUSTRATION"]')).to_have_text(
        "80s illustration"
    )
    await expect(preset.locator('option[value="GRAFFITI_II"]')).to_have_text("Graffiti II")

    # Nothing is sent for them: the model decides. (The request is stopped: nothing is run.)
    sent: list[dict[str, Any]] = []

    async def capture(route: Route, request: Request) -> None:
        if request.method != "POST":
            await route.continue_()
            return
        posted = request.post_data_json
        assert isinstance(posted, dict)
        sent.append(posted)
        await route.fulfill(
            status=422,
            json={"title": "Unprocessable Entity", "status": 422, "detail": "stopped by the test"},
        )

    await page.route(GENERATIONS_POST, capture)
    await page.get_by_label("Prompt", exact=True).fill("a poster that says MOSS")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("Stopped by the test")
    params = sent[-1]["params"]
    assert "style_preset" not in params
    assert "style" not in params
    assert params["rendering_speed"] == "BALANCED"

    # A choice is sent, and remembered for the project.
    await preset.select_option("WATERCOLOR")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await eventually(lambda: len(sent) == 2)
    assert sent[-1]["params"]["style_preset"] == "WATERCOLOR"
    await page.reload()  # the advanced settings stay open, as they were left
    await expect(page.get_by_label("Style preset")).to_have_value("WATERCOLOR")
    await page.get_by_role("button", name="Reset to defaults").click()
    await expect(page.get_by_label("Style preset")).to_have_value("")

    # FLUX.1 Kontext [pro]: no aspect ratio unless one is chosen (the input's is kept).
    await _radio(page, "Image to image").click()
    await choose_model(page, "FLUX.1 Kontext [pro]")
    ratio = page.get_by_label("Aspect ratio")
    await expect(ratio).to_have_value("")
    await expect(ratio.locator("option:checked")).to_have_text(MODEL_CHOICE)


async def test_option_values_read_as_words(keyed_studio: FullStack, page: Page) -> None:
    await _open_project(page, keyed_studio)
    await choose_model(page, "FLUX.1 [dev]")
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_label("Acceleration").locator("option")).to_have_text(
        ["None", "Regular", "High"]
    )
    labels = await import_studio_module(
        page,
        "ui/params-labels.js",
        """(m) => ['mp3_22050_32', 'mp3_44100_128', 'pcm_16000', 'ulaw_8000', 'opus_48000_192',
                   'png', 'jpeg'].map((v) => m.enumLabel('output_format', v))
                 .concat([m.enumLabel('voice', 'af_heart'), m.enumLabel('aspect_ratio', '16:9'),
                          m.enumLabel('resolution', '720p'), m.enumLabel('preprocessor', 'none'),
                          m.enumLabel('style_preset', 'C4D_CARTOON')])""",
    )
    assert labels == [
        "MP3, 22.05 kHz, 32 kbps",
        "MP3, 44.1 kHz, 128 kbps",
        "PCM, 16 kHz",
        "\u03bc-law, 8 kHz",
        "Opus, 48 kHz, 192 kbps",
        "PNG",
        "JPEG",
        "Heart (American, female)",
        "16:9",
        "720p",
        "None",
        "C4D cartoon",
    ]


async def test_the_panel_recovers_when_the_catalog_was_down(studio: FullStack, page: Page) -> None:
    down = True

    async def catalog(route: Route) -> None:
        if down:
            await answer_service_down(route, "catalog")
        else:
            await route.continue_()

    await page.route("**/api/v1/models**", catalog)
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    alert = page.locator(".gen-panel [role=alert]")
    await expect(alert).to_have_text(
        f"The models could not be loaded. The studio{APOS}s model catalog is not answering "
        "right now. Try again in a moment.Try again"
    )
    await expect(alert.locator("span[title]")).to_have_attribute(
        "title", "the catalog service is unavailable"
    )
    # Generate says why nothing happens, and points at the way out.
    await page.get_by_label("Prompt", exact=True).fill("moss on a wet stone")
    await page.get_by_role("button", name="Generate", exact=True).click()
    retry = alert.get_by_role("button", name="Try again")
    await expect(retry).to_be_focused()

    # The catalog is back: Try again loads it (nothing failed was kept) and builds the panel.
    down = False
    await retry.click()
    await expect(_radio(page, "Text to image")).to_have_attribute("aria-checked", "true")
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Local Image"
    )
    await expect(alert).to_be_hidden()
    await expect(page.get_by_label("Prompt", exact=True)).to_be_focused()
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator("article.gen-card")).to_have_count(1)


async def test_a_service_that_is_down_is_said_in_a_sentence(studio: FullStack, page: Page) -> None:
    async def projects_down(route: Route) -> None:
        await answer_service_down(route, "projects")

    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    listing = re.compile(r"/api/v1/projects\?")
    await page.route(listing, projects_down)
    await page.goto(studio.gateway + "/studio")
    body = page.locator(".empty__body")
    await expect(body).to_have_text(
        f"The studio{APOS}s project service is not answering right now. Try again in a moment."
    )
    await expect(body).to_have_attribute("title", "the projects service is unavailable")
    await page.unroute(listing)
    await page.get_by_role("button", name="Try again").click()
    await expect(page.locator(".project-card")).to_have_count(1)

    # Generate with the generation service down (a 503 that says when to try again).
    async def generation_down(route: Route) -> None:
        await route.fulfill(
            status=503,
            headers={"Retry-After": "30"},
            content_type="application/problem+json",
            body=json.dumps(
                {
                    "title": "Service Unavailable",
                    "status": 503,
                    "detail": "the generation service is unavailable; try again",
                }
            ),
        )

    await page.route(GENERATIONS_POST, generation_down)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await page.get_by_label("Prompt", exact=True).fill("moss")
    await page.get_by_role("button", name="Generate", exact=True).click()
    alert = page.locator(".gen-panel [role=alert]")
    await expect(alert).to_have_text(
        f"The studio{APOS}s generation service is not answering right now. Try again in 30 seconds."
    )
    await expect(alert.locator("span")).to_have_attribute(
        "title", "the generation service is unavailable; try again"
    )


async def test_paste_and_drop_move_to_a_type_that_takes_the_file(
    studio: FullStack, page: Page
) -> None:
    await _open_project(page, studio)
    toast = page.locator(".toast")
    item = page.locator(".refs__item")

    # An image pasted on Text to image: Image to image, with the image as its reference.
    await page.get_by_label("Prompt", exact=True).focus()
    await dispatch_files(page, "paste", "pasted.png", "image/png", media_samples.png(48, 32))
    await expect(_radio(page, "Image to image")).to_have_attribute("aria-checked", "true")
    await expect(item).to_contain_text("pasted.png")
    await expect(item.locator(".refs__meta")).to_be_visible()
    await expect(toast).to_contain_text(
        "Switched to Image to image to use \u201cpasted.png\u201d as a reference."
    )

    # A video dropped on the image slot: Video to video takes it.
    await dispatch_files(page, "drop", "real.mp4", "video/mp4", media_samples.mp4(), target=".refs")
    await expect(_radio(page, "Video to video")).to_have_attribute("aria-checked", "true")
    await expect(item).to_contain_text("real.mp4")
    await expect(page.locator(".refs .field__error")).to_be_empty()

    # Text to audio shows no slot: an image dropped anywhere on the panel is taken.
    await _radio(page, "Text to audio").click()
    await expect(page.locator(".refs")).to_be_hidden()
    await dispatch_files(
        page, "drop", "leaf.png", "image/png", media_samples.png(40, 40), target=".gen-panel"
    )
    await expect(_radio(page, "Image to image")).to_have_attribute("aria-checked", "true")
    await expect(item.filter(has_text="leaf.png")).to_have_count(1)

    # A sound on the image slot: no type takes one, so the slot says what it needs.
    await dispatch_files(
        page, "drop", "birdsong.wav", "audio/wav", media_samples.wav(0.3), target=".refs"
    )
    await expect(_radio(page, "Image to image")).to_have_attribute("aria-checked", "true")
    await expect(page.locator(".refs .field__error")).to_have_text(
        "\u201cbirdsong.wav\u201d is not an image."
    )


async def test_the_reference_slot_shows_one_current_message(studio: FullStack, page: Page) -> None:
    await _open_project(page, studio, "?type=image-to-image")
    files = page.locator(".refs input[type=file]")
    failed = page.locator(".refs__item--error")
    await files.set_input_files(
        files=[FilePayload(name="logo.svg", mimeType="image/svg+xml", buffer=b"<svg/>")]
    )
    await expect(failed).to_have_count(1)
    await expect(failed).to_contain_text("logo.svg")
    await files.set_input_files(
        files=[FilePayload(name="huge.png", mimeType="image/png", buffer=b"not a picture at all")]
    )
    # The newer failure replaces the older one.
    await expect(failed).to_contain_text("huge.png")
    await expect(failed).to_have_count(1)

    # "Wait for the upload to finish" goes once it has.
    release = asyncio.Event()

    async def slow_upload(route: Route, request: Request) -> None:
        if request.method == "POST":
            await release.wait()
        await route.continue_()

    await page.route(re.compile(r"/api/v1/projects/[0-9a-f]{24}/assets$"), slow_upload)
    await files.set_input_files(
        files=[FilePayload(name="fern.png", mimeType="image/png", buffer=media_samples.png())]
    )
    await expect(failed).to_have_count(0)
    await page.get_by_label("Prompt", exact=True).fill("a fern")
    await page.get_by_role("button", name="Generate", exact=True).click()
    message = page.locator(".refs .field__error")
    await expect(message).to_have_text("Wait for the upload to finish.")
    release.set()
    await expect(page.locator(".refs__item .refs__meta")).to_be_visible()
    await expect(message).to_be_empty()


async def test_a_video_without_a_poster_asks_for_none(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    asset_id = "a" * 24
    video = fake_generation(
        project_id,
        "completed",
        type="text-to-video",
        model_id="local/video",
        outputs=[
            {
                "index": 0,
                "asset_id": asset_id,
                "media_type": "video",
                "content_type": "video/mp4",
                "size": 2048,
                "width": 160,
                "height": 96,
                "duration": 2.0,
            }
        ],
    )

    async def history(route: Route) -> None:
        await route.fulfill(json={"items": [video], "next_cursor": None})

    async def asset(route: Route) -> None:
        await route.fulfill(
            json={
                "id": asset_id,
                "project_id": project_id,
                "kind": "output",
                "media_type": "video",
                "content_type": "video/mp4",
                "size": 2048,
                "sha256": "0" * 64,
                "name": "moss-1.mp4",
                "created_at": "2026-01-01T00:00:00Z",
                "content_url": f"/api/v1/assets/{asset_id}/content",
                "thumbnail_url": None,
            }
        )

    thumbnails: list[str] = []
    page.on("request", lambda r: thumbnails.append(r.url) if "/thumbnail" in r.url else None)
    await page.route(GENERATIONS_LIST, history)
    await page.route(f"**/api/v1/assets/{asset_id}", asset)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    view = page.get_by_role("button", name="View video")
    await expect(view).to_contain_text("Video · 0:02")
    await page.wait_for_load_state("networkidle")
    await expect(view.locator("img")).to_have_count(0)
    assert thumbnails == []

    # The viewer's items: an image has its thumbnail; a video's poster only once its asset
    # has said it has one (here: it has none).
    urls = await import_studio_module(
        page,
        "components/generation-card.js",
        """(m, video) => m.outputsAsAssets({
              ...video,
              outputs: [...video.outputs, {index: 1, asset_id: 'b'.repeat(24),
                media_type: 'image', content_type: 'image/png', size: 10}],
            }).map((a) => a.thumbnail_url)""",
        video,
    )
    assert urls == [None, f"/api/v1/assets/{'b' * 24}/thumbnail"]


async def test_project_names_have_the_card_width(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        await create_project(client, "Client 03 campaign", "Spring launch")
        await create_project(client, "Moss and stone")
    # Last active long ago, as most projects on a busy page are: a long time to show.
    long_ago = (datetime.now(UTC) - timedelta(days=330)).isoformat()

    async def aged(route: Route) -> None:
        answer = await route.fetch()
        page_body = await answer.json()
        for item in page_body["items"]:
            item["last_activity_at"] = item["updated_at"] = item["created_at"] = long_ago
        await route.fulfill(response=answer, json=page_body)

    await page.route(re.compile(r"/api/v1/projects\?"), aged)
    await page.set_viewport_size(ViewportSize(width=1440, height=900))
    await page.goto(studio.gateway + "/studio")
    cards = page.locator(".project-card")
    await expect(cards).to_have_count(2)
    card = cards.filter(has_text="Client 03 campaign")
    await expect(card.locator(".project-card__activity")).to_have_text("Active 11 months ago")
    title = card.locator(".project-card__title")
    assert await title.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    # The time is on every card, on a line of its own: the cards keep one height.
    await expect(cards.locator(".project-card__activity time")).to_have_count(2)
    heights = await cards.evaluate_all("(els) => els.map((el) => el.offsetHeight)")
    assert len(set(heights)) == 1, heights


async def test_the_prompt_has_a_limit_and_a_counter_near_it(studio: FullStack, page: Page) -> None:
    await _open_project(page, studio)
    prompt = page.get_by_label("Prompt", exact=True)
    await expect(prompt).to_have_attribute("maxlength", "10000")
    counter = page.locator(".field__counter")
    await prompt.fill("moss " * 1799)  # 8,995 characters: quiet
    await expect(counter).to_be_hidden()
    await prompt.fill("m" * 9500)
    await expect(counter).to_have_text("9,500 / 10,000 characters")
    described = (await prompt.get_attribute("aria-describedby") or "").split()
    assert await counter.get_attribute("id") in described
    await prompt.fill("m" * 10_000)
    await expect(counter).to_have_text("10,000 / 10,000 characters")
    await expect(counter).to_have_class(re.compile("field__counter--full"))
    await prompt.press("End")
    await page.keyboard.type("more")
    await expect(prompt).to_have_value("m" * 10_000)


async def test_a_generation_waiting_at_the_provider_says_in_queue(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
    queued = fake_generation(
        project_id, "processing", progress={"queue_position": 5, "percent": None, "logs": []}
    )
    running = fake_generation(
        project_id, "processing", progress={"queue_position": None, "percent": 40, "logs": []}
    )

    async def history(route: Route) -> None:
        await route.fulfill(json={"items": [queued, running], "next_cursor": None})

    await page.route(GENERATIONS_LIST, history)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    badges = page.locator(".gen-card__badge")
    await expect(badges).to_have_text(["In queue · #6", "Processing 40%"])
    # Still an icon with the words.
    await expect(badges.first.locator("svg")).to_have_count(1)


async def test_speech_models_take_the_prompt_box(keyed_studio: FullStack, page: Page) -> None:
    """ElevenLabs' speech takes its words as `text`: the prompt box fills it, and Advanced
    settings has no second box for them."""
    await _open_project(page, keyed_studio)
    await _radio(page, "Text to audio").click()
    await choose_model(page, "ElevenLabs Eleven v3 TTS")
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_label("Voice")).to_be_visible()
    await expect(page.locator('[data-field="text"]')).to_have_count(0)
    await page.get_by_label("Prompt", exact=True).fill("Good morning, Moss.")
    # The id from the answer: until it comes, the card on the page is the one "Sending".
    async with page.expect_response(
        lambda r: r.request.method == "POST" and bool(GENERATIONS_POST.search(r.url))
    ) as answered:
        body = await _generate(page)
    assert body["prompt"] == "Good morning, Moss." and "text" not in body.get("params", {})
    accepted = await (await answered.value).json()
    card = page.locator(f'article.gen-card[data-id="{accepted["id"]}"]')
    await expect(card).to_contain_text("Good morning, Moss.")
    async with keyed_studio.client() as client:
        generation = (await client.get(f"/api/v1/generations/{accepted['id']}")).json()
    assert generation["params"]["text"] == "Good morning, Moss."
