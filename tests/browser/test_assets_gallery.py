"""The asset gallery in a browser, on the Assets page (every project): uploading through it,
filters, search, favorites, grid and list views, rename, delete, keyboard and drag, live updates,
paging, "use as reference", and names full of markup shown as text."""

import asyncio
import base64
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageOps
from playwright.async_api import FilePayload, Locator, Page, Route, expect

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    create_project,
    open_rename,
    save_name,
    screenshot,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.waiting import eventually

MARKUP = "<img src=x onerror=window.__x=1>"
TIMES = "\N{MULTIPLICATION SIGN}"


def _art(width: int, height: int, top: str, bottom: str, glow: str) -> bytes:
    """A PNG that looks like something (a sky with a sun) for the screenshots."""
    mask = Image.linear_gradient("L").resize((width, height))
    picture = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask
    )
    sun = (
        ImageOps.invert(Image.radial_gradient("L"))
        .resize((width, height))
        .point(lambda v: max(0, v * 3 - 500))
    )
    picture = Image.composite(Image.new("RGB", (width, height), glow), picture, sun)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


async def _upload(
    client: httpx.AsyncClient, project_id: str, name: str, data: bytes, content_type: str
) -> dict[str, object]:
    response = await client.post(
        f"/api/v1/projects/{project_id}/assets", files={"file": (name, data, content_type)}
    )
    assert response.status_code == 201, response.text
    asset: dict[str, object] = response.json()
    return asset


def _cards(page: Page) -> Locator:
    return page.locator("article.asset-card")


def _card(page: Page, name: str) -> Locator:
    return _cards(page).filter(has=page.locator(".asset-card__name", has_text=name))


async def test_uploading_through_the_gallery_asks_the_project_and_shows_the_card(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Moss and stone")
        await create_project(client, "Neon city")

    await page.goto(studio.gateway + "/studio/assets")
    await expect(page.get_by_role("heading", name="No assets yet")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("button", name="Upload", exact=True).click()
    dialog = page.get_by_role("dialog", name="Upload to which project?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_text("Neon city").click()
    async with page.expect_file_chooser() as chooser_info:
        await dialog.get_by_role("button", name="Choose files").click()
    chooser = await chooser_info.value
    await chooser.set_files(
        [
            FilePayload(
                name=f"{MARKUP}.png", mimeType="image/png", buffer=media_samples.png(96, 64)
            ),
            FilePayload(name="birdsong.wav", mimeType="audio/wav", buffer=media_samples.wav(1.0)),
        ]
    )
    card = _card(page, MARKUP)
    await expect(card).to_have_count(1)
    thumb = card.locator("img.asset-thumb__img")
    await expect(thumb).to_have_attribute("loading", "lazy")
    await expect(thumb).to_have_attribute("width", "96")
    await expect(thumb).to_have_attribute("height", "64")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.asset-thumb__img')].every((i) => i.naturalWidth > 0)"
    )
    await expect(card.locator(".asset-card__meta")).to_contain_text(f"96 {TIMES} 64")
    # Its facts are parts a screen reader hears apart ("96 by 64, 2 KB"), not one string with a
    # middle dot read as a word.
    facts = card.locator(".asset-card__meta .meta-parts__item")
    await expect(facts).to_have_count(2)
    await expect(facts.first).to_have_text(f"96 {TIMES} 64")
    await expect(card.locator(".asset-card__meta")).not_to_contain_text("\u00b7")
    await expect(card.locator(".asset-card__project")).to_have_text("Neon city")
    audio = _card(page, "birdsong")
    await expect(audio.locator(".asset-thumb__placeholder--audio")).to_be_visible()
    await expect(audio.locator(".asset-chip--time")).to_have_text("0:01")
    await expect(page.locator(".upload-tray")).to_be_hidden()
    # The name was shown as typed: no element made of it, nothing ran.
    await expect(page.locator("main img[src=x]")).to_have_count(0)
    assert await page.evaluate("() => window.__x") is None

    # Files dropped on the gallery go to the filtered project without asking.
    await page.get_by_role("combobox", name="Project").select_option(label="Neon city")
    await expect(_cards(page)).to_have_count(2)
    png = base64.b64encode(media_samples.png(40, 40, (20, 160, 90))).decode()
    await page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
            const target = document.querySelector('.gallery__body');
            for (const type of ['dragenter', 'dragover', 'drop']) {
                target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
            }
        }""",
        png,
    )
    await expect(_card(page, "dropped")).to_have_count(1)
    await expect(_cards(page)).to_have_count(3)
    await expect(_cards(page).first).to_contain_text("dropped")

    # A file the API refuses: its reason stays in the tray until dismissed.
    await page.get_by_test_id("gallery-file-input").set_input_files(
        files=[FilePayload(name="notes.txt", mimeType="text/plain", buffer=b"just words, no media")]
    )
    failed = page.locator(".upload-row--failed")
    await expect(failed).to_contain_text("notes.txt")
    await expect(failed.get_by_role("alert")).to_contain_text(
        "not an accepted image, video or audio format"
    )
    await expect(page.locator("#toasts")).to_contain_text("The upload failed")
    await failed.get_by_role("button", name="Dismiss notes.txt").click()
    await expect(page.locator(".upload-tray")).to_be_hidden()
    await expect(_cards(page)).to_have_count(3)


async def test_type_filter_search_and_favorites_change_what_is_shown(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        neon = await create_project(client, "Neon city")
        pictures = {
            "red fox.png": (moss, _art(480, 360, "#2b0f3a", "#f2703a", "#ffe3a3")),
            "green moss.png": (moss, _art(360, 480, "#0d2b1e", "#6fae5b", "#e8ffd0")),
            "dune.png": (moss, _art(480, 320, "#3a1c0b", "#e0a96d", "#fff4d6")),
            "aurora.png": (neon, _art(480, 480, "#03101f", "#1b8f84", "#b6fff0")),
            "blue sea.png": (neon, _art(512, 384, "#06153a", "#3d7bd9", "#d6e8ff")),
            "ember.png": (neon, _art(384, 512, "#1a0505", "#b3261e", "#ffb199")),
        }
        for name, (project, data) in pictures.items():
            await _upload(client, project, name, data, "image/png")
        birdsong = media_samples.tone_wav([0.2, 0.9, 0.5, 0.1], seconds_each=0.5)
        await _upload(client, neon, "birdsong.wav", birdsong, "audio/wav")
        await _upload(client, neon, "waves.mp4", media_samples.mp4(frames=20), "video/mp4")

    await page.goto(studio.gateway + "/studio/assets")
    await expect(_cards(page)).to_have_count(8)
    await expect(page.locator(".gallery__summary")).to_have_text("8 assets")
    await expect(_card(page, "waves").locator(".asset-chip--time")).to_have_text("0:02")
    # A video shows its first frame; a sound, which has no picture, its waveform: 64 bars, the
    # loud second stretch taller than the quiet last one.
    await expect(_card(page, "waves").locator("img.asset-thumb__img")).to_be_visible()
    sound = _card(page, "birdsong").locator(".asset-thumb__placeholder--audio")
    await expect(sound.locator("svg.waveform")).to_be_visible()
    await expect(sound.locator("svg.waveform rect")).to_have_count(64)
    heights = await sound.locator("svg.waveform rect").evaluate_all(
        "(bars) => bars.map((bar) => Number(bar.getAttribute('height')))"
    )
    assert min(heights[20:28]) > 80 > 20 > max(heights[52:60]), heights
    await expect(sound).to_contain_text("WAV")
    await assert_accessible(page)
    await screenshot(page, "assets")

    chips = page.get_by_role("group", name="Media type")
    await chips.get_by_role("button", name="Audio").click()
    await expect(_cards(page)).to_have_count(1)
    await expect(_cards(page).first).to_contain_text("birdsong")
    await chips.get_by_role("button", name="Video").click()
    await expect(_cards(page)).to_have_count(1)
    await expect(_cards(page).first).to_contain_text("waves")
    await chips.get_by_role("button", name="Images").click()
    await expect(_cards(page)).to_have_count(6)
    await expect(chips.get_by_role("button", name="Images")).to_have_attribute(
        "aria-pressed", "true"
    )

    await page.get_by_role("searchbox", name="Search assets").fill("fox")
    await expect(_cards(page)).to_have_count(1)
    await expect(_cards(page).first).to_contain_text("red fox")
    await page.get_by_role("searchbox", name="Search assets").fill("nothing like this")
    await expect(page.get_by_role("heading", name="No assets match")).to_be_visible()
    await page.get_by_role("button", name="Clear filters").click()
    await expect(_cards(page)).to_have_count(8)
    await expect(chips.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")

    await page.get_by_role("combobox", name="Project").select_option(label="Moss and stone")
    await expect(_cards(page)).to_have_count(3)
    await page.get_by_role("combobox", name="Project").select_option(label="All projects")
    await expect(_cards(page)).to_have_count(8)

    star = page.get_by_role("button", name="Favorite blue sea")
    await _card(page, "blue sea").hover()
    await star.click()
    await expect(star).to_have_attribute("aria-pressed", "true")
    await page.get_by_role("button", name="Favorites").click()
    await expect(_cards(page)).to_have_count(1)
    await expect(_cards(page).first).to_contain_text("blue sea")
    # The favorite is stored, and the filter is kept in the address across a reload.
    await page.reload()
    await expect(_cards(page)).to_have_count(1)
    await expect(page.get_by_role("button", name="Favorites")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.get_by_role("button", name="Favorites").click()
    await expect(_cards(page)).to_have_count(8)
    await expect(page.get_by_role("button", name="Favorite blue sea")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.get_by_role("button", name="Favorite red fox")).to_have_attribute(
        "aria-pressed", "false"
    )


async def test_list_view_is_remembered_and_renames_and_deletes(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        await _upload(client, moss, "red fox.png", media_samples.png(320, 240), "image/png")
        await _upload(client, moss, "birdsong.wav", media_samples.wav(2.0), "audio/wav")
        await _upload(client, moss, "waves.mp4", media_samples.mp4(frames=20), "video/mp4")
        await _upload(client, moss, "green moss.png", media_samples.png(64, 64), "image/png")

    await page.goto(studio.gateway + "/studio/assets")
    await expect(_cards(page)).to_have_count(4)
    await page.get_by_role("button", name="List view").click()
    rows = page.locator("tr.asset-row")
    await expect(rows).to_have_count(4)
    await expect(page.get_by_role("button", name="List view")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.reload()
    await expect(rows).to_have_count(4)
    await expect(_cards(page)).to_have_count(0)
    fox = rows.filter(has_text="red fox")
    await expect(fox).to_contain_text(f"320 {TIMES} 240")
    await expect(fox).to_contain_text("Moss and stone")
    await expect(rows.filter(has_text="waves")).to_contain_text("0:02")
    # Every row's buttons line up, the sound's too (it cannot be a reference: a gap stands in),
    # also on a phone, where the list keeps fewer buttons.
    for viewport in (None, PHONE):
        if viewport:
            await page.set_viewport_size(viewport)
        # Measured all at once, after the resize has been laid out and painted (row by row,
        # the first could be read while the new width was still being applied).
        lefts = await page.evaluate(
            """async () => {
              await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
              return [...document.querySelectorAll('tr.asset-row [data-action="download"]')]
                .map((link) => Math.round(link.getBoundingClientRect().left));
            }"""
        )
        assert len(lefts) == 4 and len(set(lefts)) == 1, (viewport, lefts)
    await page.set_viewport_size(DESKTOP)
    await assert_accessible(page)
    await screenshot(page, "assets-list")

    # Rename: a name past the limit is refused at the field, whole (the box once cut a pasted
    # name short without a word, the extension with it); a name full of markup is kept as text.
    dialog, name = await open_rename(page, "Rename red fox", "Rename asset")
    await expect(name).not_to_have_attribute("maxlength", re.compile(".*"))
    await save_name(dialog, "   ", "Give the asset a name.", exact=True)
    await save_name(dialog, "x" * 300, "At most 255 characters. This one has 300.", exact=True)
    await save_name(dialog, f"{MARKUP} fox")
    renamed = rows.filter(has_text=f"{MARKUP} fox")
    await expect(renamed).to_have_count(1)
    await expect(renamed.locator(".asset-row__title")).to_have_text(f"{MARKUP} fox")
    await expect(page.locator("main img[src=x]")).to_have_count(0)
    assert await page.evaluate("() => window.__x") is None

    # Delete: asks first; Cancel keeps it, Delete removes it and says so.
    await page.get_by_role("button", name="Delete birdsong").click()
    confirm = page.get_by_role("alertdialog", name="Delete “birdsong.wav”?")
    await expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    await confirm.get_by_role("button", name="Cancel").click()
    await expect(rows).to_have_count(4)
    await page.get_by_role("button", name="Delete birdsong").click()
    await confirm.get_by_role("button", name="Delete").click()
    await expect(rows).to_have_count(3)
    await expect(page.locator("#toasts")).to_contain_text("Deleted “birdsong.wav”.")
    # Focus moves to the item that took the deleted one's place.
    await expect(renamed.get_by_role("button", name=f"Open {MARKUP} fox")).to_be_focused()
    async with studio.client() as client:
        listed = (await client.get("/api/v1/assets")).json()["items"]
    assert sorted(item["name"] for item in listed) == sorted(
        [f"{MARKUP} fox", "green moss.png", "waves.mp4"]
    )


async def test_cards_work_from_the_keyboard_and_carry_the_asset_when_dragged(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        await _upload(client, moss, "birdsong.wav", media_samples.tone_wav([0.6]), "audio/wav")
        fox = await _upload(client, moss, "red fox.png", media_samples.png(320, 240), "image/png")

    await page.goto(studio.gateway + "/studio/assets")
    await expect(_cards(page)).to_have_count(2)
    page_favorites = page.get_by_role("button", name="Favorites")
    await page_favorites.focus()
    await page.keyboard.press("Tab")  # the summary is not focusable: the first card is next
    open_fox = page.get_by_role("button", name="Open red fox")
    await expect(open_fox).to_be_focused()
    outline = await page.locator(".asset-card__frame").first.evaluate(
        "(el) => getComputedStyle(el).outlineStyle"
    )
    assert outline == "solid"
    actions = _card(page, "red fox").locator(".asset-card__actions")
    await expect(actions).to_have_css("opacity", "1")
    for role, name in (
        ("button", "Favorite red fox"),
        ("link", "Download red fox"),
        ("button", "Use red fox.png as reference"),
        ("button", "Rename red fox"),
        ("button", "Delete red fox"),
    ):
        await page.keyboard.press("Tab")
        await expect(page.get_by_role(role, name=name)).to_be_focused()  # type: ignore[arg-type]
    await expect(page.get_by_role("link", name="Download red fox")).to_have_attribute(
        "href", f"/api/v1/assets/{fox['id']}/content?download=1"
    )
    # Enter on the card opens the viewer at that asset; arrows move; Escape closes and focus
    # comes back to the card.
    await open_fox.focus()
    await page.keyboard.press("Enter")
    viewer = page.locator("dialog.dialog--viewer")
    await expect(viewer).to_be_visible()
    await expect(viewer.locator(".dialog__title")).to_contain_text("red fox.png")
    await page.keyboard.press("ArrowRight")
    await expect(viewer.locator(".dialog__title")).to_contain_text("birdsong.wav")
    await expect(viewer.locator("svg.viewer__waveform")).to_be_visible()
    await expect(viewer.locator("audio[controls]")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(viewer).to_have_count(0)
    await expect(open_fox).to_be_focused()

    await page.get_by_role("button", name="Rename red fox").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("dialog", name="Rename asset")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("button", name="Rename red fox")).to_be_focused()

    data = await page.evaluate(
        """() => {
            const card = document.querySelector('article.asset-card');
            const dt = new DataTransfer();
            card.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true }));
            return { asset: dt.getData('application/x-studio-asset'), uri: dt.getData('text/uri-list') };
        }"""
    )
    assert json.loads(data["asset"]) == {
        "id": fox["id"],
        "project_id": moss,
        "media_type": "image",
        "thumbnail_url": f"/api/v1/assets/{fox['id']}/thumbnail",
        "name": "red fox.png",
        # What the reference slot shows of it (its dimensions and size), as for a file picked.
        "width": 320,
        "height": 240,
        "size": fox["size"],
    }
    assert data["uri"] == f"{studio.gateway}/api/v1/assets/{fox['id']}/content"
    assert await _cards(page).first.get_attribute("draggable") == "true"


async def test_use_as_reference_from_the_assets_page_opens_the_project_with_it(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        fox = await _upload(client, moss, "red fox.png", media_samples.png(64, 64), "image/png")
    await page.goto(studio.gateway + "/studio/assets")
    await _card(page, "red fox").hover()
    await page.get_by_role("button", name="Use red fox.png as reference").click()
    await expect(page).to_have_url(re.compile(rf"/studio/{moss}$"))
    stored = await page.evaluate("() => sessionStorage.getItem('studio.pendingReference')")
    # The project page takes it on mount; if it has not yet, it is still waiting there.
    if stored is not None:
        assert json.loads(stored)["id"] == fox["id"]


async def test_assets_made_elsewhere_appear_and_go_without_a_reload(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        await _upload(client, moss, "first.png", media_samples.png(64, 64), "image/png")
        await page.goto(studio.gateway + "/studio/assets")
        await expect(_cards(page)).to_have_count(1)
        await (
            page.get_by_role("group", name="Media type")
            .get_by_role("button", name="Images")
            .click()
        )
        await expect(_cards(page)).to_have_count(1)

        made = await _upload(
            client, moss, "from the api.png", media_samples.png(80, 60), "image/png"
        )
        await _upload(client, moss, "hidden by the filter.wav", media_samples.wav(0.5), "audio/wav")
        await expect(_cards(page)).to_have_count(2)
        await expect(_cards(page).first).to_contain_text("from the api")
        await expect(page.locator(".gallery__summary")).to_have_text("2 assets")

        response = await client.delete(f"/api/v1/assets/{made['id']}")
        assert response.status_code == 204
        await expect(_card(page, "from the api")).to_have_count(0)
        await expect(_cards(page)).to_have_count(1)


async def test_the_first_page_shows_fifty_and_more_load_on_scrolling(
    studio: FullStack, page: Page
) -> None:
    sample = media_samples.png(32, 32)
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        for i in range(70):
            await _upload(client, moss, f"tile {i:02d}.png", sample, "image/png")

    await page.goto(studio.gateway + "/studio/assets")
    await expect(_cards(page)).to_have_count(50)
    await expect(page.locator(".gallery__summary")).to_have_text("50+ assets")
    await expect(_cards(page).first).to_contain_text("tile 69")
    await page.locator(".gallery .sentinel").scroll_into_view_if_needed()
    await expect(_cards(page)).to_have_count(70)
    await expect(page.locator(".gallery__summary")).to_have_text("70 assets")
    await expect(_cards(page).last).to_contain_text("tile 00")
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()


@pytest.fixture
async def small_uploads(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """Uploads of up to 100 KB (the gateway's limit, which the studio learns from `me`)."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        gateway={"upload_max_bytes": 100 * 1024},
    ) as stack:
        yield stack


async def test_a_file_over_the_upload_limit_is_refused_before_it_is_sent(
    small_uploads: FullStack, page: Page
) -> None:
    async with small_uploads.client() as client:
        await create_project(client, "Moss and stone")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    await page.goto(small_uploads.gateway + "/studio/assets")
    # The only project is where uploads go: no question asked.
    async with page.expect_file_chooser() as chooser_info:
        await page.get_by_role("button", name="Upload", exact=True).click()
    big = media_samples.noisy_png(200, 200)
    assert len(big) > 100 * 1024
    await (await chooser_info.value).set_files(
        [
            FilePayload(name="poster.png", mimeType="image/png", buffer=big),
            FilePayload(name="icon.png", mimeType="image/png", buffer=media_samples.png(32, 32)),
        ]
    )
    await expect(_card(page, "icon")).to_have_count(1)
    failed = page.locator(".upload-row--failed")
    await expect(failed.get_by_role("alert")).to_have_text(
        f"“poster.png” is {len(big) / 1024:.0f} KB; files up to 100 KB can be uploaded."
    )
    uploads = [url for url in sent if url.endswith("/assets")]
    assert len(uploads) == 1, f"only the small file is sent: {uploads}"


async def test_a_rename_or_a_star_made_elsewhere_shows_in_an_open_gallery(
    studio: FullStack, page: Page
) -> None:
    """Another tab, or a program through the API: `asset.updated` reaches the open gallery."""
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
        uploaded = await client.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": ("dune.png", media_samples.png(), "image/png")},
        )
        asset_id = uploaded.json()["id"]
        await client.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": ("dusk.png", media_samples.png(), "image/png")},
        )
    await page.goto(studio.gateway + "/studio/assets")
    cards = page.locator("article.asset-card")
    await expect(cards).to_have_count(2)
    card = page.locator(f'article.asset-card[data-asset-id="{asset_id}"]')

    async with studio.client() as client:
        renamed = await client.patch(f"/api/v1/assets/{asset_id}", json={"name": "Dune at noon"})
        assert renamed.status_code == 200
    await expect(card.locator(".asset-card__name")).to_have_text("Dune at noon")

    # Favorites only: a star given elsewhere brings the asset in, taking it away sends it out.
    await page.get_by_role("button", name="Favorites").click()
    await expect(cards).to_have_count(0)
    async with studio.client() as client:
        await client.patch(f"/api/v1/assets/{asset_id}", json={"favorite": True})
    await expect(cards).to_have_count(1)
    await expect(card.locator('[data-action="favorite"]')).to_have_attribute("aria-pressed", "true")
    async with studio.client() as client:
        await client.patch(f"/api/v1/assets/{asset_id}", json={"favorite": False})
    await expect(cards).to_have_count(0)


async def test_an_asset_starred_elsewhere_joins_favorites_at_its_place_by_date(
    studio: FullStack, page: Page
) -> None:
    """The list is newest first; an older asset starred in another tab took the top place."""
    async with studio.client() as client:
        project_id = await create_project(client, "In order")
        ids = {}
        for name in ("first.png", "second.png", "third.png"):
            uploaded = await _upload(client, project_id, name, media_samples.png(), "image/png")
            ids[name] = uploaded["id"]
        for name in ("first.png", "third.png"):
            await client.patch(f"/api/v1/assets/{ids[name]}", json={"favorite": True})
    await page.goto(studio.gateway + "/studio/assets")
    await page.get_by_role("button", name="Favorites").click()
    names = page.locator("article.asset-card .asset-card__name")
    await expect(names).to_have_text(["third.png", "first.png"])

    async with studio.client() as client:
        await client.patch(f"/api/v1/assets/{ids['second.png']}", json={"favorite": True})
    await expect(names).to_have_text(["third.png", "second.png", "first.png"])


async def test_projects_changed_elsewhere_leave_the_list_the_search_and_an_upload_alone(
    studio: FullStack, page: Page
) -> None:
    """A project created, renamed or deleted in another tab: the Assets page was built again,
    dropping the upload under way (silently), the scroll, the focus and the search typed."""
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        await _upload(client, moss, "fern.png", media_samples.png(), "image/png")
    await page.goto(f"{studio.gateway}/studio/assets?project={moss}")
    await expect(_cards(page)).to_have_count(1)

    held = asyncio.Event()
    release = asyncio.Event()

    async def hold_the_upload(route: Route) -> None:
        held.set()
        await release.wait()
        await route.continue_()

    await page.route(re.compile(r"/api/v1/projects/[0-9a-f]{24}/assets$"), hold_the_upload)
    await page.get_by_test_id("gallery-file-input").set_input_files(
        files=[FilePayload(name="moss.png", mimeType="image/png", buffer=media_samples.png())]
    )
    await held.wait()
    search = page.get_by_role("searchbox", name="Search assets")
    await search.fill("mo")

    async with studio.client() as client:
        neon = await create_project(client, "Neon city")
        renamed = await client.patch(f"/api/v1/projects/{moss}", json={"name": "Moss and rain"})
        assert renamed.status_code == 200
    project = page.get_by_role("combobox", name="Project")
    await expect(project.locator("option", has_text="Neon city")).to_have_count(1)
    await expect(project.locator("option", has_text="Moss and rain")).to_have_count(1)
    await expect(search).to_be_focused()
    await expect(search).to_have_value("mo")
    await expect(project).to_have_value(moss)
    await expect(page.locator(".upload-tray")).to_contain_text("moss.png")
    release.set()
    await expect(_card(page, "moss")).to_have_count(1)
    await expect(_card(page, "moss").locator(".asset-card__project")).to_have_text("Moss and rain")
    await expect(page.locator(".upload-tray")).to_be_hidden()

    # The filtered project deleted elsewhere: every project's assets, the filter says so.
    await search.fill("")
    async with studio.client() as client:
        other = await _upload(client, neon, "city.png", media_samples.png(), "image/png")
        assert (await client.delete(f"/api/v1/projects/{moss}")).status_code in (200, 202, 204)
    await expect(project).to_have_value("")
    await expect(project.locator("option", has_text="Moss and rain")).to_have_count(0)
    await expect(page.locator(f'article.asset-card[data-asset-id="{other["id"]}"]')).to_be_visible()


@pytest.mark.parametrize("presses", [2, 3])
async def test_quick_presses_on_a_star_are_each_applied_in_order(
    studio: FullStack, page: Page, presses: int
) -> None:
    """Two presses while the first is being saved left the asset starred (both sent "star")."""
    async with studio.client() as client:
        project_id = await create_project(client, "Stars")
        asset = await _upload(client, project_id, "quick.png", media_samples.png(), "image/png")
    await page.goto(studio.gateway + "/studio/assets")
    star = page.get_by_role("button", name="Favorite quick.png")
    await expect(star).to_have_attribute("aria-pressed", "false")

    answered = asyncio.Event()
    sent: list[object] = []

    async def slow_answers(route: Route) -> None:
        sent.append(route.request.post_data_json)
        await answered.wait()  # every press lands while the first is still being saved
        await route.continue_()

    await page.route(re.compile(r"/api/v1/assets/[0-9a-f]{24}$"), slow_answers)
    await _card(page, "quick.png").hover()
    for _ in range(presses):
        await star.click()
    wanted = presses % 2 == 1
    await expect(star).to_have_attribute("aria-pressed", str(wanted).lower())
    answered.set()
    # Saved in order: the first press, then the last one if it differs (not one per press).
    expected = [{"favorite": True}] + ([{"favorite": False}] if presses == 2 else [])
    async with studio.client() as client:

        async def stored() -> bool:
            record = (await client.get(f"/api/v1/assets/{asset['id']}")).json()
            return len(sent) == len(expected) and record["favorite"] is wanted

        await eventually(stored, within=10)
    await expect(star).to_have_attribute("aria-pressed", str(wanted).lower())
    assert sent == expected
