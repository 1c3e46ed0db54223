"""QA pass 13, second round on the generation panel and the model dialog, shown in a browser:
the seed box is empty ("Random each time") while Random is on and gives the typed seed back
after; on the model dialog's active row a plain badge keeps its pill and a price does not wrap
into a narrow column; a refused model is announced; "Pick from project" leaves the focus on the
new reference's Remove; and a file that moves the panel to another type keeps the person's
choice of model (the one last used for that type, else one that runs where the current one
does), and names the new model, with its price when it costs."""

import io
import re
from typing import Any

from PIL import Image
from playwright.async_api import FloatRect, Page, expect

from tests.browser.helpers import (
    PHONE,
    REVIEW_DESKTOP,
    open_new_project,
    shoot_for_review,
    upload_image,
)
from tests.support.full_stack import FullStack

CHOOSE_MODEL = re.compile(r"^Choose model")
VIEWPORTS = {"desktop": REVIEW_DESKTOP, "phone": PHONE}


async def _choose_model(page: Page, name: str) -> None:
    await page.get_by_role("button", name=CHOOSE_MODEL).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await dialog.get_by_role("combobox", name="Search models").fill(name)
    await dialog.locator(".model-option__name", has_text=re.compile(f"^{re.escape(name)}$")).click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name=CHOOSE_MODEL)).to_contain_text(name)


async def _use_reference(page: Page, asset: dict[str, Any]) -> None:
    """What the gallery's and the viewer's "Use as reference" send the panel."""
    await page.evaluate(
        "(asset) => document.dispatchEvent(new CustomEvent('studio:use-reference', { detail: { asset } }))",
        asset,
    )


async def test_the_seed_box_is_empty_while_random_is_on_and_the_typed_seed_comes_back(
    studio: FullStack, page: Page
) -> None:
    await open_new_project(page, studio, "Seeds")
    await page.get_by_text("Advanced settings", exact=True).click()
    seed = page.get_by_role("spinbutton", name="Seed")
    random_switch = page.get_by_role("switch", name="Random")
    await random_switch.uncheck()
    await seed.fill("-5")
    await page.get_by_label("Prompt", exact=True).fill("moss")
    await page.get_by_role("button", name="Generate", exact=True).click()
    error = page.locator(".field[data-field=seed] .field__error")
    await expect(error).not_to_be_empty()

    # Random on: the refused seed is neither shown nor said any more; the placeholder is.
    await random_switch.check()
    await expect(seed).to_be_disabled()
    await expect(seed).to_have_value("")
    await expect(seed).to_have_attribute("placeholder", "Random each time")
    await expect(error).to_be_empty()
    await shoot_for_review(page, "seed-random", ".seed-row")

    # Random off: the seed typed before is back, to correct.
    await random_switch.uncheck()
    await expect(seed).to_have_value("-5")
    await expect(seed).to_be_focused()


async def _edge_contrast(page: Page, selector: str) -> int:
    """How far the first pixels inside the element `selector` selects stand out from the row
    just left of it (the largest channel difference): 0 when its pill cannot be seen."""
    box = await page.locator(selector).bounding_box()
    assert box
    clip: FloatRect = {"x": box["x"] - 6, "y": box["y"], "width": 14, "height": box["height"]}
    png = await page.screenshot(clip=clip)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / clip["width"]
    middle = int(image.height / 2)
    outside = image.getpixel((int(2 * scale), middle))
    inside = [image.getpixel((int(x * scale), middle)) for x in range(6, 11)]
    assert isinstance(outside, tuple)
    return max(max(abs(a - b) for a, b in zip(pixel, outside, strict=True)) for pixel in inside)  # type: ignore[arg-type]


LINES_OF = """(el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
}"""


async def test_the_active_row_keeps_its_badge_pill_and_prices_do_not_wrap_into_a_column(
    keyed_idle_studio: FullStack, page: Page
) -> None:
    await open_new_project(page, keyed_idle_studio, "Seeds")
    await page.get_by_role("button", name=CHOOSE_MODEL).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    active = dialog.locator(".model-option.is-active[aria-selected=true]")
    await expect(active).to_have_count(1)
    plain = ".model-option.is-active .model-option__badges .badge[class='badge']"
    await expect(page.locator(plain)).to_have_text("Image")
    for scheme in ("dark", "light"):
        await page.emulate_media(color_scheme=scheme)
        # An unselected row's pill, for comparison, stands out by about 16 levels in either theme.
        assert await _edge_contrast(page, plain) >= 12, scheme
    await page.emulate_media(color_scheme="dark")

    for label, size in VIEWPORTS.items():
        await page.set_viewport_size(size)
        prices = dialog.locator(".model-option__price")
        short = dialog.locator(".model-option__price:not(.model-option__price--long)")
        assert await short.count() > 3
        for i in range(await short.count()):
            assert await short.nth(i).evaluate(LINES_OF) == 1, (
                label,
                await short.nth(i).text_content(),
            )
        if label == "desktop":
            # A long price is a line of its own under the description: two lines at most.
            long = dialog.locator(".model-option__price--long")
            assert await long.count() > 0
            for i in range(await long.count()):
                assert await long.nth(i).evaluate(LINES_OF) <= 2, await long.nth(i).text_content()
        assert await prices.count() > await short.count()
    await page.set_viewport_size(REVIEW_DESKTOP)
    await dialog.get_by_role("combobox", name="Search models").fill("gpt image")
    await shoot_for_review(page, "model-dialog-prices", ".model-option")


async def test_a_refused_model_and_an_empty_search_are_announced(
    studio: FullStack, page: Page
) -> None:
    await open_new_project(page, studio, "Seeds")
    await page.get_by_role("button", name=CHOOSE_MODEL).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    search = dialog.get_by_role("combobox", name="Search models")
    await search.fill("flux")
    await search.press("Enter")
    note = dialog.get_by_role("status").filter(has_text="needs a fal.ai key")
    await expect(note).to_have_count(1)
    await expect(note).to_be_visible()
    await expect(search).to_be_focused()
    await shoot_for_review(page, "model-dialog-refused", ".model-dialog__note")
    # Moving on clears it (the live region stays, empty, to say the next one).
    await search.press("ArrowDown")
    await expect(note).to_have_count(0)
    await expect(dialog.locator(".model-dialog__note[role=status]")).to_have_count(1)

    await search.fill("zzzz")
    live = dialog.locator("[aria-live]")
    await expect(live).to_have_text("No model for Text to image matches \u201czzzz\u201d.")


async def test_pick_from_project_leaves_the_focus_on_the_new_references_remove(
    studio: FullStack, page: Page
) -> None:
    project_id = await open_new_project(page, studio, "Seeds")
    async with studio.client() as client:
        await upload_image(client, project_id, "pebble.png")
    await page.get_by_role("radio", name="Image to image").click()
    await page.get_by_role("button", name="Pick from project").click()
    picker = page.get_by_role("dialog", name="Pick from project")
    asset = picker.get_by_role("button", name=re.compile("pebble.png"))
    await expect(asset).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(picker).to_be_hidden()
    await expect(page.get_by_role("button", name="Remove pebble.png")).to_be_focused()


async def test_a_file_that_switches_the_type_keeps_the_persons_choice_of_model_and_says_it(
    keyed_idle_studio: FullStack, page: Page
) -> None:
    project_id = await open_new_project(page, keyed_idle_studio, "Seeds")
    async with keyed_idle_studio.client() as client:
        asset = await upload_image(client, project_id, "ref.png")
    toasts = page.locator("#toasts")
    card = page.get_by_role("button", name=CHOOSE_MODEL)
    i2v = page.get_by_role("radio", name="Image to video")

    # Local stays local: from Local Video, an image goes to Local Image to Video, not the
    # recommended hosted one, and the toast says the model changed.
    await page.get_by_role("radio", name="Text to video").click()
    await _choose_model(page, "Local Video")
    await _use_reference(page, asset)
    await expect(i2v).to_have_attribute("aria-checked", "true")
    await expect(card).to_contain_text("Local Image to Video")
    await expect(toasts).to_contain_text(
        "Switched to Image to video to use \u201cref.png\u201d as a reference. "
        "The model is now Local Image to Video."
    )
    await shoot_for_review(page, "switch-local", ".gen-panel")

    # The model last used for that type in this project wins, and a hosted one is named with
    # its price.
    await _choose_model(page, "Kling 2.5 Turbo Pro Image to Video")
    price = (await card.locator(".model-card__sub").inner_text()).split(" · ", 1)[1]
    await page.get_by_role("radio", name="Text to video").click()
    await expect(card).to_contain_text("Local Video")
    await _use_reference(page, asset)
    await expect(i2v).to_have_attribute("aria-checked", "true")
    await expect(card).to_contain_text("Kling 2.5 Turbo Pro Image to Video")
    await expect(toasts).to_contain_text(
        f"The model is now Kling 2.5 Turbo Pro Image to Video ({price})."
    )
    await shoot_for_review(page, "switch-hosted", ".gen-panel")


async def test_a_template_that_brings_a_hosted_model_names_it_with_its_price(
    keyed_idle_studio: FullStack, page: Page
) -> None:
    project_id = await open_new_project(page, keyed_idle_studio, "Seeds")
    card = page.get_by_role("button", name=CHOOSE_MODEL)
    await expect(card).not_to_contain_text("FLUX.1 [dev]")
    await page.goto(f"{keyed_idle_studio.gateway}/studio/{project_id}?starter=cinematic-portrait")
    await expect(card).to_contain_text("FLUX.1 [dev]")
    price = (await card.locator(".model-card__sub").inner_text()).split(" · ", 1)[1]
    await expect(page.locator("#toasts")).to_contain_text(
        f"Settings from \u201cCinematic portrait (FLUX.1 dev)\u201d: the model is now FLUX.1 [dev] ({price})."
    )
