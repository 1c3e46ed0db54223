"""The projects pages in a browser: the grid, search, paging, creating a project, validation,
what people type shown as text, the theme and keyboard navigation."""

import asyncio
import re

import httpx
from playwright.async_api import Page, Route, expect

from tests.browser.helpers import assert_accessible, create_project, screenshot, start_generation
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

MARKUP_NAME = '<img src=x onerror=window.__x=1> "Bold" & <b>co</b>'
MARKUP_DESCRIPTION = "<script>window.__y=1</script><i>not italic</i>"


async def _generate(client: httpx.AsyncClient, project_id: str, prompt: str) -> None:
    await start_generation(client, project_id, prompt)

    async def counted() -> bool:
        project = (await client.get(f"/api/v1/projects/{project_id}")).json()
        return bool(project["cover_asset_id"]) and project["asset_count"] >= 1

    await eventually(counted, within=20)


async def test_a_new_person_creates_a_first_project_and_lands_on_its_page(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/studio")
    empty = page.get_by_role("heading", name="Create your first project")
    await expect(empty).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "projects-empty")

    await page.locator("main").get_by_role("link", name="New project").click()
    await expect(page).to_have_url(re.compile(r"/studio/new$"))
    await expect(page.get_by_role("heading", level=1, name="New project")).to_be_visible()
    await expect(page.get_by_label("Name")).to_be_focused()
    await assert_accessible(page)
    await screenshot(page, "new-project")

    await page.get_by_label("Name").fill("Moss and stone")
    await page.get_by_label("Description").fill("Macro textures for the spring set")
    await page.get_by_role("button", name="Create project").click()
    await expect(page).to_have_url(re.compile(r"/studio/[0-9a-f]{24}$"))
    await expect(page.get_by_role("heading", level=1, name="Moss and stone")).to_be_visible()


async def test_the_grid_shows_counts_and_covers_and_search_filters_it(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone", "Macro textures for the spring set")
        await create_project(client, "Neon city", "Night streets, rain, reflections")
        await create_project(client, "Lighthouse", "Storyboard for the coast film")
        await _generate(client, moss, "green moss on grey stone, macro")

    await page.goto(studio.gateway + "/studio")
    cards = page.locator("a.project-card")
    await expect(cards).to_have_count(3)
    moss_card = cards.filter(has_text="Moss and stone")
    await expect(moss_card).to_contain_text("1 generation")
    await expect(moss_card).to_contain_text("1 asset")
    cover = moss_card.locator("img")
    await expect(cover).to_have_attribute("loading", "lazy")
    await expect(cover).to_have_attribute("width", "512")
    await expect(cards.filter(has_text="Neon city")).to_contain_text("no generations")
    await assert_accessible(page)
    await screenshot(page, "projects")

    await page.get_by_role("searchbox", name="Search projects").fill("coast")
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("Lighthouse")
    await expect(page).to_have_url(re.compile(r"\?q=coast$"))
    await page.get_by_role("searchbox", name="Search projects").fill("nothing like this")
    await expect(page.get_by_role("heading", name="No projects match your search")).to_be_visible()
    await page.get_by_role("button", name="Clear search").click()
    await expect(cards).to_have_count(3)


async def test_more_projects_load_as_the_list_scrolls(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        for i in range(30):
            await create_project(client, f"Project {i:02d}")
    await page.goto(studio.gateway + "/studio")
    cards = page.locator("a.project-card")
    await expect(cards).to_have_count(24)
    await page.locator(".sentinel").scroll_into_view_if_needed()
    await expect(cards).to_have_count(30)
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()


async def test_new_project_shows_its_own_and_the_apis_errors_at_the_field(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/studio/new")
    name = page.get_by_label("Name")
    await page.get_by_role("button", name="Create project").click()
    await expect(name).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("[data-field=name] .field__error")).to_have_text(
        "Give the project a name."
    )

    # Past 120 characters the form says so, with how many there are, before anything is sent.
    await name.fill("x" * 130)
    await page.get_by_role("button", name="Create project").click()
    error = page.locator("[data-field=name] .field__error")
    await expect(error).to_have_text("At most 120 characters. This one has 130.")
    await expect(name).to_have_attribute("aria-invalid", "true")
    await expect(name).to_be_focused()
    await expect(page).to_have_url(re.compile(r"/studio/new$"))
    await assert_accessible(page)
    await screenshot(page, "new-project-error")


async def test_markup_in_names_and_descriptions_is_shown_as_typed_and_never_runs(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/studio/new")
    await page.get_by_label("Name").fill(MARKUP_NAME)
    await page.get_by_label("Description").fill(MARKUP_DESCRIPTION)
    await page.get_by_role("button", name="Create project").click()
    await expect(page.locator("#page-title")).to_have_text(MARKUP_NAME)
    await page.get_by_role("link", name="Projects", exact=True).first.click()
    card = page.locator("a.project-card").first
    await expect(card.locator(".project-card__title")).to_have_text(MARKUP_NAME)
    await expect(card.locator(".project-card__description")).to_have_text(MARKUP_DESCRIPTION)
    await expect(card.locator("script, b, i, img[src=x]")).to_have_count(0)
    assert await page.evaluate("() => [window.__x, window.__y]") == [None, None]


async def test_the_theme_toggle_is_remembered(studio: FullStack, page: Page) -> None:
    await page.goto(studio.gateway + "/studio")
    html = page.locator("html")
    await page.get_by_role("button", name="Light theme").click()
    await expect(html).to_have_attribute("data-theme", "light")
    await expect(page.get_by_role("button", name="Dark theme")).to_be_focused()
    await page.reload()
    await expect(html).to_have_attribute("data-theme", "light")
    await expect(page.get_by_role("heading", name="Create your first project")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "projects-empty-light")
    await page.get_by_role("button", name="Dark theme").click()
    await expect(html).to_have_attribute("data-theme", "dark")


async def test_focus_moved_while_a_page_loads_stays_where_it_was_put(
    studio: FullStack, page: Page
) -> None:
    # The page's module is held until the toggle has been pressed: the router, finishing the
    # page afterwards, must not pull focus back to the heading.
    released = asyncio.Event()

    async def hold(route: Route) -> None:
        await released.wait()
        await route.continue_()

    await page.route("**/js/pages/projects.js*", hold)
    await page.goto(studio.gateway + "/studio", wait_until="domcontentloaded")
    await page.get_by_role("button", name="Light theme").click()
    dark = page.get_by_role("button", name="Dark theme")
    await expect(dark).to_be_focused()
    released.set()
    await expect(page.get_by_role("heading", name="Create your first project")).to_be_visible()
    await expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")
    await expect(dark).to_be_focused()

    # Without a move, the heading still takes focus once the page is shown.
    await page.get_by_role("link", name="Templates", exact=True).first.click()
    await expect(page.locator("#page-title")).to_be_focused()


async def test_the_sidebar_works_from_the_keyboard_with_visible_focus(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/studio")
    await expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible()
    await expect(page.locator("main")).not_to_have_attribute("aria-busy", "true")
    sidebar = page.get_by_role("navigation", name="Studio")
    target = sidebar.get_by_role("link", name="Generations")
    for _ in range(12):
        await page.keyboard.press("Tab")
        if await target.evaluate("(el) => el === document.activeElement"):
            break
    await expect(target).to_be_focused()
    outline = await target.evaluate("(el) => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(target).to_have_attribute("aria-current", "page")
    await expect(page.get_by_role("heading", level=1, name="Generations")).to_be_focused()


async def test_quick_action_without_a_project_creates_one_then_opens_it_for_images(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/studio")
    await page.get_by_role("link", name="Generate image").click()
    await expect(page).to_have_url(re.compile(r"/studio/new\?then=generate-image$"))
    await expect(page.get_by_text("you will generate an image in it")).to_be_visible()
    # The trail sits right above the title, flush with it (no list indent).
    crumb = (
        await page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").bounding_box()
    )
    title = await page.get_by_role("heading", level=1).bounding_box()
    assert crumb is not None and title is not None
    assert abs(crumb["x"] - title["x"]) < 2, (crumb, title)
    await page.get_by_label("Name").fill("Posters")
    await page.get_by_role("button", name="Create project").click()
    # The type to open with is applied, then dropped from the address (a reload must not undo
    # a type chosen since).
    await expect(page).to_have_url(re.compile(r"/studio/[0-9a-f]{24}$"))
    await expect(page.get_by_role("radio", name="Text to image", exact=True)).to_be_checked()
    await page.get_by_role("link", name="Generate video").click()
    await expect(page.get_by_role("radio", name="Text to video", exact=True)).to_be_checked()
    await expect(page).to_have_url(re.compile(r"/studio/[0-9a-f]{24}$"))


async def test_quick_action_in_a_new_browser_opens_the_newest_project(
    studio: FullStack, page: Page
) -> None:
    """The last project visited is remembered per browser; a browser that has none yet goes
    to the newest project rather than making another one."""
    async with studio.client() as client:
        await create_project(client, "Older")
        newest = await create_project(client, "Newest")
    await page.goto(studio.gateway + "/studio/templates")
    await page.get_by_role("link", name="Generate video").click()
    await expect(page).to_have_url(re.compile(rf"/studio/{newest}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Newest")
    await expect(page.get_by_role("radio", name="Text to video", exact=True)).to_be_checked()


async def test_quick_actions_on_a_project_page_stay_in_that_project(
    studio: FullStack, page: Page
) -> None:
    """A browser that has not opened a project yet opens one from the list: the sidebar's
    quick actions, drawn before, then lead to this project, not to "Create a project first"
    (their links were aimed once, on arrival, and the project page remembers itself after)."""
    async with studio.client() as client:
        older = await create_project(client, "Older")
        await create_project(client, "Newest")
    await page.goto(studio.gateway + "/studio")
    await page.get_by_role("link", name="Older").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Older")
    quick = page.get_by_role("link", name="Generate image")
    await expect(quick).to_have_attribute("href", f"/studio/{older}?type=text-to-image")
    # A type chosen since survives a reload: the quick action's type is not in the address.
    await page.get_by_role("link", name="Generate video").click()
    await expect(page.get_by_role("radio", name="Text to video", exact=True)).to_be_checked()
    await page.get_by_role("radio", name="Text to audio", exact=True).click()
    await expect(page.get_by_role("radio", name="Text to audio", exact=True)).to_be_checked()
    await page.reload()
    await expect(page.get_by_role("radio", name="Text to audio", exact=True)).to_be_checked()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Older")


async def test_phone_layout_opens_the_sidebar_as_a_drawer(studio: FullStack, page: Page) -> None:
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(studio.gateway + "/studio")
    sidebar = page.get_by_role("navigation", name="Studio")
    await expect(sidebar).to_be_hidden()
    # The header's (the empty state offers one too, once the list has loaded).
    await expect(page.locator("#header").get_by_role("link", name="New project")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Open menu").click()
    await expect(sidebar).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(sidebar).to_be_hidden()
    await expect(page.get_by_role("button", name="Open menu")).to_be_focused()
