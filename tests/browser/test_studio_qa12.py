"""QA pass 12 on the studio: where sign-in sends a person, and long names in choosers."""

import re

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project, import_studio_module
from tests.support.accounts import new_email, sign_up
from tests.support.full_stack import FullStack


async def test_after_sign_in_only_a_studio_page_is_a_destination(
    accounts_studio: FullStack, page: Page
) -> None:
    await page.goto(accounts_studio.gateway + "/studio/sign-in")
    cases = {
        "/studio/assets?q=fox#top": "/studio/assets?q=fox#top",
        "/studio": "/studio",
        # Inside as written, outside once the browser resolves the dots.
        "/studio/..//evil.example": "/studio",
        "/studio/%2e%2e//evil.example": "/studio",
        "/studio/.%2e//evil.example": "/studio",
        "/studio/../api/v1/me": "/studio",
        "//evil.example/studio": "/studio",
        "https://evil.example/studio": "/studio",
        "/studio-other": "/studio",
        "javascript:alert(1)": "/studio",
    }
    answers = await import_studio_module(
        page, "session.js", "(m, cases) => cases.map((c) => m.safeNext(c))", list(cases)
    )
    assert dict(zip(cases, answers, strict=True)) == cases

    # The whole way: signed in from such a link, the person lands on their projects.
    async with accounts_studio.client() as client:
        email = new_email("next")
        await sign_up(client, email)
    await page.goto(
        accounts_studio.gateway + "/studio/sign-in?next=%2Fstudio%2F..%2F%2Fevil.example"
    )
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible()


async def test_a_long_project_name_stays_inside_the_project_chooser(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        await create_project(client, "W" * 100)
        await create_project(client, "Short")
    await page.goto(studio.gateway + "/studio/assets")
    await page.get_by_role("button", name=re.compile(r"^Upload")).first.click()
    dialog = page.get_by_role("dialog")
    choices = dialog.locator(".project-choice")
    await expect(choices).to_have_count(2)
    dialog_box = await dialog.bounding_box()
    assert dialog_box is not None
    for index in range(2):
        box = await choices.nth(index).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= dialog_box["x"] + dialog_box["width"], box
    sideways = await dialog.evaluate(
        "(d) => [...d.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1"
        " && getComputedStyle(e).overflowX !== 'visible'"
        " && !e.matches('.project-choice__name, .visually-hidden'))"
        ".map((e) => e.className + ' ' + e.scrollWidth + '/' + e.clientWidth)"
    )
    assert not sideways, f"scrolls sideways: {sideways}"
    name = choices.locator(".project-choice__name").filter(has_text="WWW")
    assert await name.evaluate("(e) => e.scrollWidth > e.clientWidth"), "cut with an ellipsis"
