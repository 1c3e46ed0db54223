"""QA pass 13 on the generation panel, shown in a browser: each reference says which of the
model's inputs it goes to (a start and an end frame), in the order the server binds them, and
moving or removing one relabels the rest; every kind of file a model takes can be given from the
panel (a sound for Wan 2.5, an image prompt on a text-to-image model), and the one input the
studio cannot give is said in words; the model dialog's search forgives word order and typos,
and offers the models of another type when this one has no match."""

import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.helpers import (
    GENERATIONS_POST,
    answer_generation_posts,
    assert_accessible,
    choose_model,
    import_studio_module,
    open_new_project,
    shoot_for_review,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually


def _files(tmp_path: Path, *names: str) -> list[Path]:
    paths = []
    for i, name in enumerate(names):
        path = tmp_path / name
        path.write_bytes(media_samples.png(96 + 8 * i, 64))
        paths.append(path)
    return paths


async def test_each_frame_says_where_it_goes_and_moving_or_removing_one_relabels_the_rest(
    keyed_studio: FullStack, page: Page, tmp_path: Path
) -> None:
    project_id = await open_new_project(page, keyed_studio, "Frames")
    bodies = await answer_generation_posts(page, project_id)
    await page.get_by_role("radio", name="Image to video").click()
    await choose_model(page, "Kling 2.5 Turbo Pro Image to Video")
    slot = page.locator(".refs")
    # What the model takes, in order, before any file is given.
    plan = slot.get_by_role("list", name="What this model takes, in order")
    await expect(plan.get_by_role("listitem")).to_have_text(["Start frame", "End frame (optional)"])

    await slot.locator("input[type=file]").set_input_files(_files(tmp_path, "dawn.png", "dusk.png"))
    items = slot.locator(".refs__item")
    await expect(items.locator(".refs__meta")).to_have_count(2)
    roles = items.locator(".refs__role")
    # Before: nothing said which picture would open the video and which would close it.
    await expect(roles).to_have_text(["Start frame: ", "End frame: "])
    await expect(items.nth(0)).to_contain_text("dawn.png")
    await expect(plan.locator(".refs__input--given")).to_have_count(2)
    await shoot_for_review(page, "frames", ".refs")
    await assert_accessible(page)

    # The end frame moved earlier becomes the start frame; the focus stays on the control.
    await slot.get_by_role("button", name="Move dusk.png earlier").click()
    await expect(items.nth(0)).to_contain_text("dusk.png")
    await expect(roles).to_have_text(["Start frame: ", "End frame: "])
    await expect(slot.get_by_role("button", name="Move dusk.png later")).to_be_focused()
    await expect(page.locator("#announcer")).to_have_text("dusk.png is now the start frame")

    await page.get_by_label("Prompt", exact=True).fill("the sun crosses the sky")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await eventually(lambda: len(bodies) == 1)
    dusk, dawn = (
        await items.nth(0).get_attribute("data-asset-id"),
        await items.nth(1).get_attribute("data-asset-id"),
    )
    assert bodies[0]["input_asset_ids"] == [dusk, dawn]

    # Removing the start frame makes the other one the start frame, with room for an end frame.
    await slot.get_by_role("button", name="Remove dusk.png").click()
    await expect(items).to_have_count(1)
    await expect(roles).to_have_text(["Start frame: "])
    await expect(plan.locator(".refs__input--given")).to_have_count(1)
    await expect(slot.get_by_role("button", name=re.compile("^Move"))).to_have_count(0)

    # A video model that also takes frames does not take this type's pictures as its own.
    await page.get_by_role("radio", name="Video to video").click()
    await choose_model(page, "LTX-2 19B Video to Video")
    await expect(plan.get_by_role("listitem")).to_have_text(
        ["Source video", "Sound (optional)", "Start frame (optional)", "End frame (optional)"]
    )
    await expect(items).to_have_count(0)


async def test_a_sound_reaches_wan_and_the_server_takes_it(
    keyed_idle_studio: FullStack, page: Page, tmp_path: Path
) -> None:
    await open_new_project(page, keyed_idle_studio, "Soundtrack")
    slot = page.locator(".refs")
    # Text to video showed no slot at all, so Wan 2.5's music could not be given.
    await page.get_by_role("radio", name="Text to video").click()
    await choose_model(page, "Wan 2.5 Text to Video")
    await expect(slot).to_be_visible()
    await expect(slot.locator(":scope > .field__label")).to_have_text("Reference sound (optional)")
    assert "audio/*" in (await slot.locator("input[type=file]").get_attribute("accept") or "")
    song = tmp_path / "waves.wav"
    song.write_bytes(media_samples.wav(3.5))
    await slot.locator("input[type=file]").set_input_files(song)
    await expect(slot.locator(".refs__item .refs__meta")).to_contain_text("0:0")
    await page.get_by_label("Prompt", exact=True).fill("a boat at sea")
    async with page.expect_response(
        lambda r: r.request.method == "POST" and bool(GENERATIONS_POST.search(r.url))
    ) as answered:
        await page.get_by_role("button", name="Generate", exact=True).click()
    answer = await answered.value
    # The real server bound the sound to Wan's audio input (it refuses a file it cannot bind).
    assert answer.status == 202, await answer.text()
    record = await answer.json()
    sound_id = await slot.locator(".refs__item").get_attribute("data-asset-id")
    assert record["input_asset_ids"] == [sound_id]

    # Image to video: Wan 2.5 takes a start frame and the music, each said. The sound given
    # under Text to video stays with that type (never sent, unseen, with another).
    await page.get_by_role("radio", name="Image to video").click()
    await choose_model(page, "Wan 2.5 Image to Video")
    await expect(slot.locator(":scope > .field__label")).to_have_text("References")
    await expect(slot.locator(".refs__item")).to_have_count(0)
    frame = _files(tmp_path, "harbour.png")[0]
    await slot.locator("input[type=file]").set_input_files([frame, song])
    await expect(slot.locator(".refs__item .refs__meta")).to_have_count(2)
    await expect(slot.locator(".refs__role")).to_have_text(["Start frame: ", "Background music: "])
    await shoot_for_review(page, "wan-sound", ".refs")
    async with page.expect_response(
        lambda r: r.request.method == "POST" and bool(GENERATIONS_POST.search(r.url))
    ) as answered:
        await page.get_by_role("button", name="Generate", exact=True).click()
    answer = await answered.value
    assert answer.status == 202, await answer.text()
    assert len((await answer.json())["input_asset_ids"]) == 2

    # Back on Text to video, its own sound is there again.
    await page.get_by_role("radio", name="Text to video").click()
    await expect(slot.locator(".refs__item")).to_have_count(1)
    await expect(slot.locator(".refs__item")).to_have_attribute("data-asset-id", sound_id or "")


async def test_an_image_prompt_on_text_to_image_and_how_to_give_the_mask_said(
    keyed_studio: FullStack, page: Page, tmp_path: Path
) -> None:
    project_id = await open_new_project(page, keyed_studio, "Prompts")
    bodies = await answer_generation_posts(page, project_id)
    slot = page.locator(".refs")
    await expect(slot).to_be_hidden()
    await choose_model(page, "FLUX1.1 [pro] ultra")
    # Before: Text to image never showed the slot, so the image prompt could not be given.
    await expect(slot.locator(":scope > .field__label")).to_have_text("Reference image (optional)")
    await slot.locator("input[type=file]").set_input_files(_files(tmp_path, "layout.png"))
    await expect(slot.locator(".refs__item .refs__meta")).to_be_visible()
    await page.get_by_label("Prompt", exact=True).fill("a quiet harbour")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await eventually(lambda: len(bodies) == 1)
    assert bodies[0]["type"] == "text-to-image"
    assert len(bodies[0]["input_asset_ids"]) == 1

    # GPT Image 2 Edit's mask is never bound by kind and order (its list of images takes every
    # image): how to name it is said (test_reference_use_as.py gives one).
    await page.get_by_role("radio", name="Image to image").click()
    await choose_model(page, "GPT Image 2 Edit")
    await expect(slot.locator(".refs__note")).to_have_text(
        "To give the mask, add its image and choose \u201cMask\u201d under \u201cUse as\u201d."
    )
    await shoot_for_review(page, "mask-note", ".refs")

    # Across the catalog: every file input is reached by kind and order but GPT Image's two
    # masks, and each input has a name in words.
    found = await import_studio_module(
        page,
        "components/catalog.js",
        """async (m) => {
          const models = await m.loadModels();
          const inputs = Object.fromEntries(models.map((model) => [model.id, m.referenceInputs(model)]));
          return {
            unreachable: Object.entries(inputs).flatMap(([id, list]) => list.filter((i) => !i.reachable).map((i) => `${id}:${i.name}`)).sort(),
            labels: Object.fromEntries(Object.entries(inputs).filter(([, list]) => list.length > 1).map(([id, list]) => [id, list.map((i) => i.label)])),
          };
        }""",
    )
    assert found["unreachable"] == [
        "fal-ai/gpt-image-1.5/edit:mask_image_url",
        "openai/gpt-image-2/edit:mask_url",
    ]
    labels = found["labels"]
    assert labels["fal-ai/kling-video/v2.5-turbo/pro/image-to-video"] == [
        "Start frame",
        "End frame",
    ]
    assert labels["fal-ai/luma-dream-machine/ray-2/image-to-video"] == ["Start frame", "End frame"]
    assert labels["fal-ai/minimax/hailuo-02/standard/image-to-video"] == [
        "Start frame",
        "End frame",
    ]
    assert labels["fal-ai/wan-25-preview/image-to-video"] == ["Start frame", "Background music"]
    assert labels["fal-ai/ltx-2-19b/video-to-video"] == [
        "Source video",
        "Sound",
        "Start frame",
        "End frame",
    ]
    assert labels["fal-ai/ideogram/v3/remix"] == ["Image", "Style reference"]
    assert labels["openai/gpt-image-2/edit"] == ["Image", "Mask"]


async def test_the_model_search_forgives_order_and_typos_and_offers_another_type(
    keyed_studio: FullStack, page: Page
) -> None:
    await open_new_project(page, keyed_studio, "Search")
    names = await import_studio_module(
        page,
        "components/model-search.js",
        """async (m, queries) => {
          const app = document.querySelector('script[type=module][src$="/js/app.js"]').src;
          const catalog = await import(app.replace(/app\\.js$/, 'components/catalog.js'));
          const models = await catalog.loadModels();
          return queries.map((q) => m.searchModels(models, q).map((model) => model.name)[0] || null);
        }""",
        [
            "birefnet",
            "bireft net",
            "flux dev",
            "dev flux",
            "klign 2.5",
            "seedanse",
            "xyzzy",
            "flx dev",  # three letters: one left out is forgiven, nothing else
            "fxu dev",
        ],
    )
    assert names == [
        "BiRefNet Background Removal",
        "BiRefNet Background Removal",
        "FLUX.1 [dev]",
        "FLUX.1 [dev]",
        "Kling 2.5 Turbo Pro",
        "Seedance 1.0 Pro",
        None,
        "FLUX.1 [dev]",
        None,
    ]

    card = page.get_by_role("button", name=re.compile(r"^Choose model"))
    await card.click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    search = dialog.get_by_role("combobox", name="Search models")
    count = dialog.locator(".model-dialog__count")
    await expect(count).to_have_attribute("aria-live", "polite")
    # Words in any order: Enter takes the first match.
    await search.fill("dev flux")
    await expect(dialog.get_by_role("option").first).to_contain_text("FLUX.1 [dev]")
    await expect(count).to_have_text("1 model")

    # A typo, and a model of another type: this type has none, Image to image has it.
    await search.fill("bireft net")
    await expect(dialog.get_by_role("option")).to_have_count(0)
    await expect(count).to_have_text(
        "No model for Text to image matches \u201cbireft net\u201d. 1 model matches in Image to image."
    )
    offer = dialog.locator(".model-dialog__offer")
    await expect(offer).to_have_text("1 model matches in Image to imageShow them in Image to image")
    await shoot_for_review(page, "dialog-offer", ".model-dialog__offer")
    await assert_accessible(page)
    await offer.get_by_role("button", name="Show them in Image to image").click()
    await expect(search).to_be_focused()
    await expect(dialog.get_by_role("listbox")).to_have_attribute(
        "aria-label", "Models for Image to image"
    )
    await expect(count).to_have_text("1 model in Image to image")
    await expect(dialog.get_by_role("button", name="Back to Text to image")).to_be_visible()
    await shoot_for_review(page, "dialog-switched", ".model-dialog__switched")
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_hidden()
    # The panel moved to the model's type with it.
    await expect(page.get_by_role("radio", name="Image to image")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(card).to_contain_text("BiRefNet Background Removal")
