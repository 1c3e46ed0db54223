"""Accounts, access and accessibility found wanting in QA: a session ended under the page, API
tokens on a phone, the Templates page in the light theme, scrolling with reduced motion."""

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import (
    PHONE,
    assert_accessible,
    create_project,
    finished,
    start_generation,
)
from tests.support.accounts import new_email, sign_up
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

PASSWORD = "correct horse battery"


async def _sign_up_in_browser(page: Page, gateway: str, email: str) -> None:
    await page.goto(gateway + "/studio/sign-up")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))


async def test_a_session_ended_elsewhere_sends_to_sign_in_saying_why(
    accounts_studio: FullStack, page: Page
) -> None:
    gateway = accounts_studio.gateway
    email = new_email("ended")
    await _sign_up_in_browser(page, gateway, email)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "studio_session")

    # "Log out everywhere" from another device ends the browser's session too.
    async with httpx.AsyncClient(base_url=gateway) as other:
        login = await other.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        other.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        assert (await other.post("/api/v1/auth/logout-all")).status_code == 204

    async def refused() -> bool:
        session = {"studio_session": cookie["value"]}
        async with httpx.AsyncClient(base_url=gateway, cookies=session) as probe:
            return (await probe.get("/api/v1/me")).status_code == 401

    await eventually(refused, what="the browser's session is refused")

    await page.get_by_role("navigation", name="Studio").get_by_role("link", name="Assets").click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in\?next=%2Fstudio%2Fassets$"))
    notice = page.get_by_role("alert")
    await expect(notice).to_have_text(re.compile(r"Your session has ended\. Sign in again"))
    await assert_accessible(page)

    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/studio/assets$"))

    # Logging out oneself is no surprise: the sign-in page has nothing to explain.
    sidebar = page.get_by_role("navigation", name="Studio")
    await sidebar.get_by_role("button", name="Log out", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in$"))
    await expect(page.get_by_label("E-mail address")).to_be_focused()
    await expect(page.get_by_role("alert")).to_be_hidden()


async def test_an_open_page_notices_at_once_when_its_session_is_ended(
    accounts_studio: FullStack, page: Page
) -> None:
    gateway = accounts_studio.gateway
    email = new_email("idle")
    await _sign_up_in_browser(page, gateway, email)
    await expect(page.locator("html[data-live=online]")).to_have_count(1)
    async with httpx.AsyncClient(base_url=gateway) as other:
        login = await other.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        other.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        assert (await other.post("/api/v1/auth/logout-all")).status_code == 204
    # Nothing clicked: the live stream ends with the session, and the page goes to sign-in
    # instead of saying "offline" and showing the projects on.
    await expect(page).to_have_url(re.compile(r"/studio/sign-in\?next=%2Fstudio$"))
    await expect(page.get_by_role("alert")).to_contain_text("Your session has ended")


async def test_a_malformed_address_is_the_not_found_page(studio: FullStack, page: Page) -> None:
    # A cut or mistyped link ("%ZZ" is no escape) used to throw in the router: a blank page.
    await page.goto(studio.gateway + "/studio/%ZZ")
    await expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    await expect(page.get_by_role("link", name="Back to projects")).to_be_visible()


async def test_a_refused_sign_up_keeps_the_keyboard_where_it_was(
    accounts_studio: FullStack, page: Page
) -> None:
    email = new_email("twice")
    async with httpx.AsyncClient(base_url=accounts_studio.gateway) as first:
        await first.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    await page.goto(accounts_studio.gateway + "/studio/sign-up")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    create = page.get_by_role("button", name="Create account")
    await create.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("already exists")
    # The button was disabled while the request ran, which dropped focus to the page.
    await expect(create).to_be_focused()
    # "...already exists; sign in." had nothing to press: the alert offers the way on.
    await page.get_by_role("alert").get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in$"))
    await expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


async def test_someone_elses_template_link_says_it_does_not_exist(
    accounts_studio: FullStack, page: Page
) -> None:
    gateway = accounts_studio.gateway
    async with httpx.AsyncClient(base_url=gateway) as alice:
        await sign_up(alice, new_email("alice"))
        made = await alice.post(
            "/api/v1/templates",
            json={"name": "Alice's secret", "type": "text-to-image", "model_id": "local/image"},
        )
        assert made.status_code == 201, made.text
    await _sign_up_in_browser(page, gateway, new_email("bob"))
    await page.goto(gateway + "/studio/new")
    await page.get_by_label("Name").fill("Mine")
    await page.get_by_role("button", name="Create project").click()
    await expect(page.get_by_role("heading", level=1, name="Mine")).to_be_visible()

    await page.goto(f"{page.url}?template={made.json()['id']}")
    # Someone else's template answers as a missing one; the API's "No template '<id>'" was
    # shown as it came.
    panel = page.get_by_role("region", name="Generate")
    await expect(panel.get_by_role("alert")).to_have_text(
        re.compile(r"This template does not exist")
    )
    await expect(page.get_by_text("Alice's secret")).to_have_count(0)


async def test_logging_out_leaves_no_prompts_behind_in_the_browser(
    accounts_studio: FullStack, page: Page
) -> None:
    await _sign_up_in_browser(page, accounts_studio.gateway, new_email("shared"))
    await page.goto(accounts_studio.gateway + "/studio/new")
    await page.get_by_label("Name").fill("Surprise party")
    await page.get_by_role("button", name="Create project").click()
    await page.get_by_label("Prompt", exact=True).fill("a gift for Ada, do not tell her")
    await (
        page.get_by_role("navigation", name="Studio")
        .get_by_role("button", name="Light theme")
        .click()
    )
    stored = "() => Object.keys(localStorage).filter((key) => key.startsWith('studio.'))"

    async def remembered() -> bool:
        return any(key.startswith("studio.panel.") for key in await page.evaluate(stored))

    await eventually(remembered, what="the panel's settings are remembered")

    sidebar = page.get_by_role("navigation", name="Studio")
    await sidebar.get_by_role("button", name="Log out", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in$"))
    # On a shared computer the next person must not find what was typed (nor which project);
    # how the studio looks stays.
    assert await page.evaluate(stored) == ["studio.theme"]


async def test_studio_pages_isolate_their_window_and_turn_off_unused_features(
    accounts_studio: FullStack,
) -> None:
    async with httpx.AsyncClient(base_url=accounts_studio.gateway) as client:
        for path in ("/studio", "/studio/sign-in", "/studio/tokens", "/studio/no/such/page"):
            response = await client.get(path, headers={"Accept": "text/html"})
            assert response.headers["content-security-policy"], path
            assert response.headers["cross-origin-opener-policy"] == "same-origin", path
            allowed = response.headers["permissions-policy"]
            for feature in ("camera=()", "microphone=()", "geolocation=()"):
                assert feature in allowed, (path, allowed)


async def test_api_tokens_on_a_phone_keep_their_names_readable(
    accounts_studio: FullStack, page: Page
) -> None:
    await page.set_viewport_size(PHONE)
    await _sign_up_in_browser(page, accounts_studio.gateway, new_email("phone"))
    await page.goto(accounts_studio.gateway + "/studio/tokens")
    await page.get_by_label("Token name").fill("render farm script")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator("[data-testid=token-secret]")).to_have_text(re.compile(r"^sst_"))
    row = page.get_by_role("list", name="Your API tokens").get_by_role("listitem")
    await expect(row).to_have_count(1)
    # Beside the wide prefix badge, the name used to be squeezed into a column a word wide.
    for text in (row.locator(".list__main"), page.locator(".token-secret .list__main")):
        box = await text.bounding_box()
        assert box is not None
        assert box["width"] >= 192, f"text column {box['width']:.0f}px wide on a phone"
    title = row.locator(".list__title")
    line = await title.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)")
    title_box = await title.bounding_box()
    assert title_box is not None and title_box["height"] < 2 * line, "the name wraps word by word"
    await assert_accessible(page)


async def test_templates_page_in_the_light_theme_is_accessible(
    studio: FullStack, page: Page
) -> None:
    await page.emulate_media(color_scheme="light")
    await page.goto(studio.gateway + "/studio/templates")
    # The chosen filter chip's count ("All 16") was faded below AA contrast on its background.
    chosen = page.locator('.gallery-chip[aria-pressed="true"] .gallery-chip__count')
    await expect(chosen).to_be_visible()
    await assert_accessible(page)


async def test_remix_scrolls_to_the_panel_without_animation_when_asked(
    studio: FullStack, page: Page
) -> None:
    # Record how the page asks to scroll: a smooth scroll asked for in script ignores the
    # stylesheet's reduced-motion rule. (The page fixture prefers reduced motion.)
    await page.add_init_script(
        """(() => {
            window.__scrolls = [];
            const original = Element.prototype.scrollIntoView;
            Element.prototype.scrollIntoView = function (options) {
                window.__scrolls.push(options && typeof options === 'object' ? options.behavior || 'auto' : 'auto');
                return original.call(this, options);
            };
        })()"""
    )
    async with studio.client() as client:
        project_id = await create_project(client, "Moss and stone")
        generation = await start_generation(client, project_id, prompt="purple mountains")
        await finished(client, generation["id"])
    await page.set_viewport_size(PHONE)
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator("article.gen-card").first
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed")
    await card.get_by_role("button", name="Remix").click()
    await expect(page.get_by_label("Prompt", exact=True)).to_have_value("purple mountains")
    scrolls = await page.evaluate("() => window.__scrolls")
    assert scrolls and "smooth" not in scrolls, scrolls
