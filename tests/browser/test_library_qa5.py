"""The library (asset gallery, Templates, all assets) as the fifth QA pass found it: what a
person saw go wrong, checked the way they would meet it."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from playwright.async_api import Page, Response, Route, expect

from tests.browser.helpers import (
    PHONE,
    create_project,
    expect_toast,
    open_rename,
    record_toasts,
    save_name,
)
from tests.support import media_samples
from tests.support.full_stack import FullStack


async def _upload(client: httpx.AsyncClient, project: str, name: str) -> str:
    response = await client.post(
        f"/api/v1/projects/{project}/assets",
        files={"file": (name, media_samples.png(), "image/png")},
    )
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["id"]
    return asset_id


async def _template(client: httpx.AsyncClient, name: str) -> str:
    body = {"name": name, "type": "text-to-image", "model_id": "local/image", "prompt": "moss"}
    response = await client.post("/api/v1/templates", json=body)
    assert response.status_code == 201, response.text
    template_id: str = response.json()["id"]
    return template_id


async def test_a_star_toggled_while_the_viewer_looks_the_asset_up_stays_as_toggled(
    studio: FullStack, page: Page
) -> None:
    """The viewer looks up the asset it opens. On a slow server that answer can come after a
    click on the star, with the star as it was before: it drew the old star again, and the
    next click sent the same favorite again instead of taking it off (seen in CI)."""
    async with studio.client() as client:
        project = await create_project(client, "Moodboard")
        asset = await _upload(client, project, "dusk.png")
    starred = asyncio.Event()

    def on_response(response: Response) -> None:
        if response.request.method == "PATCH":
            starred.set()

    page.on("response", on_response)

    async def answer_late(route: Route) -> None:
        if route.request.method != "GET":
            await route.continue_()
            return
        as_it_was = await route.fetch()
        await starred.wait()
        await route.fulfill(response=as_it_was)

    await page.route(f"**/api/v1/assets/{asset}", answer_late)
    await page.goto(f"{studio.gateway}/studio/assets")
    await page.get_by_role("button", name="Open dusk.png").click()
    star = page.get_by_role("dialog").get_by_role("button", name="Favorite", exact=True)
    drawn = await star.element_handle()
    looked_up = f"/assets/{asset}"
    async with page.expect_response(
        lambda r: r.request.method == "GET" and r.url.endswith(looked_up)
    ):
        await star.click()
    await page.wait_for_function("star => !star.isConnected", arg=drawn)  # drawn again
    await expect(star).to_have_attribute("aria-pressed", "true")
    await expect(star).to_have_attribute("title", "Remove from favorites")
    async with page.expect_request(lambda r: r.method == "PATCH") as second:
        await star.click()
    assert (await second.value).post_data_json == {"favorite": False}
    await expect(star).to_have_attribute("aria-pressed", "false")


async def test_an_asset_that_stops_matching_leaves_the_list(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Moodboard")
        for name in ("dune.png", "dusk.png"):
            asset = await _upload(client, project, name)
            favorite = await client.patch(f"/api/v1/assets/{asset}", json={"favorite": True})
            assert favorite.status_code == 200, favorite.text
    cards = page.locator("article.asset-card")
    summary = page.locator(".gallery__summary")

    # Unstarred under Favorites: it is no favorite any more, so it goes.
    await page.goto(f"{studio.gateway}/studio/assets?favorites=1")
    await expect(cards).to_have_count(2)
    await cards.filter(has_text="dune.png").hover()
    await page.get_by_role("button", name="Favorite dune.png").click()
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("dusk.png")
    await expect(summary).to_have_text("1 asset")
    await expect(page.locator("#announcer")).to_have_text(
        "dune.png removed from favorites and from this list"
    )
    # The same from the viewer: the gallery behind it lists favorites only.
    await page.get_by_role("button", name="Open dusk.png").click()
    viewer = page.get_by_role("dialog")
    await viewer.get_by_role("button", name="Favorite", exact=True).click()
    await expect(viewer.get_by_role("button", name="Favorite", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("heading", name="No favorites yet")).to_be_visible()

    # Renamed so the search no longer finds it: it goes, and the toast says why. (The search
    # also looks at the uploaded file's name, "dusk.png": it looks for a word of the name only.)
    async with studio.client() as client:
        renamed = await client.patch(f"/api/v1/assets/{asset}", json={"name": "Sky at dusk"})
        assert renamed.status_code == 200, renamed.text
    await page.goto(f"{studio.gateway}/studio/assets?q=sky")
    await expect(cards).to_have_count(1)
    await cards.first.hover()
    dialog, _ = await open_rename(page, "Rename Sky at dusk", "Rename asset")
    await save_name(dialog, "evening.png")
    await expect(cards).to_have_count(0)
    await expect(page.get_by_role("heading", name="No assets match")).to_be_visible()
    await expect(page.locator("#toasts")).to_contain_text("The search no longer matches it.")
    # Focus is not lost with the row: it goes to the search, as nothing is left to list.
    await expect(page.get_by_role("searchbox", name="Search assets")).to_be_focused()


async def test_every_action_is_reachable_in_list_view_on_a_phone(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Phone")
        await _upload(client, project, "a long name for a phone screen.png")
    await page.set_viewport_size(PHONE)
    await page.goto(f"{studio.gateway}/studio/assets")
    await page.get_by_role("button", name="List view").click()
    row = page.locator(".asset-row").first
    name = "a long name for a phone screen.png"
    for label in (
        f"Favorite {name}",
        f"Download {name}",
        f"Use {name} as reference",
        f"Rename {name}",
        f"Delete {name}",
    ):
        if label.startswith("Download"):
            action = row.get_by_role("link", name=label)
        else:
            action = row.get_by_role("button", name=label)
        await expect(action).to_be_visible()
        await expect(action).to_be_in_viewport()
    # Nothing spills sideways out of the phone's screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await open_rename(page, f"Rename {name}", "Rename asset")


async def test_own_templates_keep_loading_on_a_fast_scroll(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        for n in range(30):
            await _template(client, f"Template {n:02d}")
    await page.goto(f"{studio.gateway}/studio/templates")
    own = page.get_by_test_id("user-templates").locator("article.template-card")
    await expect(own).to_have_count(24)
    await expect(page.get_by_test_id("starter-templates").locator("article")).not_to_have_count(0)
    # Jumps of 3000 px go past the end of the own templates in one frame: the observer never
    # sees it cross the view.
    await page.mouse.move(640, 400)
    for _ in range(3):
        await page.mouse.wheel(0, 3000)
    await expect(own).to_have_count(30)


async def test_a_page_toast_goes_with_its_page(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Pottery")
        template = await _template(client, "Potter")
    await page.goto(f"{studio.gateway}/studio/templates")
    await expect(page.get_by_role("heading", name="Your templates")).to_be_visible()
    # In-page navigation (as a link inside the studio): the toast region outlives the page.
    await page.evaluate(
        "(href) => { history.pushState(null, '', href); dispatchEvent(new PopStateEvent('popstate')); }",
        f"/studio/{project}?template={template}",
    )
    toasts = page.locator("#toasts")
    await expect(toasts).to_contain_text("Settings from \u201cPotter\u201d")
    # The pointer rests on it, so it would stay until the pointer leaves (not time out).
    await toasts.locator(".toast").hover()
    await page.go_back()
    await expect(page.get_by_role("heading", name="Your templates")).to_be_visible()
    await expect(toasts).not_to_contain_text("Settings from")


async def test_a_project_filter_for_no_project_of_yours_says_so(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Kept")
        await _upload(client, project, "kept.png")
        gone = await create_project(client, "Gone")
        assert (await client.delete(f"/api/v1/projects/{gone}")).status_code in (200, 202, 204)
    await page.goto(f"{studio.gateway}/studio/assets?project={gone}")
    await expect(page.locator("article.asset-card")).to_have_count(1)
    await expect(page.get_by_role("status").filter(has_text="does not exist")).to_have_text(
        "This project does not exist or is not yours; showing all projects."
    )
    await expect(page.get_by_label("Project", exact=True)).to_have_value("")
    # Another project chosen: "showing all projects" would no longer be true.
    await page.get_by_label("Project", exact=True).select_option(label="Kept")
    await expect(page.get_by_role("status").filter(has_text="does not exist")).to_have_count(0)
    await expect(page.locator("article.asset-card")).to_have_count(1)


async def test_a_template_renamed_out_of_the_search_leaves_the_list(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        for name in ("Potter at the wheel", "Potter glazing"):
            await _template(client, name)
    await page.goto(f"{studio.gateway}/studio/templates")
    own = page.get_by_test_id("user-templates").locator("article.template-card")
    await expect(own).to_have_count(2)
    await page.get_by_role("searchbox", name="Search your templates").fill("potter")
    await expect(page.locator(".templates-section__count")).to_have_text("2 templates")

    await record_toasts(page)
    dialog, _ = await open_rename(page, "Rename Potter glazing", "Rename template")
    await save_name(dialog, "Kiln")
    await expect(own).to_have_count(1)
    await expect(own).to_contain_text("Potter at the wheel")
    await expect(page.locator(".templates-section__count")).to_have_text("1 template")
    await expect_toast(page, "Renamed to \u201cKiln\u201d. The search no longer matches it.")


async def test_a_retry_toast_goes_with_the_page_it_retries_on(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await _template(client, "Potter")

    async def refuse(route: Route) -> None:
        if route.request.method == "DELETE":
            await route.fulfill(status=503, json={"title": "Service Unavailable", "status": 503})
        else:
            await route.continue_()

    await page.route("**/api/v1/templates/*", refuse)
    await page.goto(f"{studio.gateway}/studio/templates")
    await page.get_by_role("button", name="Delete Potter").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    toasts = page.locator("#toasts")
    await expect(toasts.get_by_role("button", name="Retry")).to_be_visible()
    # The pointer rests on it, so it would stay until the pointer leaves (not time out).
    await toasts.locator(".toast").hover()
    await page.evaluate(
        "() => { history.pushState(null, '', '/studio/assets'); "
        "dispatchEvent(new PopStateEvent('popstate')); }"
    )
    await expect(page.get_by_role("heading", name="Assets")).to_be_visible()
    await expect(toasts.get_by_role("button", name="Retry")).to_have_count(0)


async def test_the_projects_pages_retry_toast_goes_with_the_page(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        for n in range(26):  # one page of 24, and more
            await create_project(client, f"Board {n}")

    async def refuse_next_page(route: Route) -> None:
        if "cursor=" in route.request.url:
            await route.fulfill(status=503, json={"title": "Service Unavailable", "status": 503})
        else:
            await route.continue_()

    await page.route("**/api/v1/projects?*", refuse_next_page)
    await page.goto(f"{studio.gateway}/studio")
    await expect(page.locator("a.project-card")).to_have_count(24)
    await page.locator("a.project-card").last.scroll_into_view_if_needed()
    toasts = page.locator("#toasts")
    await expect(toasts.get_by_role("button", name="Retry")).to_be_visible()
    await toasts.locator(".toast").hover()  # so it cannot simply time out
    await page.evaluate(
        "() => { history.pushState(null, '', '/studio/assets'); "
        "dispatchEvent(new PopStateEvent('popstate')); }"
    )
    await expect(page.get_by_role("heading", name="Assets")).to_be_visible()
    await expect(toasts.get_by_role("button", name="Retry")).to_have_count(0)


def _answered_as_told(answers: "asyncio.Queue[str]") -> Callable[[Route], Awaitable[None]]:
    """A route that holds each request until told how to answer it: "fail" (a 504, as a hung
    service answers after its timeout) or anything else (the server's own answer)."""

    async def answer(route: Route) -> None:
        if await answers.get() == "fail":
            await route.fulfill(status=504, json={"title": "Gateway Timeout", "status": 504})
        else:
            await route.continue_()

    return answer


async def test_a_list_asked_again_keeps_its_failure_in_view_and_a_count_its_own(
    studio: FullStack, page: Page
) -> None:
    """A hung assets service answers 504 after 30 s: the gallery's failure stayed up for 2 s,
    then skeletons (busy, as the failure had been too) for the next 30 s of each retry; and
    while a filter's list loaded, the count of the list before it stayed beside it."""
    async with studio.client() as client:
        project = await create_project(client, "Moodboard")
        for name in ("dune.png", "dusk.png"):
            await _upload(client, project, name)
    answers = asyncio.Queue[str]()
    slow_list = _answered_as_told(answers)
    await page.route("**/api/v1/assets?*", slow_list)
    await answers.put("fail")
    await page.goto(f"{studio.gateway}/studio/assets")
    failure = page.get_by_role("heading", name="Something went wrong")
    await expect(failure).to_be_visible()
    gallery_body = page.locator(".gallery__body")
    await expect(gallery_body).not_to_have_attribute("aria-busy", "true")
    # Asked again by itself after 2 s; while that request is out the failure stays in view.
    try_again = page.get_by_role("button", name="Try again")
    await expect(try_again).to_have_attribute("aria-busy", "true")
    await expect(failure).to_be_visible()
    await answers.put("answer")
    await expect(page.locator("article.asset-card")).to_have_count(2)
    summary = page.locator(".gallery__summary")
    await expect(summary).to_have_text("2 assets")

    await page.get_by_role("button", name="Video", exact=True).click()
    await expect(summary).to_have_text("")  # not "2 assets" beside the videos' skeletons
    await answers.put("answer")
    await expect(page.get_by_role("heading", name="No assets match")).to_be_visible()


@pytest.mark.parametrize(
    ("address", "listing", "shown"),
    [
        ("/studio/generations", "**/api/v1/generations?*", "article.gen-card"),
        ("/studio", "**/api/v1/projects?*", "a.project-card"),
    ],
    ids=["the generations page", "the projects page"],
)
async def test_other_lists_asked_again_keep_their_failure_in_view(
    studio: FullStack, page: Page, address: str, listing: str, shown: str
) -> None:
    """The gallery's behaviour, now everyone's (ui/empty.js): a list asked again after a failure
    keeps the failure in view, its Try again busy, instead of skeletons for as long as a hung
    service takes to time out."""
    async with studio.client() as client:
        project = await create_project(client, "Moodboard")
        made = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "dune"},
        )
        assert made.status_code == 202, made.text
    answers = asyncio.Queue[str]()
    slow_list = _answered_as_told(answers)
    await page.route(listing, slow_list)
    await answers.put("fail")
    await page.goto(studio.gateway + address)
    failure = page.get_by_role("heading", name="Something went wrong")
    await expect(failure).to_be_visible()
    # Asked again by itself after 2 s; while that request is out the failure stays in view.
    try_again = page.get_by_role("button", name="Try again")
    await expect(try_again).to_have_attribute("aria-busy", "true")
    await expect(failure).to_be_visible()
    await expect(page.locator("main .skeleton")).to_have_count(0)
    await answers.put("answer")
    await expect(page.locator(shown)).to_have_count(1)
    await expect(failure).to_have_count(0)
