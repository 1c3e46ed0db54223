"""QA passes 23 and 24 on the studio, each shown in a browser: the reference slot takes what the
model binds, and says so at the slot when a file is one too many; a model that takes no prompt
hides it (the text is kept, not sent); the viewer says a hosted video's size once it has asked;
a generation whose record failed to load is asked for again; and Back between filters of the
Assets page keeps an upload going, while leaving the page asks first."""

import asyncio
import base64
import contextlib
import json
import re
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import FilePayload, Page, Request, Route, expect

from tests.browser.helpers import (
    answer_generation_posts,
    choose_model,
    create_project,
    fake_generation,
    finished,
    import_studio_module,
    list_generations,
    open_new_project,
    start_generation,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

BRIA = "fal-ai/bria/background/remove"
ASSETS_POST = re.compile(r"/api/v1/projects/[0-9a-f]{24}/assets$")
LEAVE_TIMEOUT_MS = 30_000


async def test_the_reference_slot_takes_per_kind_what_the_model_binds_and_says_what_it_refused(
    keyed_studio: FullStack, page: Page, tmp_path: Path
) -> None:
    project_id = await open_new_project(page, keyed_studio, "References")
    # The limit, as the server binds files (inputs.py): per kind, a list taking up to 8 in all.
    limits = await import_studio_module(
        page,
        "components/catalog.js",
        """(m) => [
          [{ params: { image_urls: { type: 'images' }, mask_url: { type: 'image' } } }, 'image'],
          [{ params: { video_url: { type: 'video' }, audio_url: { type: 'audio' },
                       image_url: { type: 'image' }, end_image_url: { type: 'image' } } }, 'video'],
          [{ params: { image_url: { type: 'image' }, audio_url: { type: 'audio' } } }, 'image'],
          [{ params: { image_url: { type: 'image' }, tail_image_url: { type: 'image' } } }, 'image'],
        ].map(([model, media]) => m.referenceLimit(model, media))""",
    )
    assert limits == [8, 1, 1, 2]

    bodies = await answer_generation_posts(page, project_id)
    files = []
    for i in range(10):
        path = tmp_path / f"ref{i}.png"
        path.write_bytes(media_samples.png(64 + i, 48))
        files.append(path)
    await page.get_by_role("radio", name="Image to image").click()
    await choose_model(page, "GPT Image 2 Edit")
    slot = page.locator(".refs")
    await expect(slot.locator(".field__label")).to_have_text("Reference images")
    await slot.locator("input[type=file]").set_input_files(files)
    # Before: 9 kept (the mask's place counted too, the oldest dropped without a word), and
    # Generate was refused "At most 8 items.".
    await expect(slot.locator(".refs__item")).to_have_count(8)
    await expect(slot.locator(".refs__item .refs__meta")).to_have_count(8)  # all uploaded
    await expect(slot.locator(".refs__item").first).to_contain_text("ref0.png")
    message = slot.locator(":scope > .field__error")
    await expect(message).to_have_text(
        "GPT Image 2 Edit takes up to 8 images, so \u201cref8.png\u201d and \u201cref9.png\u201d "
        "were not added. Remove one to add another."
    )
    await page.get_by_label("Prompt", exact=True).fill("combine them")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await eventually(lambda: len(bodies) == 1)
    assert len(bodies[0]["input_asset_ids"]) == 8

    # LTX-2 takes one video (beside its sound and frames, labelled in the area since QA 13):
    # a second video is refused, said so.
    await page.get_by_role("radio", name="Video to video").click()
    await choose_model(page, "LTX-2 19B Video to Video")
    await expect(slot.locator(":scope > .field__label")).to_have_text("References")
    # Two dropped at once on the slot (its picker takes one).
    await _drop(
        page, ".refs", {"clip-a.mp4": media_samples.mp4(), "clip-b.mp4": media_samples.mp4()}
    )
    await expect(slot.locator(".refs__item")).to_have_count(1)
    await expect(slot.locator(".refs__item")).to_contain_text("clip-a.mp4")
    await expect(message).to_have_text(
        "LTX-2 19B Video to Video takes one video, so \u201cclip-b.mp4\u201d was not added."
    )

    # Wan 2.5 takes one image and a sound (its music): the area says both.
    await page.get_by_role("radio", name="Image to video").click()
    await choose_model(page, "Wan 2.5 Image to Video")
    await expect(slot.locator(":scope > .field__label")).to_have_text("References")


async def _drop(page: Page, target: str, files: dict[str, bytes]) -> None:
    """Files dropped together on the element `target` selects (dragenter, dragover, drop)."""
    await page.evaluate(
        """([target, files]) => {
            const dt = new DataTransfer();
            for (const [name, b64] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], name, { type: 'video/mp4' }));
            }
            const el = document.querySelector(target);
            for (const type of ['dragenter', 'dragover', 'drop']) {
                el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
            }
        }""",
        [target, [[name, base64.b64encode(data).decode()] for name, data in files.items()]],
    )


async def test_a_model_without_a_prompt_hides_it_keeps_the_text_and_sends_none(
    keyed_studio: FullStack, page: Page, tmp_path: Path
) -> None:
    async with keyed_studio.client() as client:
        project_id = await create_project(client, "Cut-outs")
        made = await client.post(
            "/api/v1/templates",
            json={"name": "Cut out", "type": "image-to-image", "model_id": BRIA},
        )
        assert made.status_code == 201, made.text
        template_id = made.json()["id"]
    bodies = await answer_generation_posts(page, project_id)
    await page.goto(f"{keyed_studio.gateway}/studio/{project_id}")
    prompt = page.get_by_label("Prompt", exact=True)
    note = page.locator(".gen-panel__no-prompt-note")
    await prompt.fill("a red fox in the snow")
    await page.get_by_role("radio", name="Image to image").click()
    await choose_model(page, "Bria RMBG 2.0")
    # Before: the box stayed, and its text went with Generate: "This model takes no prompt."
    await expect(prompt).to_be_hidden()
    await expect(note).to_have_text(
        "This model takes no prompt. What you wrote is kept for models that take one."
    )
    photo = tmp_path / "photo.png"
    photo.write_bytes(media_samples.png(96, 64))
    await page.locator(".refs input[type=file]").set_input_files(photo)
    await expect(page.locator(".refs__item .refs__meta")).to_be_visible()
    # Ctrl+Enter still generates (the focus is on the model card, in the panel).
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_be_focused()
    await page.keyboard.press("Control+Enter")
    await eventually(lambda: len(bodies) == 1)
    assert bodies[0]["model_id"] == BRIA
    assert bodies[0]["prompt"] == ""
    assert len(bodies[0]["input_asset_ids"]) == 1

    # The saved draft keeps the text: after a reload, Bria still hides it, another model shows it.
    await page.reload()
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Bria RMBG 2.0"
    )
    await expect(prompt).to_be_hidden()
    await expect(note).to_be_visible()
    await page.get_by_role("radio", name="Text to image").click()
    await expect(prompt).to_have_value("a red fox in the snow")
    await expect(note).to_be_hidden()

    # A template for it, used: Bria chosen, the text kept for the next model.
    await page.goto(f"{keyed_studio.gateway}/studio/{project_id}?template={template_id}")
    await expect(page.locator("#toasts")).to_contain_text("Settings from \u201cCut out\u201d")
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Bria RMBG 2.0"
    )
    await expect(prompt).to_be_hidden()
    await expect(page.get_by_role("button", name="Generate", exact=True)).to_be_focused()
    await page.get_by_role("radio", name="Text to image").click()
    await expect(prompt).to_have_value("a red fox in the snow")

    # A remix of one of its generations: the same.
    failed = fake_generation(
        project_id,
        "failed",
        type="image-to-image",
        model_id=BRIA,
        prompt="",
        error={"code": "provider_error", "message": "fal.ai could not run it."},
    )
    await list_generations(page, project_id, [failed])
    await page.reload()
    card = page.locator(f"article.gen-card[data-id='{failed['id']}']")
    await card.get_by_role("button", name="Remix").click()
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        "Bria RMBG 2.0"
    )
    await expect(prompt).to_be_hidden()
    await choose_model(page, "Local Image Edit")
    await expect(prompt).to_have_value("a red fox in the snow")
    await expect(note).to_be_hidden()


async def test_the_viewer_says_a_videos_size_once_it_has_asked_for_it(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Clips")
        job = await start_generation(
            client, project_id, "waves", type="text-to-video", model_id="local/video"
        )
        done = await finished(client, job["id"])
        assert done["status"] == "completed"
        asset = (await client.get(f"/api/v1/assets/{done['outputs'][0]['asset_id']}")).json()
    assert asset["width"] and asset["height"]

    # As a hosted video's record is: its output says no size; the asset, asked, does.
    async def sizeless(route: Route) -> None:
        response = await route.fetch()
        page_of = await response.json()
        for item in page_of["items"]:
            for output in item["outputs"]:
                output["width"] = output["height"] = None
        await route.fulfill(response=response, body=json.dumps(page_of))

    await page.route(re.compile(rf"/api/v1/projects/{project_id}/generations\?"), sizeless)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator(f"article.gen-card[data-id='{job['id']}']")
    await card.get_by_role("button", name="View video").click()
    viewer = page.locator("dialog.dialog--viewer")
    # Before: "… KB · video/mp4" until the person stepped to another item and back.
    await expect(viewer.locator(".viewer__meta")).to_contain_text(
        f"{asset['width']} \u00d7 {asset['height']}"
    )


async def test_a_generation_whose_record_failed_to_load_is_asked_for_again(
    studio_without_worker: FullStack, page: Page
) -> None:
    async with studio_without_worker.client() as client:
        project_id = await create_project(client, "Elsewhere")
    await page.goto(f"{studio_without_worker.gateway}/studio/{project_id}")
    await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
    await expect(page.locator("html[data-live=online]")).to_have_count(1)
    failing = True
    failed: list[str] = []

    async def hung(route: Route) -> None:
        if not failing or route.request.method != "GET":
            await route.continue_()
            return
        failed.append(route.request.url)
        await route.fulfill(
            status=504,
            json={"title": "Gateway Timeout", "status": 504, "detail": "no answer in time"},
            headers={"content-type": "application/problem+json"},
        )

    await page.route(re.compile(r"/api/v1/generations/[0-9a-f]{24}$"), hung)
    # Made elsewhere (a script): its one event comes, and the record cannot be fetched.
    async with studio_without_worker.client() as client:
        job = await start_generation(client, project_id, "made by a script while the API hangs")
    await eventually(lambda: len(failed) >= 1)
    failing = False
    # Before: dropped for good (no other event comes for a job nobody runs) until a reload.
    card = page.locator(f"article.gen-card[data-id='{job['id']}']")
    await expect(card).to_be_visible()
    await expect(card.locator(".gen-card__badge")).to_have_text("Pending")
    await expect(page.locator("html[data-live=online]")).to_have_count(1)


async def test_back_between_filters_keeps_an_upload_and_leaving_the_page_asks_first(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Moodboard")
        await create_project(client, "Sketches")
    held = asyncio.Event()
    sent: list[Request] = []

    async def slow(route: Route) -> None:
        sent.append(route.request)
        await held.wait()
        # Cancelled meanwhile (the page left), the request is gone: nothing to send on.
        with contextlib.suppress(PlaywrightError):
            await route.continue_()

    await page.route(ASSETS_POST, slow)
    await page.goto(studio.gateway + "/studio/generations")
    await page.get_by_role("link", name="Assets", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio/assets$"))
    await page.get_by_label("Project", exact=True).select_option(label="Moodboard")
    await expect(page).to_have_url(re.compile(rf"\?project={project_id}$"))
    gallery = page.get_by_test_id("gallery")
    await gallery.evaluate("(el) => { el.dataset.mark = 'kept'; }")
    await page.get_by_test_id("gallery-file-input").set_input_files(
        FilePayload(name="dune.png", mimeType="image/png", buffer=media_samples.png(96, 64))
    )
    row = page.get_by_role("region", name="Uploads").locator(".upload-row", has_text="dune.png")
    await expect(row).to_contain_text("0% of")
    await eventually(lambda: len(sent) == 1)

    # Back undoes the filter on the same page: the page stays, and so does the upload.
    # Before: the page was rendered again and the upload cancelled without a word.
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/assets$"))
    await expect(page.get_by_label("Project", exact=True)).to_have_value("")
    await expect(gallery).to_have_attribute("data-mark", "kept")
    await expect(row).to_contain_text("0% of")
    await page.go_forward()
    await expect(page.get_by_label("Project", exact=True)).to_have_value(project_id)
    await expect(gallery).to_have_attribute("data-mark", "kept")

    # Leaving the page asks first, naming what would be cancelled; Stay keeps it going.
    question = page.get_by_role("alertdialog", name="Leave this page?")
    await page.get_by_role("link", name="Projects", exact=True).click()
    await expect(question).to_contain_text("1 upload is still being sent.")
    await expect(question.get_by_role("button", name="Stay")).to_be_focused()
    await question.get_by_role("button", name="Stay").click()
    await expect(question).to_be_hidden()
    await expect(page).to_have_url(re.compile(rf"/studio/assets\?project={project_id}$"))
    await expect(row).to_contain_text("0% of")

    # Back to another page asks too; staying puts the address back as it was.
    await page.go_back()
    await expect(page.get_by_label("Project", exact=True)).to_have_value("")  # the page followed
    await page.go_back()
    await expect(question).to_be_visible()
    await question.get_by_role("button", name="Stay").click()
    await expect(page).to_have_url(re.compile(r"/studio/assets$"))
    await expect(gallery).to_have_attribute("data-mark", "kept")
    await expect(row).to_contain_text("0% of")

    # Once sent, nothing holds the page.
    assert len(sent) == 1
    held.set()
    await expect(row).to_contain_text("Uploaded")
    await page.get_by_role("link", name="Projects", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio$"), timeout=LEAVE_TIMEOUT_MS)
    await expect(question).to_have_count(0)


async def test_leaving_and_cancelling_goes_where_the_person_asked(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Moodboard")
    held = asyncio.Event()
    pending: list[Route] = []
    ended: list[Route] = []

    async def slow(route: Route) -> None:
        pending.append(route)
        await held.wait()
        with contextlib.suppress(PlaywrightError):  # cancelled by leaving, as chosen
            await route.continue_()
        ended.append(route)

    await page.route(ASSETS_POST, slow)
    await page.goto(studio.gateway + "/studio/assets")
    await page.get_by_test_id("gallery-file-input").set_input_files(
        [
            FilePayload(name=f"dune-{i}.png", mimeType="image/png", buffer=media_samples.png())
            for i in range(4)
        ]
    )
    tray = page.get_by_role("region", name="Uploads")
    await expect(tray.locator(".upload-row")).to_have_count(4)
    await page.get_by_role("link", name="Templates", exact=True).click()
    question = page.get_by_role("alertdialog", name="Leave this page?")
    # Three on their way and one waiting its turn: all four would be cancelled.
    await expect(question).to_contain_text(
        "4 uploads are still being sent. Leaving the page cancels them."
    )
    await question.get_by_role("button", name="Leave and cancel 4").click()
    await expect(page).to_have_url(re.compile(r"/studio/templates$"))
    await expect(page.get_by_role("region", name="Uploads")).to_have_count(0)
    # None was sent on: the ones on their way were cancelled, the waiting one never started.
    held.set()
    await eventually(lambda: len(ended) == len(pending))
    assert len(pending) == 3
    async with studio.client() as client:
        assert (await client.get("/api/v1/assets")).json()["items"] == []
