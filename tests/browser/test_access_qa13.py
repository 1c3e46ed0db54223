"""The second accessibility pass (keyboard, screen reader, small screens, forced colours) and the
release walk's loading and duration findings: focus never hides under the sticky header or falls
to the page's body, chosen states and field focus survive forced colours, messages to screen
readers are queued (each said once), toasts with an action wait for the keyboard, a history card
is one View and names its item, arrow keys through a filter are one Back step, and the Assets
page and a slow session show skeletons."""

import asyncio
import re
from collections.abc import Awaitable, Callable

import httpx
from playwright.async_api import FilePayload, Locator, Page, Route, expect

from tests.browser.helpers import (
    create_project,
    finished,
    import_studio_module,
    start_generation,
    upload_image,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

# What the screen-reader-only live region holds at each frame, in order (a text set and replaced
# within one frame never reaches the accessibility tree, so it is not heard).
RECORD_ANNOUNCER = """() => {
  window.__said = [];
  const tick = () => {
    const text = document.getElementById('announcer')?.textContent || '';
    if (text && window.__said[window.__said.length - 1] !== text) window.__said.push(text);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

# A colour as the browser computes it for `Highlight` (forced colours keep system colours).
HIGHLIGHT = """() => {
  const probe = document.createElement('div');
  probe.style.forcedColorAdjust = 'none';
  probe.style.backgroundColor = 'Highlight';
  document.body.append(probe);
  const colour = getComputedStyle(probe).backgroundColor;
  probe.remove();
  return colour;
}"""


async def _said(page: Page) -> list[str]:
    said: list[str] = await page.evaluate("() => window.__said")
    return said


async def _heard(page: Page, text: str) -> list[str]:
    """Once `text` has been in the announcer: everything it held so far, in order."""

    async def held() -> bool:
        return text in await _said(page)

    await eventually(held, within=15, what=f"“{text}” announced")
    return await _said(page)


async def _held(page: Page, pattern: str) -> Callable[[], None]:
    """Requests matching `pattern` wait until the returned function is called."""
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route(pattern, hold)
    return release.set


async def _upload(
    client: httpx.AsyncClient, project_id: str, name: str, data: bytes, kind: str
) -> None:
    response = await client.post(
        f"/api/v1/projects/{project_id}/assets", files={"file": (name, data, kind)}
    )
    assert response.status_code == 201, response.text


def _card(page: Page, name: str) -> Locator:
    return page.locator("article.asset-card").filter(
        has=page.locator(".asset-card__name", has_text=name)
    )


async def test_shift_tab_never_leaves_a_control_under_the_sticky_header(
    studio: FullStack, page: Page
) -> None:
    await page.goto(f"{studio.gateway}/studio/templates")
    uses = page.get_by_role("button", name=re.compile(r"^Use "))
    await expect(uses.first).to_be_visible()
    await uses.last.focus()
    header_bottom = await page.locator("header.header").evaluate(
        "(el) => el.getBoundingClientRect().bottom"
    )
    hidden = []
    for _ in range(30):
        await page.keyboard.press("Shift+Tab")
        box = await page.evaluate(
            "() => { const el = document.activeElement; const r = el.getBoundingClientRect();"
            " return { name: el.getAttribute('aria-label') || el.textContent.trim(), top: r.top,"
            " inHeader: Boolean(el.closest('header')), inSidebar: Boolean(el.closest('nav.sidebar')) }; }"
        )
        if box["inHeader"] or box["inSidebar"]:
            break
        if box["top"] < header_bottom - 0.5:
            hidden.append(box)
    # Before: the control focused going back scrolled to the top of the window, behind the header.
    assert not hidden, hidden


async def test_chosen_states_and_field_focus_survive_forced_colours(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        await upload_image(client, project_id, "heron.png")
    await page.emulate_media(forced_colors="active")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    chosen = page.locator("[role=radio][aria-checked=true]")
    await expect(chosen).to_have_count(1)
    highlight = await page.evaluate(HIGHLIGHT)
    fill = "(el) => getComputedStyle(el).backgroundColor"

    # Before: every state drawn with a tint was forced to the page's own colour, like the others.
    assert await chosen.evaluate(fill) == highlight
    assert await page.locator("[role=radio][aria-checked=false]").first.evaluate(fill) != highlight
    bar = await page.locator(".tab[aria-selected=true]").evaluate(
        "(el) => getComputedStyle(el, '::after').backgroundColor"
    )
    assert bar == highlight
    assert await page.locator(".nav-link[aria-current=page]").evaluate(fill) == highlight

    await page.goto(f"{studio.gateway}/studio/assets")
    await expect(_card(page, "heron")).to_have_count(1)
    assert await page.get_by_role("button", name="All", exact=True).evaluate(fill) == highlight
    assert await page.get_by_role("button", name="Grid view").evaluate(fill) == highlight
    assert await page.get_by_role("button", name="List view").evaluate(fill) != highlight

    # A field keeps a ring of its own when focused (it had `outline: none` and a border colour).
    search = page.get_by_role("searchbox", name="Search assets")
    await search.focus()
    ring = await search.evaluate(
        "(el) => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "2px"]


async def test_a_focused_field_has_the_buttons_ring_in_both_themes(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Herons")  # the search shows once there is a project
    await page.goto(f"{studio.gateway}/studio")
    search = page.get_by_role("searchbox", name="Search projects")
    for scheme in ("dark", "light"):
        await page.emulate_media(color_scheme=scheme)
        await search.focus()
        ring = await search.evaluate(
            """(el) => {
              const s = getComputedStyle(el);
              const probe = document.createElement('div');
              probe.style.color = 'var(--color-focus)';
              document.body.append(probe);
              const focus = getComputedStyle(probe).color;
              probe.remove();
              return [s.outlineStyle, s.outlineWidth, s.outlineColor === focus];
            }"""
        )
        # Before: no outline, a 1 px border and a halo of about 1.1:1.
        assert ring == ["solid", "2px", True], scheme
        await page.locator("h1").focus()


async def test_toasts_with_an_action_wait_for_the_keyboard_and_give_focus_back(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Herons")  # the search shows once there is a project
    await page.clock.install()
    await page.goto(f"{studio.gateway}/studio")
    search = page.get_by_role("searchbox", name="Search projects")
    await search.focus()
    await import_studio_module(
        page,
        "ui/toast.js",
        "(m) => { m.toast('Saved the thing.', { kind: 'success' });"
        " m.toast('It failed.', { kind: 'error', action: { label: 'Retry', run: () => {} } }); }",
    )
    toasts = page.locator("#toasts .toast")
    await expect(toasts).to_have_count(2)
    await page.clock.run_for(20_000)
    # Before: the Retry closed after 9 s, long before Tab got there; the plain one still goes.
    await expect(toasts).to_have_text(["It failed.Retry"])
    await expect(search).to_be_focused()

    # F6 goes to the newest toast's action, F6 again back to the search box.
    await page.keyboard.press("F6")
    await expect(toasts.get_by_role("button", name="Retry")).to_be_focused()
    await page.keyboard.press("F6")
    await expect(search).to_be_focused()

    # Its action closes it, and focus goes back where it was (before: to the body).
    await page.keyboard.press("F6")
    await page.keyboard.press("Enter")
    await expect(toasts).to_have_count(0)
    await expect(search).to_be_focused()

    # So does its ✕.
    await import_studio_module(
        page, "ui/toast.js", "(m) => m.toast('Once more.', { kind: 'info' })"
    )
    await page.keyboard.press("F6")
    dismiss = toasts.get_by_role("button", name="Dismiss")
    await expect(dismiss).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(toasts).to_have_count(0)
    await expect(search).to_be_focused()


async def test_messages_said_at_once_are_each_heard_in_order(studio: FullStack, page: Page) -> None:
    await page.goto(f"{studio.gateway}/studio")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Projects")
    await page.evaluate(RECORD_ANNOUNCER)
    await import_studio_module(
        page, "ui/toast.js", "(m) => { m.announce('First thing.'); m.announce('Second thing.'); }"
    )
    said = await _heard(page, "Second thing.")
    # Before: the second replaced the first in the same frame; only the second was heard.
    assert said.index("First thing.") < said.index("Second thing."), said


async def test_a_dismissed_upload_row_hands_focus_on_and_its_failure_is_said_once(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "Herons")
    await page.goto(f"{studio.gateway}/studio/assets")
    upload = page.get_by_role("button", name="Upload", exact=True)
    await expect(upload).to_be_visible()
    await page.evaluate(RECORD_ANNOUNCER)
    async with page.expect_file_chooser() as chooser:
        await upload.click()
    await (await chooser.value).set_files(
        [
            FilePayload(name="notes-1.txt", mimeType="text/plain", buffer=b"not a picture"),
            FilePayload(name="notes-2.txt", mimeType="text/plain", buffer=b"nor this"),
        ]
    )
    first = page.get_by_role("button", name="Dismiss notes-1.txt")
    second = page.get_by_role("button", name="Dismiss notes-2.txt")
    await expect(first).to_be_visible()
    await expect(second).to_be_visible()
    await expect(page.locator("#toasts")).to_contain_text("2 of 2 uploads failed.")

    await first.focus()
    await page.keyboard.press("Enter")
    # Before: focus fell to the body with the row it was in.
    await expect(second).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(upload).to_be_focused()

    said = await _said(page)
    assert "Uploading 2 files." in said, said
    # The toast (a live region) says it; the announcer said it too, so it was read twice.
    assert not [text for text in said if "failed" in text], said


async def test_focus_stays_on_a_renamed_asset_and_moves_on_from_one_deleted_in_the_viewer(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        for name in ("a-heron.png", "b-heron.png", "c-heron.png"):
            await upload_image(client, project_id, name)
    await page.goto(f"{studio.gateway}/studio/assets")
    await expect(page.locator("article.asset-card")).to_have_count(3)

    # Renamed with Enter: focus back on the card's Rename (before: on <main>).
    await page.get_by_role("button", name="Rename b-heron.png").focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Rename asset")
    await expect(dialog.get_by_label("Name")).to_be_focused()
    await dialog.get_by_label("Name").fill("b-egret.png")
    await page.keyboard.press("Enter")
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_role("button", name="Rename b-egret.png")).to_be_focused()

    # Its file deleted in the viewer, then Escape: the card now in its place (before: <main>).
    await page.get_by_role("button", name="Open b-egret.png").focus()
    await page.keyboard.press("Enter")
    viewer = page.locator("dialog.dialog--viewer")
    await expect(viewer).to_be_visible()
    await viewer.get_by_role("button", name="Delete").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await expect(page.locator("article.asset-card")).to_have_count(2)
    await page.keyboard.press("Escape")
    await expect(viewer).to_have_count(0)
    await expect(page.get_by_role("button", name="Open a-heron.png")).to_be_focused()


async def test_a_job_starting_and_one_cancelled_elsewhere_are_announced(
    studio_without_worker: FullStack, page: Page
) -> None:
    studio = studio_without_worker
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        await page.goto(f"{studio.gateway}/studio/{project_id}")
        await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
        await page.evaluate(RECORD_ANNOUNCER)
        waiting = await start_generation(client, project_id, "a heron waiting")
        card = page.locator(f"article.gen-card[data-id='{waiting['id']}']")
        await expect(card).to_contain_text("Pending")
        # Cancelled from another tab or a program: before, nothing was said.
        response = await client.post(f"/api/v1/generations/{waiting['id']}/cancel")
        assert response.status_code == 202, response.text
        await expect(card).to_contain_text("Cancelled")
        await _heard(page, "Generation cancelled: a heron waiting")

        ran = await start_generation(client, project_id, "a heron flying")
        await studio.add_worker()
        await finished(client, ran["id"])
    said = await _heard(page, "Generation completed: a heron flying")
    # Before: a job that started was not said, only its end.
    assert said.index("Generation processing: a heron flying") < said.index(
        "Generation completed: a heron flying"
    ), said


async def test_a_history_card_is_one_view_and_its_buttons_name_it(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        made = await start_generation(client, project_id, "a heron at dawn")
        await finished(client, made["id"])
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator(f"article.gen-card[data-id='{made['id']}']")
    await expect(card).to_contain_text("Completed")
    # Before: "View image" on the picture and a "View" icon, two Tab stops for one thing.
    await expect(card.get_by_role("button", name=re.compile(r"^View"))).to_have_count(1)
    named = "generation “a heron at dawn”"
    for name in (f"Remix {named}", f"Save as template from {named}", f"Delete {named}"):
        await expect(card.get_by_role("button", name=name, exact=True)).to_be_visible()
    await expect(card.get_by_role("link", name=f"Download {named}", exact=True)).to_be_visible()
    await expect(card.get_by_role("button", name="Delete", exact=True)).to_have_count(0)


async def test_arrow_keys_through_a_filter_are_one_step_back(studio: FullStack, page: Page) -> None:
    await page.goto(f"{studio.gateway}/studio/generations")
    kind = page.get_by_label("Type")
    await expect(kind.locator("option")).not_to_have_count(1)
    # The router numbers the entries it adds (history.state.position); history.length was read
    # here before, and in about one run of twenty it had not counted the first step yet.
    before = await page.evaluate("() => history.state?.position ?? 0")
    await kind.focus()
    values = await kind.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
    for value in values[1:4]:
        await page.keyboard.press("ArrowDown")
        # Each step is applied (the person paused on it), but in the same history entry.
        await expect(page).to_have_url(re.compile(rf"type={re.escape(value)}$"))
    # Before: one entry per step, so Back had to be pressed once for each.
    assert await page.evaluate("() => history.state.position") == before + 1
    # And the person's own test: one Back, and the list is unfiltered again.
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(kind).to_have_value("")


async def test_a_short_sound_on_a_narrow_card_shows_its_length_beside_the_star(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        await _upload(client, project_id, "chirp.wav", media_samples.wav(0.5), "audio/wav")
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.goto(f"{studio.gateway}/studio/assets")
    card = _card(page, "chirp")
    time = card.locator(".asset-chip--time")
    # Before: "0:00", as if it were empty.
    await expect(time).to_have_text("0.5 s")
    await card.hover()
    star = card.get_by_role("button", name="Favorite chirp.wav")
    await expect(star).to_have_css("opacity", "1")
    chip = await time.bounding_box()
    button = await star.bounding_box()
    assert chip is not None and button is not None
    # Before: the star sat on the length.
    apart = chip["x"] + chip["width"] <= button["x"] or chip["y"] >= button["y"] + button["height"]
    assert apart, (chip, button)
    lengths = await import_studio_module(
        page, "ui/format.js", "(m) => [m.duration(0.25), m.duration(0.02), m.duration(42)]"
    )
    assert lengths == ["0.3 s", "<0.1 s", "0:42"]


async def test_headings_start_with_the_page_and_name_the_tab_panels(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
    levels = await page.evaluate(
        "() => [...document.querySelectorAll('h1, h2, h3, h4')].map((el) => el.tagName)"
    )
    # Before: the sidebar's "Quick actions" came first, and no heading led to History.
    assert levels[0] == "H1", levels
    await expect(
        page.get_by_role("tabpanel", name="History").get_by_role("heading", name="History", level=2)
    ).to_have_count(1)


async def _loads_with(
    page: Page, url: str, pattern: str, shown: Callable[[], Awaitable[None]]
) -> None:
    release = await _held(page, pattern)
    await page.goto(url)
    try:
        await shown()
    finally:
        release()


async def test_the_assets_page_and_a_slow_session_show_skeletons(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        await upload_image(client, project_id, "heron.png")

    async def gallery_shape() -> None:
        # Before: one grey bar until the projects came.
        slot = page.locator(".assets-page__gallery")
        await expect(slot.locator(".asset-card--skeleton")).to_have_count(8)
        await expect(slot.locator(".gallery-skeleton__search")).to_be_visible()

    await _loads_with(
        page, f"{studio.gateway}/studio/assets", "**/api/v1/projects?*", gallery_shape
    )
    await expect(_card(page, "heron")).to_have_count(1)

    async def frame_shape() -> None:
        # Before: an empty frame, no title, no sidebar, for as long as /me took.
        await expect(page.locator("#main .card-grid .card")).to_have_count(6)
        await expect(page.locator("#header-slot .skeleton")).to_be_visible()

    await _loads_with(page, f"{studio.gateway}/studio", "**/api/v1/me", frame_shape)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Projects")
    await expect(page.locator("#main .skeleton")).to_have_count(0)
