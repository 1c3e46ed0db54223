"""Accounts mode in a browser: sign-up, sign-out, sign-in, the wait after too many attempts,
API tokens created, copied and revoked; and local mode keeping people off those pages."""

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.helpers import assert_accessible, create_project, screenshot, upload_image
from tests.support.accounts import ACCOUNTS, new_email
from tests.support.full_stack import FullStack, Servers, full_stack

PASSWORD = "correct horse battery"


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """Accounts mode; two sign-in attempts per account per minute, so the third is refused."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        gateway={**ACCOUNTS, "login_attempts_per_minute_per_account": 2},
    ) as running:
        yield running


async def _sign_up(page: Page, gateway: str, email: str) -> None:
    await page.goto(gateway + "/studio/sign-up")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Your name").fill("Ada Lovelace")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))


async def test_sign_up_then_log_out_then_sign_in_again(stack: FullStack, page: Page) -> None:
    await page.goto(stack.gateway + "/studio/new")
    await expect(page).to_have_url(re.compile(r"/studio/sign-in\?next=%2Fstudio%2Fnew$"))
    await expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    # Someone here came to type: the first field has focus.
    await expect(page.get_by_label("E-mail address")).to_be_focused()
    await assert_accessible(page)
    await screenshot(page, "sign-in")
    await page.get_by_role("link", name="Create an account").click()
    await expect(page.get_by_role("heading", level=1, name="Create your account")).to_be_visible()
    await expect(page.get_by_label("E-mail address")).to_be_focused()
    await assert_accessible(page)
    await screenshot(page, "sign-up")

    email = new_email("ada")
    await _sign_up(page, stack.gateway, email)
    sidebar = page.get_by_role("navigation", name="Studio")
    await expect(sidebar).to_contain_text("Ada Lovelace")
    await expect(sidebar).to_contain_text(email)

    await sidebar.get_by_role("button", name="Log out", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in$"))
    await page.goto(stack.gateway + "/studio")
    await expect(page).to_have_url(re.compile(r"/studio/sign-in"))

    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.get_by_role("heading", name="Create your first project")).to_be_visible()


async def test_sign_up_errors_are_shown_at_their_fields(stack: FullStack, page: Page) -> None:
    await page.goto(stack.gateway + "/studio/sign-up")
    await page.get_by_label("E-mail address").fill(new_email())
    await page.get_by_label("Password").fill("short")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator("[data-field=password] .field__error")).to_contain_text("10")
    await expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")


async def test_too_many_sign_in_attempts_say_how_long_to_wait(stack: FullStack, page: Page) -> None:
    await page.goto(stack.gateway + "/studio/sign-in")
    await page.get_by_label("E-mail address").fill(new_email("mallory"))
    password = page.get_by_label("Password")
    alert = page.get_by_role("alert")
    for attempt in ("guess one", "guess two"):
        await password.fill(attempt)
        await page.get_by_role("button", name="Sign in").click()
        await expect(alert).to_have_text("Wrong e-mail address or password.")
    await password.fill("guess three")
    await page.get_by_role("button", name="Sign in").click()
    await expect(alert).to_contain_text(re.compile(r"Try again in \d+ seconds?\."))
    await expect(page.get_by_role("button", name="Sign in")).to_be_disabled()
    await screenshot(page, "sign-in-limited")


async def test_api_tokens_are_created_copied_and_revoked(stack: FullStack, page: Page) -> None:
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await _sign_up(page, stack.gateway, new_email("tokens"))
    await page.get_by_role("link", name="API tokens").click()
    await expect(page.get_by_role("heading", level=1, name="API tokens")).to_be_visible()
    await expect(page.get_by_role("heading", name="No API tokens yet")).to_be_visible()
    # The sidebar says where the person is, as for its other pages.
    sidebar = page.get_by_role("navigation", name="Studio")
    await expect(sidebar.get_by_role("link", name="API tokens")).to_have_attribute(
        "aria-current", "page"
    )
    await expect(sidebar.locator("[aria-current]")).to_have_count(1)

    await page.get_by_label("Token name").fill("render farm script")
    await page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-testid=token-secret]")
    await expect(secret).to_have_text(re.compile(r"^sst_"))
    token = await secret.text_content()
    assert token is not None
    await page.get_by_role("button", name="Copy").click()
    await expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert await page.evaluate("() => navigator.clipboard.readText()") == token
    rows = page.get_by_role("list", name="Your API tokens").get_by_role("listitem")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("render farm script")
    await expect(rows.first).to_contain_text("Never used")
    await assert_accessible(page)
    await screenshot(page, "tokens")

    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/projects", headers=bearer)).status_code == 200

        await rows.first.get_by_role("button", name="Revoke render farm script").click()
        dialog = page.get_by_role("alertdialog")
        await expect(dialog).to_contain_text("Programs using this token stop working")
        await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        await dialog.get_by_role("button", name="Revoke token").click()
        await expect(rows).to_have_count(0)
        await expect(page.get_by_role("heading", name="No API tokens yet")).to_be_visible()
        assert (await client.get("/api/v1/projects", headers=bearer)).status_code == 401


async def test_local_mode_has_no_sign_in_or_token_pages(studio: FullStack, page: Page) -> None:
    for path in ("/studio/sign-in", "/studio/sign-up", "/studio/tokens"):
        await page.goto(studio.gateway + path)
        await expect(page).to_have_url(re.compile(r"/studio$"))
    sidebar = page.get_by_role("navigation", name="Studio")
    await expect(sidebar.get_by_role("button", name="Log out", exact=True)).to_have_count(0)
    await expect(sidebar).to_contain_text("Local user")


async def test_logging_out_forgets_the_files_the_browser_cached(
    stack: FullStack, page: Page
) -> None:
    """Images are cached privately for an hour; after a log-out, someone at the same browser
    opening one from its history is asked who they are, not shown it from the cache."""
    await _sign_up(page, stack.gateway, new_email("grace"))
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(
        base_url=stack.gateway, cookies=cookies, headers={"x-csrf-token": cookies["studio_csrf"]}
    ) as client:
        project_id = await create_project(client, "Shared computer")
        asset = await upload_image(client, project_id, "private.png")
    content = stack.gateway + asset["content_url"]
    fetch_status = "(url) => fetch(url).then((answer) => answer.status)"
    assert await page.evaluate(fetch_status, content) == 200
    # Cached: asked again at once, it is answered by the browser's cache, not the server.
    cached = await page.evaluate(
        """async (url) => {
          await (await fetch(url)).blob();
          return performance.getEntriesByName(url).at(-1).transferSize;
        }""",
        content,
    )
    assert cached == 0

    sidebar = page.get_by_role("navigation", name="Studio")
    await sidebar.get_by_role("button", name="Log out", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in$"))
    assert await page.evaluate(fetch_status, content) == 401


async def test_log_out_everywhere_ends_the_sessions_of_every_browser(
    stack: FullStack, page: Page
) -> None:
    """A phone left signed in: "Log out everywhere" (after a question) ends this browser's
    session and the other one's; guide.md and the API had it, the studio had no control."""
    email = new_email("hedy")
    await _sign_up(page, stack.gateway, email)
    browser = page.context.browser
    assert browser is not None
    other = await browser.new_context()
    try:
        phone = await other.new_page()
        await phone.goto(stack.gateway + "/studio/sign-in")
        await phone.get_by_label("E-mail address").fill(email)
        await phone.get_by_label("Password").fill(PASSWORD)
        await phone.get_by_role("button", name="Sign in").click()
        await expect(phone).to_have_url(re.compile(r"/studio$"))

        sidebar = page.get_by_role("navigation", name="Studio")
        await sidebar.get_by_role("button", name="Log out everywhere").click()
        question = page.get_by_role("alertdialog", name="Log out everywhere?")
        await expect(question.get_by_role("button", name="Cancel")).to_be_focused()
        await question.get_by_role("button", name="Cancel").click()
        await expect(page).to_have_url(re.compile(r"/studio$"))  # nothing happened
        await sidebar.get_by_role("button", name="Log out everywhere").click()
        await question.get_by_role("button", name="Log out everywhere").click()
        await expect(page).to_have_url(re.compile(r"/studio/sign-in$"))
        await expect(page.get_by_text("You are signed out everywhere.")).to_be_visible()

        await phone.goto(stack.gateway + "/studio")
        await expect(phone).to_have_url(re.compile(r"/studio/sign-in"))
    finally:
        await other.close()


async def test_revoking_a_token_leaves_the_focus_on_the_page(stack: FullStack, page: Page) -> None:
    await _sign_up(page, stack.gateway, new_email("revoke"))
    await page.goto(stack.gateway + "/studio/tokens")
    for name in ("first script", "second script"):
        await page.get_by_label("Token name").fill(name)
        await page.get_by_role("button", name="Create token").click()
        await expect(page.get_by_text(f"Token “{name}” created")).to_be_visible()
    for name, then in (
        ("second script", page.get_by_role("button", name="Revoke first script")),
        ("first script", page.get_by_label("Token name")),
    ):
        await page.get_by_role("button", name=f"Revoke {name}").focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("alertdialog").get_by_role("button", name="Revoke token").click()
        await expect(then).to_be_focused()


async def test_a_token_with_a_long_name_wraps_on_a_phone(stack: FullStack, page: Page) -> None:
    await page.set_viewport_size({"width": 390, "height": 844})
    await _sign_up(page, stack.gateway, new_email("long-token"))
    await page.goto(stack.gateway + "/studio/tokens")
    name = "my laptop script " + "x" * 80
    await page.get_by_label("Token name").fill(name)
    await page.get_by_role("button", name="Create token").click()
    await expect(page.get_by_text(f"Token “{name}” created")).to_be_visible()
    # Nothing runs out of the page: it does not scroll sideways.
    widths = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


async def test_a_theme_chosen_in_one_tab_shows_in_the_others(studio: FullStack, page: Page) -> None:
    await page.goto(studio.gateway + "/studio")
    other = await page.context.new_page()
    await other.goto(studio.gateway + "/studio/assets")
    await page.get_by_role("button", name="Light theme").click()
    await expect(other.locator("html")).to_have_attribute("data-theme", "light")
    await expect(other.get_by_role("button", name="Dark theme")).to_be_visible()
    await page.get_by_role("button", name="Dark theme").click()
    await expect(other.locator("html")).to_have_attribute("data-theme", "dark")
    await other.close()


async def test_a_new_project_typed_when_the_session_ends_is_there_after_signing_in(
    stack: FullStack, page: Page
) -> None:
    email = new_email("draft")
    await _sign_up(page, stack.gateway, email)
    await page.goto(stack.gateway + "/studio/new")
    await page.get_by_label("Name").fill("Autumn campaign")
    await page.get_by_label("Description").fill("Warm, grainy film look")
    # The session is over (expired, ended elsewhere).
    await page.context.clear_cookies(name="studio_session")
    await page.get_by_role("button", name="Create project").click()
    await expect(page).to_have_url(re.compile(r"/studio/sign-in\?next=%2Fstudio%2Fnew"))
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/studio/new$"))
    await expect(page.get_by_label("Name")).to_have_value("Autumn campaign")
    await expect(page.get_by_label("Description")).to_have_value("Warm, grainy film look")

    await page.get_by_role("button", name="Create project").click()
    await expect(page.locator("#page-title")).to_have_text("Autumn campaign")
    await page.goto(stack.gateway + "/studio/new")  # made: the next one starts empty
    await expect(page.get_by_label("Name")).to_have_value("")


async def test_a_theme_chosen_while_another_tab_is_still_starting_shows_there(
    studio: FullStack, page: Page
) -> None:
    # The other tab heard of a choice only once its sidebar was built, after its session was
    # known: one made meanwhile was missed (a flaky test on a fast page load found it).
    await page.goto(studio.gateway + "/studio")
    other = await page.context.new_page()
    arrived = asyncio.Event()

    async def hold(route: Route) -> None:
        await arrived.wait()
        await route.continue_()

    await other.route("**/api/v1/me", hold)
    await other.goto(studio.gateway + "/studio/assets")
    await expect(other.get_by_role("button", name="Dark theme")).to_have_count(0)  # no sidebar yet
    await page.get_by_role("button", name="Light theme").click()
    await expect(other.locator("html")).to_have_attribute("data-theme", "light")
    arrived.set()
    await expect(other.get_by_role("button", name="Dark theme")).to_be_visible()
    await other.close()
