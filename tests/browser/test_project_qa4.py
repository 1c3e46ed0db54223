"""What a fourth hands-on QA pass of the project page found, each shown in a browser: the
history names models and types once the catalog's Try again has loaded it."""

import json
import re

from playwright.async_api import Page, Request, Route, expect

from tests.browser.helpers import (
    PHONE,
    answer_service_down,
    choose_model,
    create_project,
    fake_generation,
    import_studio_module,
    start_generation,
)
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually


async def test_history_names_models_after_the_catalog_retry(studio: FullStack, page: Page) -> None:
    down = True

    async def catalog(route: Route) -> None:
        if not down:
            await route.continue_()
            return
        await answer_service_down(route, "catalog")

    await page.route("**/api/v1/models**", catalog)
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
        generation = await start_generation(client, project_id)

        async def completed() -> bool:
            record = (await client.get(f"/api/v1/generations/{generation['id']}")).json()
            return bool(record["status"] == "completed")

        # Done before the page opens: no later event redraws the card with the catalog's names.
        await eventually(completed, within=20)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    meta = page.locator("article.gen-card .gen-card__meta")
    # Without the catalog the card can only give the model's id.
    await expect(meta).to_contain_text("local/image")

    try_again = page.locator(".gen-panel [role=alert]").get_by_role("button", name="Try again")
    await expect(try_again).to_be_visible()
    down = False
    # Pressed in one step of the page: the panel also asks again by itself (ui/retry.js), and if
    # it does first, the alert and its button are gone (the catalog is back either way).
    await page.evaluate(
        """() => [...document.querySelectorAll('.gen-panel [role=alert] button')]
          .find((button) => button.textContent.includes('Try again'))?.click()"""
    )
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Local Image"
    )
    await expect(meta).to_contain_text("Local Image")


async def _open_project(page: Page, stack: FullStack, name: str = "Dunes") -> str:
    async with stack.client() as client:
        project_id = await create_project(client, name)
    await page.goto(f"{stack.gateway}/studio/{project_id}")
    await expect(page.get_by_role("radio", name="Text to image")).to_be_visible()
    return project_id


async def test_a_custom_image_size_is_sent_and_remembered(studio: FullStack, page: Page) -> None:
    await _open_project(page, studio)
    await choose_model(page, "Local Image")
    await page.get_by_text("Advanced settings").click()
    await page.get_by_label("Image size").select_option(label="Custom size")
    await page.get_by_label("Width", exact=True).fill("5000")
    await page.get_by_label("Height", exact=True).fill("360")
    await page.get_by_label("Prompt", exact=True).fill("wide dunes at noon")
    await page.get_by_role("button", name="Generate", exact=True).click()
    # The API's words at the field.
    size = page.locator(".field[data-field=image_size]")
    await expect(size.locator(".field__error")).to_have_text("Width must be 64-2048 pixels.")

    await page.get_by_label("Width", exact=True).fill("640")
    async with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/generations")
    ) as sent:
        await page.get_by_role("button", name="Generate", exact=True).click()
    body = (await sent.value).post_data_json
    assert isinstance(body, dict)
    assert body["params"]["image_size"] == {"width": 640, "height": 360}
    await expect(page.locator("article.gen-card")).to_have_count(1)

    # Remembered for the project, custom pixels included.
    await page.reload()
    await expect(page.get_by_label("Image size")).to_have_value("custom")
    await expect(page.get_by_label("Width", exact=True)).to_have_value("640")
    await expect(page.get_by_label("Height", exact=True)).to_have_value("360")


async def test_use_as_reference_from_the_viewer_leaves_focus_in_the_prompt(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Pebbles")
        generation = await start_generation(client, project_id, prompt="a pebble")

        async def completed() -> bool:
            record = (await client.get(f"/api/v1/generations/{generation['id']}")).json()
            return bool(record["status"] == "completed")

        await eventually(completed, within=20)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator("article.gen-card")
    await card.get_by_role("button", name=re.compile(r"^View")).first.click()
    viewer = page.get_by_role("dialog", name="a pebble")
    await viewer.get_by_role("button", name="Use as reference").click()
    await expect(viewer).to_be_hidden()
    await expect(page.get_by_role("radio", name="Image to image", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(page.locator(".refs")).to_contain_text("a-pebble")
    # Where the person goes on typing, as after a remix (not back on the card's View button).
    await expect(page.get_by_label("Prompt", exact=True)).to_be_focused()


async def test_more_references_than_the_model_takes_are_said_before_sending(
    keyed_studio: FullStack, page: Page
) -> None:
    async with keyed_studio.client() as client:
        project_id = await create_project(client, "Pebbles")
        for prompt in ("first pebble", "second pebble"):
            generation = await start_generation(client, project_id, prompt=prompt)

            async def completed(generation_id: str = generation["id"]) -> bool:
                record = (await client.get(f"/api/v1/generations/{generation_id}")).json()
                return bool(record["status"] == "completed")

            await eventually(completed, within=20)
    posts: list[Request] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r) if r.method == "POST" and r.url.endswith("/generations") else None
        ),
    )
    await page.goto(f"{keyed_studio.gateway}/studio/{project_id}")
    await page.get_by_role("radio", name="Image to image", exact=True).click()
    await choose_model(page, "GPT Image 2 Edit")
    for name in ("first-pebble-1.png", "second-pebble-1.png"):
        await page.get_by_role("button", name="Pick from project").click()
        picker = page.get_by_role("dialog")
        await picker.get_by_role("button", name=re.compile(name)).click()
        await expect(page.locator(".refs__list")).to_contain_text(name)

    # A model that takes one image: the slot says so at once, and Generate sends nothing.
    await choose_model(page, "Local Image Edit")
    message = page.locator(".refs > .field__error")
    await expect(message).to_have_text("Local Image Edit takes one image: remove 1.")
    await page.get_by_label("Prompt", exact=True).fill("polish them")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator(".refs__list button").first).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(message).to_be_empty()

    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator("article.gen-card")).to_have_count(3)
    assert len(posts) == 1
    body = posts[0].post_data_json
    assert isinstance(body, dict)
    assert len(body["input_asset_ids"]) == 1


async def test_the_same_problem_with_several_files_is_said_once(
    studio: FullStack, page: Page
) -> None:
    async def refused(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        errors = [
            {
                "loc": ["body", "input_asset_ids", i],
                "msg": "this file is no longer in your library; choose another",
                "type": "not_found",
            }
            for i in (0, 1)
        ]
        await route.fulfill(
            status=422,
            content_type="application/problem+json",
            body=json.dumps(
                {"title": "Unprocessable Entity", "status": 422, "detail": "x", "errors": errors}
            ),
        )

    await _open_project(page, studio)
    await page.route(re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations$"), refused)
    await page.get_by_label("Prompt", exact=True).fill("moss")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator(".gen-panel [role=alert]")).to_have_text(
        "This file is no longer in your library; choose another"
    )


async def test_parameter_names_keep_their_abbreviations(
    keyed_studio: FullStack, page: Page
) -> None:
    await _open_project(page, keyed_studio)
    await page.get_by_role("radio", name="Text to video", exact=True).click()
    await choose_model(page, "Kling 2.5 Turbo Pro")
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_label("CFG scale", exact=True)).to_be_visible()
    labels = await import_studio_module(
        page,
        "ui/params-labels.js",
        """(m) => ['fps', 'num_frames', 'ic_lora_scale', 'duration_seconds', 'i2v_stability',
                   'num_inference_steps', 'enable_safety_checker'].map((n) => m.paramLabel(n))""",
    )
    assert labels == [
        "FPS",
        "Number of frames",
        "IC LoRA scale",
        "Duration (seconds)",
        "I2V stability",
        "Inference steps",
        "Enable safety checker",
    ]


async def test_on_a_phone_generate_points_to_the_card_below(studio: FullStack, page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await _open_project(page, studio)
    await page.get_by_label("Prompt", exact=True).fill("a heron in the reeds")
    await page.get_by_role("button", name="Generate", exact=True).click()
    card = page.locator("article.gen-card")
    await expect(card).to_have_count(1)
    await expect(card).not_to_be_in_viewport()
    notice = page.locator(".toast", has_text="Generation started.")
    await notice.get_by_role("button", name="Show").click()
    await expect(card).to_be_in_viewport()


async def test_a_finish_missed_while_the_page_opened_still_shows(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        generation = await start_generation(client, project_id, prompt="a heron")

        async def completed() -> bool:
            record = (await client.get(f"/api/v1/generations/{generation['id']}")).json()
            return bool(record["status"] == "completed")

        await eventually(completed, within=20)

    async def list_from_before(route: Route) -> None:
        # The list as it was a moment before the end: its completion event went out before
        # this page's event stream was listening, so no event will ever bring it.
        running = fake_generation(project_id, "processing", id=generation["id"], prompt="a heron")
        await route.fulfill(
            content_type="application/json",
            body=json.dumps({"items": [running], "next_cursor": None}),
        )

    await page.route(re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations\?"), list_from_before)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator("article.gen-card")
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed")
    await expect(card.get_by_role("button", name="View image")).to_be_visible()


async def test_a_stopped_generation_says_when_it_stopped(studio: FullStack, page: Page) -> None:
    async def ended(route: Route) -> None:
        project_id = route.request.url.split("/projects/")[1].split("/")[0]
        items = [
            fake_generation(
                project_id, "cancelled", prompt="stopped", completed_at="2026-01-01T00:00:03Z"
            ),
            fake_generation(
                project_id,
                "failed",
                prompt="broken",
                completed_at="2026-01-01T00:00:04Z",
                error={"code": "provider_error", "message": "The provider failed."},
            ),
            fake_generation(project_id, "completed", prompt="made"),
        ]
        await route.fulfill(
            content_type="application/json", body=json.dumps({"items": items, "next_cursor": None})
        )

    await page.route(re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations\?"), ended)
    await _open_project(page, studio)
    # The meta line's parts, one per item (the dots between them are drawn by CSS).
    ends = page.locator("article.gen-card .gen-card__meta .meta-parts__item:last-child")
    await expect(ends).to_have_text(["cancelled after 3 s", "failed after 4 s", "took 2 s"])
    firsts = page.locator("article.gen-card .gen-card__meta .meta-parts__item:first-child")
    await expect(firsts).to_have_text(["Local Image"] * 3)
