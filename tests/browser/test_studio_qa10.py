"""QA pass 10 on moving around the studio: a dialog left open does not outlive its page (Back
left it over the next page, where it still acted on the page left), and the sidebar's quick
actions do not lead to a project deleted elsewhere, nor leave Back entries that go nowhere."""

import re

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project, finished, start_generation, upload_image
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


async def test_a_reference_deleted_elsewhere_leaves_the_panel(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "References")
        reference = await upload_image(client, project_id, "pebble.png")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await page.get_by_role("radio", name="Image to image", exact=True).click()
    await page.get_by_role("button", name="Pick from project").click()
    await page.get_by_role("dialog").get_by_role("button", name=re.compile("pebble.png")).click()
    slot = page.locator(".refs__list")
    await expect(slot).to_contain_text("pebble.png")

    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/assets/{reference['id']}")).is_success
    await expect(slot.locator(".refs__item")).to_have_count(0)
    await expect(page.locator("#toasts")).to_contain_text(
        "pebble.png was deleted, so it is no longer a reference."
    )
    await expect(page.get_by_role("button", name="Pick from project")).to_be_visible()


async def test_a_picture_of_a_set_opens_the_viewer_at_it(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Four")
        job = await start_generation(client, project_id, "four foxes", params={"num_images": 4})
        assert (await finished(client, job["id"]))["status"] == "completed"
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    view = page.get_by_role("button", name="View 4 images")
    await view.locator("img").nth(2).click()
    viewer = page.get_by_role("dialog")
    await expect(viewer.locator(".viewer__counter")).to_have_text("3 of 4")
    await page.keyboard.press("Escape")
    await view.focus()
    await page.keyboard.press("Enter")  # the set as one control: from its first picture
    await expect(viewer.locator(".viewer__counter")).to_have_text("1 of 4")


async def test_a_fixed_seed_left_empty_is_asked_for_not_sent_as_random(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Seeds")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_be_enabled()
    await page.get_by_label("Prompt", exact=True).fill("a repeatable fox")
    await page.get_by_text("Advanced settings").click()
    await page.get_by_role("switch", name="Random").uncheck()
    seed = page.get_by_role("spinbutton", name="Seed")
    await seed.fill("")
    await page.get_by_text("Advanced settings").click()  # closed again before Generate
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(seed).to_be_focused()
    await expect(page.locator(".field", has=seed)).to_contain_text(
        "Enter a seed, or turn Random on."
    )
    await seed.fill("42")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator("article.gen-card")).to_have_count(1)
    assert len(posts) == 1
    async with studio.client() as client:
        [made] = (await client.get(f"/api/v1/projects/{project_id}/generations")).json()["items"]
    assert made["params"]["seed"] == 42


async def test_the_panels_notice_goes_with_its_page(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Remixed")
        job = await start_generation(client, project_id, "cliffs at dawn")
        assert (await finished(client, job["id"]))["status"] == "completed"
    await page.goto(studio.gateway + "/studio/generations")
    await page.locator("article.gen-card").first.get_by_role("button", name="Remix").click()
    toasts = page.locator("#toasts")
    await expect(toasts).to_contain_text(
        "Remixing: the prompt, model and settings are in the panel."
    )
    await toasts.locator(".toast").hover()  # kept while the pointer is on it, as a reader's is
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(toasts).not_to_contain_text("Remixing")


async def test_a_file_deleted_elsewhere_leaves_the_open_viewer(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Viewed")
        older = await upload_image(client, project_id, "older.png")
        newer = await upload_image(client, project_id, "newer.png")
    await page.goto(studio.gateway + "/studio/assets")
    await page.get_by_role("button", name="Open newer.png").click()
    viewer = page.locator("dialog.dialog--viewer")
    await expect(viewer.locator(".viewer__counter")).to_have_text("1 of 2")

    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/assets/{newer['id']}")).is_success
    await expect(viewer.locator(".dialog__title")).to_have_text("older.png")
    await expect(viewer.locator(".viewer__counter")).to_have_text("")
    await expect(page.locator("#toasts")).to_contain_text("The file shown was deleted elsewhere")

    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/assets/{older['id']}")).is_success
    await expect(viewer).to_have_count(0)
    await expect(page.locator("#main")).to_be_focused()


async def test_the_viewer_from_the_history_goes_on_to_the_next_generations_results(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Series")
        older = await start_generation(client, project_id, "a fox")
        assert (await finished(client, older["id"]))["status"] == "completed"
        newer = await start_generation(client, project_id, "two owls", params={"num_images": 2})
        assert (await finished(client, newer["id"]))["status"] == "completed"
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    viewer = page.locator("dialog.dialog--viewer")
    await page.locator(f'article.gen-card[data-id="{newer["id"]}"] .gen-card__view').click()
    await expect(viewer.locator(".viewer__counter")).to_have_text("1 of 3")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(viewer.locator(".viewer__counter")).to_have_text("3 of 3")
    await expect(viewer.locator(".dialog__title")).to_have_text("a fox")
    await page.keyboard.press("Escape")
    await page.locator(f'article.gen-card[data-id="{older["id"]}"] .gen-card__view').click()
    await expect(viewer.locator(".viewer__counter")).to_have_text("3 of 3")
