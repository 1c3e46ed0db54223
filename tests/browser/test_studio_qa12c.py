"""QA pass 22 (one heavy user) and the rest of 24, shown in a browser: a thumbnail refused for a
reason that passes (the request limit's 429) comes back, and one that never comes gives up after
a few tries and is tried again once the browser is back online; a new live stream that could
not resume keeps a long history (and the gallery) as loaded, and the scroll; a generation made
elsewhere costs its page one record request however many events it has; an empty custom Height
is refused at its field."""

import asyncio
import re
from typing import Any

from playwright.async_api import Page, Request, Route, expect

from tests.browser.helpers import (
    create_project,
    fake_generation,
    finished,
    import_studio_module,
    start_generation,
    upload_image,
)
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

THUMBNAIL = re.compile(r"/api/v1/assets/[0-9a-f]{24}/thumbnail$")
GENERATION = re.compile(r"/api/v1/generations/[0-9a-f]{24}$")
# Every EventSource the page opens, so a test can end one as a dropped connection would.
KEEP_STREAMS = """
window.__streams = [];
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(...args) { super(...args); window.__streams.push(this); }
};
"""
# The stream closed for good (as when the server ends it): the studio opens a new one, which
# cannot resume, and its listeners get `reset`.
DROP_STREAM = """() => {
  const stream = window.__streams.at(-1);
  stream.close();
  stream.dispatchEvent(new Event('error'));
}"""
ALL_LOADED = "(selector) => [...document.querySelectorAll(selector)].every((img) => img.complete && img.naturalWidth > 0)"


def _refuse_first(counts: dict[str, int], refusals: int) -> Any:
    """A thumbnail route: each picture's first `refusals` answers are the limit's 429."""

    async def handle(route: Route) -> None:
        url = route.request.url
        counts[url] = counts.get(url, 0) + 1
        if counts[url] <= refusals:
            await route.fulfill(
                status=429,
                headers={"Retry-After": "1"},
                content_type="application/problem+json",
                body='{"title": "Too many requests", "status": 429}',
            )
        else:
            await route.continue_()

    return handle


async def test_a_thumbnail_refused_once_comes_back_in_the_gallery_and_the_history(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Refused")
        for name in ("one.png", "two.png"):
            await upload_image(client, project_id, name)
        generation = await start_generation(client, project_id, prompt="a refused heron")
        assert (await finished(client, generation["id"]))["status"] == "completed"
    counts: dict[str, int] = {}
    await page.route(THUMBNAIL, _refuse_first(counts, 1))

    await page.goto(f"{studio.gateway}/studio/assets")
    cards = page.locator(".asset-card")
    await expect(cards).to_have_count(3)
    # Before: each refused picture stayed the grey placeholder for good.
    await expect(cards.locator("img.asset-thumb__img")).to_have_count(3, timeout=15_000)
    await page.wait_for_function(ALL_LOADED, arg=".asset-card img")
    await expect(cards.locator(".asset-thumb__placeholder")).to_have_count(0)
    assert sorted(counts.values()) == [2, 2, 2]

    counts.clear()
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator(f'article.gen-card[data-id="{generation["id"]}"]')
    await expect(card).to_be_visible()
    picture = card.locator(".gen-card__view img")
    # Before: marked broken (hidden) for good.
    await expect(picture).not_to_have_class(re.compile("gen-card__img--broken"), timeout=15_000)
    await page.wait_for_function(ALL_LOADED, arg=".gen-card__view img")
    assert list(counts.values()) == [2]


async def test_a_thumbnail_never_given_is_asked_three_times_more_then_again_once_online(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Never")
        await upload_image(client, project_id, "never.png")
    counts: dict[str, int] = {}
    await page.route(THUMBNAIL, _refuse_first(counts, 1000))
    await page.goto(f"{studio.gateway}/studio/assets")
    card = page.locator(".asset-card")
    await expect(card).to_have_count(1)
    placeholder = card.locator(".asset-thumb__placeholder")
    await expect(placeholder).to_have_attribute("data-retrying", "true")
    # 2 s, 5 s and 15 s after: four answers in all, then the placeholder stays.
    await expect(placeholder).not_to_have_attribute("data-retrying", "true", timeout=40_000)
    assert list(counts.values()) == [4]
    await expect(placeholder).to_contain_text("PNG")

    # Back online: asked once more.
    await page.context.set_offline(True)
    await page.context.set_offline(False)
    await eventually(lambda: list(counts.values()) == [5], what="asked again once online")
    await expect(placeholder).to_be_visible()


def _ids(first: int, last: int) -> list[str]:
    """Time-ordered ids (as the API's), newest first, from `first` down to `last`."""
    return [f"6a{n:06x}" + "0" * 16 for n in range(first, last - 1, -1)]


async def _scroll_to_end(page: Page, items: str, count: int) -> None:
    async def loaded() -> bool:
        shown = await page.evaluate(
            "(s) => { const all = document.querySelectorAll(s); all[all.length - 1]?.scrollIntoView();"
            " return all.length; }",
            items,
        )
        return bool(shown == count)

    await eventually(loaded, what=f"{count} items loaded")


async def test_a_reset_keeps_a_long_history_loaded_and_in_place(
    studio_without_worker: FullStack, page: Page
) -> None:
    async with studio_without_worker.client() as client:
        project_id = await create_project(client, "Long history")

    def record(gid: str, status: str = "cancelled") -> dict[str, Any]:
        return fake_generation(project_id, status, id=gid, prompt=f"moss {gid[2:8]}")

    older = [record(gid) for gid in _ids(150, 101)]
    first = [record(gid) for gid in _ids(200, 151)]
    state = {"first": first}
    asked: list[str] = []

    async def pages(route: Route) -> None:
        if route.request.method != "GET":
            await route.continue_()
            return
        cursor = re.search(r"[?&]cursor=([^&]+)", route.request.url)
        asked.append(cursor.group(1) if cursor else "")
        if cursor:
            await route.fulfill(json={"items": older, "next_cursor": None})
        else:
            await route.fulfill(json={"items": state["first"], "next_cursor": "page-2"})

    await page.add_init_script(KEEP_STREAMS)
    await page.route(re.compile(rf"/api/v1/projects/{project_id}/generations(\?.*)?$"), pages)
    await page.goto(f"{studio_without_worker.gateway}/studio/{project_id}")
    cards = page.locator("article.gen-card")
    await expect(cards).to_have_count(50)
    await _scroll_to_end(page, "article.gen-card", 100)
    anchor = page.locator(f'article.gen-card[data-id="{_ids(120, 120)[0]}"]')
    await anchor.scroll_into_view_if_needed()
    before = await anchor.bounding_box()
    assert before is not None
    top = before["y"]

    # Meanwhile: one made, one deleted, one changed, all within the first page.
    made = record(_ids(201, 201)[0], "failed")
    deleted = _ids(190, 190)[0]
    changed = _ids(195, 195)[0]
    kept = [record(g["id"], "failed") if g["id"] == changed else g for g in first]
    state["first"] = [made, *[g for g in kept if g["id"] != deleted][:49]]
    asked.clear()
    await page.evaluate(DROP_STREAM)
    await eventually(lambda: asked == [""], what="the first page asked again")
    await expect(page.locator(f'article.gen-card[data-id="{made["id"]}"]')).to_have_count(1)
    await expect(page.locator(f'article.gen-card[data-id="{deleted}"]')).to_have_count(0)
    await expect(page.locator(f'article.gen-card[data-id="{changed}"]')).to_contain_text("Failed")
    # Before: the list went back to its first 50, at the top.
    await expect(cards).to_have_count(100)
    assert await cards.first.get_attribute("data-id") == made["id"]
    box = await anchor.bounding_box()
    assert box is not None and abs(box["y"] - top) < 2, (top, box)
    assert asked == [""]  # the older page was not asked again


async def test_a_reset_keeps_the_loaded_gallery(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Long gallery")

    def asset(aid: str, name: str | None = None) -> dict[str, Any]:
        return {
            "id": aid,
            "project_id": project_id,
            "name": name or f"take {aid[2:8]}.wav",
            "original_filename": None,
            "media_type": "audio",
            "content_type": "audio/wav",
            "size": 1000,
            "width": None,
            "height": None,
            "duration": 2.0,
            "waveform": None,
            "favorite": False,
            "tags": [],
            "prompt": None,
            "generation_id": None,
            "created_at": "2026-01-01T00:00:00Z",
            "content_url": f"/api/v1/assets/{aid}/content",
            "thumbnail_url": None,
        }

    older = [asset(aid) for aid in _ids(150, 101)]
    first = [asset(aid) for aid in _ids(200, 151)]
    state = {"first": first}
    asked: list[str] = []

    async def pages(route: Route) -> None:
        cursor = re.search(r"[?&]cursor=([^&]+)", route.request.url)
        asked.append(cursor.group(1) if cursor else "")
        if cursor:
            await route.fulfill(json={"items": older, "next_cursor": None})
        else:
            await route.fulfill(json={"items": state["first"], "next_cursor": "page-2"})

    await page.add_init_script(KEEP_STREAMS)
    await page.route(re.compile(r"/api/v1/assets(\?.*)?$"), pages)
    await page.goto(f"{studio.gateway}/studio/assets")
    await _scroll_to_end(page, ".asset-card", 100)

    renamed = _ids(199, 199)[0]
    deleted = _ids(180, 180)[0]
    made = asset(_ids(201, 201)[0], "new take.wav")
    kept = [asset(a["id"], "renamed take.wav") if a["id"] == renamed else a for a in first]
    state["first"] = [made, *[a for a in kept if a["id"] != deleted][:49]]
    asked.clear()
    await page.evaluate(DROP_STREAM)
    await eventually(lambda: asked == [""], what="the first page asked again")
    cards = page.locator(".asset-card")
    await expect(cards.first).to_have_attribute("data-asset-id", made["id"])
    await expect(page.locator(f'.asset-card[data-asset-id="{deleted}"]')).to_have_count(0)
    await expect(page.locator(f'.asset-card[data-asset-id="{renamed}"]')).to_contain_text(
        "renamed take.wav"
    )
    # Before: back to its first 50.
    await expect(cards).to_have_count(100)
    assert asked == [""]


async def test_a_generation_made_elsewhere_costs_its_page_one_record_request(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Elsewhere")
    fetched: list[str] = []
    released = asyncio.Event()

    async def slow(route: Route) -> None:
        if route.request.method == "GET":
            fetched.append(route.request.url)
            # The answer comes after every event of the job (a slow service): it predates
            # none of them, yet each used to ask for the record once more.
            await released.wait()
        await route.continue_()

    await page.route(GENERATION, slow)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
    async with studio.client() as client:
        generation = await start_generation(client, project_id, prompt="made elsewhere")
        await eventually(lambda: len(fetched) == 1, what="the record asked for")
        assert (await finished(client, generation["id"]))["status"] == "completed"
    released.set()
    card = page.locator(f'article.gen-card[data-id="{generation["id"]}"]')
    await expect(card).to_contain_text("Completed")
    await expect(card.locator(".gen-card__view img")).to_have_count(1)
    assert len(fetched) == 1, fetched


async def test_an_empty_custom_height_is_refused_at_its_field(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Sizes")
    posts: list[Request] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r) if r.method == "POST" and r.url.endswith("/generations") else None
        ),
    )
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await page.get_by_role("button", name=re.compile(r"^Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await dialog.get_by_role("combobox", name="Search models").fill("Local Image")
    await dialog.get_by_role("option", name=re.compile("Local Image")).first.click()
    await page.get_by_text("Advanced settings").click()
    await page.get_by_label("Image size").select_option(label="Custom size")
    height = page.get_by_label("Height", exact=True)
    await height.fill("")
    await page.get_by_label("Prompt", exact=True).fill("tall pines")
    await page.get_by_role("button", name="Generate", exact=True).click()
    size = page.locator(".field[data-field=image_size]")
    # Before: sent as {"height": 0}, and the API's answer named neither box.
    await expect(size.locator(".field__error")).to_have_text("Enter a height.")
    await expect(height).to_be_focused()
    await expect(height).to_have_accessible_description(re.compile("Enter a height."))
    assert not posts

    await page.get_by_label("Width", exact=True).fill("")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(size.locator(".field__error")).to_have_text("Enter a width and a height.")
    await expect(page.get_by_label("Width", exact=True)).to_be_focused()
    await page.get_by_label("Width", exact=True).fill("320")
    await expect(size.locator(".field__error")).to_have_text("")
    await height.fill("240")
    async with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/generations")
    ) as sent:
        await page.get_by_role("button", name="Generate", exact=True).click()
    body = (await sent.value).post_data_json
    assert isinstance(body, dict)
    assert body["params"]["image_size"] == {"width": 320, "height": 240}


async def test_trellis_settings_read_as_words(studio: FullStack, page: Page) -> None:
    await page.goto(f"{studio.gateway}/studio")
    labels = await import_studio_module(
        page,
        "ui/params-labels.js",
        "(m, names) => names.map((name) => m.paramLabel(name))",
        [
            "ss_guidance_strength",
            "slat_sampling_steps",
            "tex_slat_guidance_rescale",
            "shape_slat_rescale_t",
            "image_url",
            "style_id",
            "guidance_scale_2",
        ],
    )
    # Before: "Ss guidance strength", "Slat sampling steps", "Tex slat guidance rescale",
    # "Shape slat rescale t", "Image url", "Style id", "Guidance scale 2".
    assert labels == [
        "Structure guidance strength",
        "Latent sampling steps",
        "Texture latent guidance rescale",
        "Shape latent rescale T",
        "Image URL",
        "Style ID",
        "Guidance scale (second stage)",
    ]
