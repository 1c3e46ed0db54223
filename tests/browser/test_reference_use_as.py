"""An input a file reaches only by naming it (GPT Image's mask, after its list of images) is
chosen under "Use as" on the file: the panel sends the files as `inputs`, the real server binds
the mask to `mask_url`, and a remix puts the file back as the mask. Before, the panel could only
say that the mask "cannot be given from the studio yet"."""

from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.helpers import (
    GENERATIONS_POST,
    choose_model,
    import_studio_module,
    open_new_project,
    shoot_for_review,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack


def _file(tmp_path: Path, name: str, width: int) -> Path:
    path = tmp_path / name
    path.write_bytes(media_samples.png(width, 48))
    return path


async def test_a_file_chosen_as_the_mask_is_sent_as_the_mask_and_remixed_as_it(
    keyed_idle_studio: FullStack, page: Page, tmp_path: Path
) -> None:
    await open_new_project(page, keyed_idle_studio, "Masks")
    await page.get_by_role("radio", name="Image to image").click()
    await choose_model(page, "GPT Image 2 Edit")
    slot = page.locator(".refs")
    await expect(slot.locator(".refs__note")).to_have_text(
        "To give the mask, add its image and choose \u201cMask\u201d under \u201cUse as\u201d."
    )
    await expect(slot.locator(".refs__input")).to_have_text(["Images", "Mask (optional)"])
    await slot.locator("input[type=file]").set_input_files(
        [_file(tmp_path, "photo.png", 64), _file(tmp_path, "mask.png", 80)]
    )
    await expect(slot.locator(".refs__item .refs__meta")).to_have_count(2)
    photo_use = page.get_by_label("Use photo.png as")
    mask_use = page.get_by_label("Use mask.png as")
    # By kind and order both go to the list of images.
    await expect(photo_use.locator("option:checked")).to_have_text("Image 1")
    await expect(mask_use.locator("option:checked")).to_have_text("Image 2")

    await mask_use.select_option(label="Mask")
    await expect(mask_use).to_be_focused()
    await expect(mask_use).to_have_value("mask_url")
    await expect(photo_use.locator("option:checked")).to_have_text("Image")
    await shoot_for_review(page, "mask-chosen", ".refs")
    await expect(slot.locator(".refs__input--given")).to_have_text(
        ["Images, added", "Mask (optional), added"]
    )

    await page.get_by_label("Prompt", exact=True).fill("a hat on the cat")
    async with page.expect_response(
        lambda r: r.request.method == "POST" and bool(GENERATIONS_POST.search(r.url))
    ) as answered:
        await page.get_by_role("button", name="Generate", exact=True).click()
    answer = await answered.value
    sent = answer.request.post_data_json
    assert isinstance(sent, dict)
    assert "input_asset_ids" not in sent
    assert [file.get("param") for file in sent["inputs"]] == [None, "mask_url"]
    assert answer.status == 202, await answer.text()
    record = await answer.json()
    assert [file["param"] for file in record["inputs"]] == ["image_urls", "mask_url"]

    # A remix gives the mask back as the mask.
    await page.get_by_role("radio", name="Text to image").click()
    # (Its card offers Remix once it has ended; it never runs here, so the card's hand-off.)
    await import_studio_module(page, "components/handoff.js", "(m, g) => m.remix(g)", record)
    await expect(
        page.get_by_role("button", name="Choose model, GPT Image 2 Edit selected")
    ).to_be_visible()
    await expect(page.get_by_label("Use mask.png as")).to_have_value("mask_url")
    await expect(page.get_by_label("Use photo.png as")).to_have_value("")
