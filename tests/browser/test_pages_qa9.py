"""QA pass 9 on the Generations and Templates pages: focus kept after the last card goes and
after "Clear filters", a retry hidden by the status filter is said, events of generations a
filter hides ask the API no more than needed, and templates of one's own with a hosted model
say "Needs a key"."""

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
from tests.support.full_stack import FullStack


async def _cancelled(client: httpx.AsyncClient, project_id: str, prompt: str) -> str:
    """A generation cancelled before any worker could take it; its id."""
    generation_id: str = (await start_generation(client, project_id, prompt))["id"]
    assert (await client.post(f"/api/v1/generations/{generation_id}/cancel")).is_success
    assert (await finished(client, generation_id))["status"] == "cancelled"
    return generation_id


async def test_focus_stays_on_the_page_after_the_last_card_and_clear_filters(
    studio_without_worker: FullStack, page: Page
) -> None:
    studio = studio_without_worker
    async with studio.client() as client:
        project = await create_project(client, "Moss")
        await _cancelled(client, project, "never mind")
        await start_generation(client, project, "still waiting")

    await page.set_viewport_size(PHONE)
    await page.goto(studio.gateway + "/studio/generations?status=cancelled")
    cards = page.locator("article.gen-card")
    await expect(cards).to_have_count(1)
    # Keyboard only: the only card's Delete, then the dialog's.
    await cards.get_by_role("button", name="Delete").focus()
    await page.keyboard.press("Enter")
    confirm = page.get_by_role("alertdialog")
    await expect(confirm).to_be_visible()
    await confirm.get_by_role("button", name="Delete").focus()
    await page.keyboard.press("Enter")
    await expect(cards).to_have_count(0)
    # Focus lands on the empty state's button, not on the page's body.
    clear = page.get_by_role("button", name="Clear filters")
    await expect(clear).to_be_focused()

    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(cards).to_have_count(1)
    await expect(page.get_by_label("Project")).to_be_focused()  # the first filter


async def test_a_retry_the_status_filter_hides_is_said(
    studio_without_worker: FullStack, page: Page
) -> None:
    studio = studio_without_worker
    async with studio.client() as client:
        project = await create_project(client, "Moss")
        first = await _cancelled(client, project, "try me again")

    await page.goto(studio.gateway + "/studio/generations?status=cancelled")
    card = page.locator(f"article.gen-card[data-id='{first}']")
    await card.get_by_role("button", name="Retry").click()
    # The new generation is pending: the list (cancelled ones) does not show it, so a message
    # says it was queued instead of nothing seeming to happen.
    await expect(page.locator(".toast").filter(has_text="Generation queued again")).to_contain_text(
        "this list shows cancelled generations only"
    )
    await expect(page.locator("article.gen-card")).to_have_count(1)
    async with studio.client() as client:
        listed = (await client.get("/api/v1/generations", params={"status": "pending"})).json()
    assert [g["prompt"] for g in listed["items"]] == ["try me again"]


async def test_events_of_generations_a_filter_hides_ask_the_api_only_when_they_may_match(
    studio: FullStack, page: Page
) -> None:
    asked: list[str] = []
    page.on(
        "request",
        lambda request: (
            asked.append(request.url.split("/api/v1", 1)[-1])
            if "/api/v1/generations/" in request.url
            else None
        ),
    )
    async with studio.client() as client:
        project = await create_project(client, "Moss")
        await page.goto(studio.gateway + "/studio/generations?status=completed")
        await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
        # Of another type than the filter's, on another page: never asked for.
        other = await page.context.new_page()
        await other.goto(studio.gateway + "/studio/generations?type=text-to-audio")
        await expect(other.locator(".gen-history[data-ready=true]")).to_have_count(1)
        await expect(other.locator("html[data-live=online]")).to_have_count(1)
        await expect(page.locator("html[data-live=online]")).to_have_count(1)
        other_asked: list[str] = []
        other.on(
            "request",
            lambda request: (
                other_asked.append(request.url) if "/api/v1/generations/" in request.url else None
            ),
        )
        made = (await start_generation(client, project, "green moss"))["id"]
        assert (await finished(client, made))["status"] == "completed"

        # Completed: the card comes, after one question (the events before completion leave
        # it pending or processing, which this list leaves out).
        await expect(page.locator(f"article.gen-card[data-id='{made}']")).to_have_attribute(
            "data-status", "completed"
        )
        assert asked.count(f"/generations/{made}") == 1, asked
        # The audio list: once a sound made after the image shows there, every event of the
        # image has come (one stream, in order). It asked for none of them.
        sound = await start_generation(
            client, project, "waves", type="text-to-audio", model_id="local/audio"
        )
        await expect(other.locator(f"article.gen-card[data-id='{sound['id']}']")).to_have_attribute(
            "data-status", "completed"
        )
    assert not [url for url in other_asked if made in url], other_asked
    await other.close()


async def test_own_templates_with_a_hosted_model_say_they_need_a_key(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        for name, model in (
            ("Hosted portrait", "fal-ai/flux/dev"),
            ("Offline moss", "local/image"),
        ):
            response = await client.post(
                "/api/v1/templates",
                json={"name": name, "type": "text-to-image", "model_id": model, "prompt": "moss"},
            )
            assert response.status_code == 201, response.text

    await page.set_viewport_size(PHONE)
    await page.goto(studio.gateway + "/studio/templates")
    own = page.get_by_test_id("user-templates").locator("article.template-card")
    await expect(own).to_have_count(2)
    hosted = own.filter(has=page.get_by_role("heading", name="Hosted portrait"))
    offline = own.filter(has=page.get_by_role("heading", name="Offline moss"))
    await expect(hosted.locator(".badge", has_text="Needs a key")).to_be_visible()
    await expect(offline.locator(".badge", has_text="Needs a key")).to_have_count(0)
    # On a phone the badge and the time share the card's head without overflowing it.
    head = hosted.locator(".template-card__head")
    fits = await head.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    assert fits
    await assert_accessible(page)


async def test_a_project_deleted_elsewhere_takes_its_generations_off_the_page(
    studio_without_worker: FullStack, page: Page
) -> None:
    studio = studio_without_worker
    async with studio.client() as client:
        doomed = await create_project(client, "Doomed")
        kept = await create_project(client, "Kept")
        gone = [await _cancelled(client, doomed, f"doomed {n}") for n in range(2)]
        stays = await _cancelled(client, kept, "kept moss")

        await page.goto(studio.gateway + "/studio/generations")
        cards = page.locator("article.gen-card")
        await expect(cards).to_have_count(3)
        await expect(page.locator(".gen-card__project a", has_text="Doomed")).to_have_count(2)
        await expect(page.locator("html[data-live=online]")).to_have_count(1)
        # Deleted in another tab (here, through the API): its cards leave this page at once,
        # rather than linking to a project that is no more until the page is loaded again.
        assert (await client.delete(f"/api/v1/projects/{doomed}")).status_code == 204

    await expect(cards).to_have_count(1)
    await expect(cards.first).to_have_attribute("data-id", stays)
    for generation_id in gone:
        await expect(page.locator(f"article.gen-card[data-id='{generation_id}']")).to_have_count(0)


async def test_save_as_template_suggests_the_prompts_first_whole_words(
    studio: FullStack, page: Page
) -> None:
    prompt = (
        "green moss on grey stone under a pale moon, with ferns and lichen in the morning light"
    )
    async with studio.client() as client:
        project = await create_project(client, "Moss")
        made = (await start_generation(client, project, prompt))["id"]
        assert (await finished(client, made))["status"] == "completed"

    await page.goto(studio.gateway + "/studio/generations")
    card = page.locator(f"article.gen-card[data-id='{made}']")
    await card.get_by_role("button", name="Save as template").click()
    name = page.get_by_role("dialog").get_by_label("Name")
    # Up to 60 characters, cut between words: not "... with ferns and l".
    await expect(name).to_have_value("green moss on grey stone under a pale moon, with ferns and")
    await page.get_by_role("dialog").get_by_role("button", name="Save template").click()
    await expect(page.locator(".toast")).to_contain_text(
        "Saved as template “green moss on grey stone under a pale moon, with ferns and”"
    )


async def test_a_card_whose_status_moves_out_of_the_filter_leaves_the_list(
    studio_without_worker: FullStack, page: Page
) -> None:
    studio = studio_without_worker
    async with studio.client() as client:
        project = await create_project(client, "Moss")
        waiting = (await start_generation(client, project, "waiting moss"))["id"]
        elsewhere = (await start_generation(client, project, "cancelled elsewhere"))["id"]

        await page.goto(studio.gateway + "/studio/generations?status=pending")
        cards = page.locator("article.gen-card")
        await expect(cards).to_have_count(2)
        await expect(page.locator("html[data-live=online]")).to_have_count(1)
        # Cancelled in another tab: it is no longer pending, so it leaves the Pending list
        # (it stayed, reading "Cancelled", under "Pending").
        assert (await client.post(f"/api/v1/generations/{elsewhere}/cancel")).is_success
    await expect(page.locator(f"article.gen-card[data-id='{elsewhere}']")).to_have_count(0)
    await expect(cards).to_have_count(1)

    # Keyboard only: the last one cancelled here leaves too, and focus stays on the page.
    await (
        page.locator(f"article.gen-card[data-id='{waiting}']")
        .get_by_role("button", name="Cancel")
        .focus()
    )
    await page.keyboard.press("Enter")
    await expect(cards).to_have_count(0)
    await expect(page.get_by_role("button", name="Clear filters")).to_be_focused()
    await expect(page.locator("#announcer")).to_have_text(
        "waiting moss: cancelled now, so it left this list."
    )
