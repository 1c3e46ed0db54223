"""QA pass 10 on moving around the studio: a dialog left open does not outlive its page (Back
left it over the next page, where it still acted on the page left), and the sidebar's quick
actions do not lead to a project deleted elsewhere, nor leave Back entries that go nowhere."""

import re

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project
from tests.support.full_stack import FullStack


async def _into_project(page: Page, studio: FullStack, name: str) -> None:
    """From the Projects page into a project, in the studio (not by loading its address)."""
    await page.goto(studio.gateway + "/studio")
    await page.locator("a.project-card", has_text=name).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_be_enabled()


async def test_back_closes_a_dialog_and_nothing_in_it_acts_on_the_page_left(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Kept")
    await _into_project(page, studio, "Kept")
    await page.get_by_role("button", name=re.compile(r"^Choose model")).click()
    await expect(page.get_by_role("dialog", name="Choose a model")).to_be_visible()
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.locator("dialog[open]")).to_have_count(0)
    await page.locator("a.project-card", has_text="Kept").click()  # the page takes clicks
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kept")

    await page.get_by_role("button", name="Delete", exact=True).first.click()
    await expect(page.get_by_role("alertdialog")).to_be_visible()
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.locator("dialog[open]")).to_have_count(0)
    async with studio.client() as client:
        assert (await client.get(f"/api/v1/projects/{project_id}")).status_code == 200


async def test_quick_actions_skip_a_project_deleted_elsewhere_and_add_no_empty_back_steps(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        older = await create_project(client, "Older")
        gone = await create_project(client, "Gone soon")
    await _into_project(page, studio, "Gone soon")  # remembered as the last project
    await page.goto(studio.gateway + "/studio/generations")
    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/projects/{gone}")).is_success
    await page.get_by_role("link", name="Generate image").click()
    await expect(page).to_have_url(re.compile(rf"/studio/{older}"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Older")
    await expect(page.get_by_role("radio", name="Text to image")).to_have_attribute(
        "aria-checked", "true"
    )

    # On the project's page, a quick action changes the type in place: Back leaves the page.
    await page.get_by_role("link", name="Generate video").click()
    await expect(page.get_by_role("radio", name="Text to video")).to_have_attribute(
        "aria-checked", "true"
    )
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
