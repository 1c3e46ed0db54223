"""Toasts hold what they say: a message with a long unbroken word (a project named with one
120-character word) wraps inside the toast on a phone instead of running off it."""

from playwright.async_api import Page, expect

from tests.browser.helpers import PHONE
from tests.support.full_stack import FullStack


async def test_a_long_unbroken_name_wraps_inside_its_toast_on_a_phone(
    studio: FullStack, page: Page
) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(f"{studio.gateway}/studio/new")
    name = "W" * 120
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_role("button", name="Create project").click()
    toast = page.locator("#toasts .toast").filter(has_text="created.")
    await expect(toast).to_contain_text(name)
    box = await toast.bounding_box()
    text = await toast.locator(".toast__message").bounding_box()
    assert box is not None and text is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    # Before: the name ran on past the toast's right edge, and off the screen.
    assert text["x"] + text["width"] <= box["x"] + box["width"], (text, box)
    assert await toast.evaluate("(el) => el.scrollWidth <= el.clientWidth")
