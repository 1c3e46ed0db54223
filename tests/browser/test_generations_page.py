"""The generations page in a browser: every generation across projects, each naming its project,
filtered by status and type, updated live, loading more as it scrolls."""

import re
from typing import Any

import httpx
from playwright.async_api import Page, Request, Route, expect
from pymongo import AsyncMongoClient

from tests.browser.helpers import (
    answer_service_down,
    assert_accessible,
    create_project,
    finished,
    screenshot,
    start_generation,
)
from tests.support.full_stack import FullStack, Servers
from tests.support.waiting import eventually


async def _generate(client: httpx.AsyncClient, project_id: str, **body: Any) -> str:
    generation_id: str = (await start_generation(client, project_id, **body))["id"]
    return generation_id


async def test_generations_across_projects_with_filters_and_live_updates(
    studio_without_worker: FullStack, page: Page
) -> None:
    studio = studio_without_worker
    async with studio.client() as client:
        moss = await create_project(client, "Moss and stone")
        coast = await create_project(client, "Lighthouse <coast>")
        # Cancelled while no worker could have finished it first (on a busy machine a fast
        # worker may complete a job before its cancel arrives).
        cancelled = await _generate(client, moss, prompt="never mind")
        assert (await client.post(f"/api/v1/generations/{cancelled}/cancel")).is_success

        async def is_cancelled() -> bool:
            answer = await client.get(f"/api/v1/generations/{cancelled}")
            return bool(answer.json()["status"] == "cancelled")

        await eventually(is_cancelled)
        await studio.add_worker()
        made = [
            await _generate(client, moss, prompt="green moss on grey stone"),
            await _generate(client, coast, prompt="a lighthouse in the storm"),
            await _generate(
                client,
                coast,
                type="text-to-audio",
                model_id="local/audio",
                prompt="waves",
                params={"seed": 7},  # the same melody every time: never all rests
            ),
        ]

        async def all_done() -> bool:
            items = (await client.get("/api/v1/generations")).json()["items"]
            return sorted(g["status"] for g in items) == ["cancelled", *["completed"] * 3]

        await eventually(all_done)

    await page.goto(studio.gateway + "/studio/generations")
    cards = page.locator("article.gen-card")
    await expect(cards).to_have_count(4)
    lighthouse = cards.filter(has_text="a lighthouse in the storm")
    await expect(lighthouse.locator(".gen-card__project")).to_have_text("Lighthouse <coast>")
    await expect(lighthouse.locator(".gen-card__view img")).to_be_visible()
    sound = cards.filter(has_text="waves")
    await expect(sound).to_contain_text("Text to audio")
    await expect(sound.get_by_role("button", name="View audio")).to_be_visible()
    # Its shape, carried by the generation itself: 64 bars, no icon.
    await expect(sound.locator("svg.gen-card__waveform rect")).to_have_count(64)
    await expect(sound.locator(".gen-card__placeholder-icon")).to_have_count(0)
    await assert_accessible(page)
    await screenshot(page, "generations")

    # Filters: status and type, kept in the address.
    await page.get_by_label("Status").select_option("cancelled")
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("never mind")
    await expect(cards.first.locator(".gen-card__badge")).to_have_text("Cancelled")
    await expect(page).to_have_url(re.compile(r"\?status=cancelled$"))
    await page.get_by_label("Status").select_option("")
    await page.get_by_label("Type").select_option("text-to-audio")
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("waves")
    await page.get_by_label("Type").select_option("text-to-video")
    await expect(
        page.get_by_role("heading", name="No generations match these filters")
    ).to_be_visible()
    await page.get_by_role("button", name="Clear filters").click()
    await expect(cards).to_have_count(4)
    # Back undoes one choice at a time.
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"\?type=text-to-video$"))
    await expect(page.get_by_label("Type")).to_have_value("text-to-video")
    await page.go_back()
    await expect(page.get_by_label("Type")).to_have_value("text-to-audio")
    await expect(cards).to_have_count(1)
    await page.go_forward()
    await page.go_forward()
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(cards).to_have_count(4)

    # A generation made elsewhere (another tab, the API) appears live and completes.
    async with studio.client() as client:
        fresh = await _generate(client, moss, prompt="fern fronds, macro")
    card = cards.filter(has_text="fern fronds, macro")
    await expect(card).to_have_attribute("data-id", fresh)
    await expect(card.locator(".gen-card__badge")).to_have_text("Completed", timeout=20_000)
    await expect(card.locator(".gen-card__view img")).to_be_visible()
    await expect(cards.first).to_have_attribute("data-id", fresh)

    # The project link opens the project, and remix there fills its panel.
    await lighthouse.locator(".gen-card__project a").click()
    await expect(page).to_have_url(re.compile(rf"/studio/{coast}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lighthouse <coast>")
    await expect(page.locator(f"article.gen-card[data-id='{made[1]}']")).to_be_visible()


async def test_remix_from_the_generations_page_opens_the_project_with_the_settings(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        coast = await create_project(client, "Coast")
        generation = await _generate(
            client, coast, prompt="cliffs at dawn", params={"num_inference_steps": 9}
        )

        async def done() -> bool:
            record = (await client.get(f"/api/v1/generations/{generation}")).json()
            return bool(record["status"] == "completed")

        await eventually(done, within=20)
    await page.goto(studio.gateway + "/studio/generations")
    card = page.locator("article.gen-card").first
    await card.get_by_role("button", name="Remix").click()
    await expect(page).to_have_url(re.compile(rf"/studio/{coast}$"))
    await expect(page.get_by_label("Prompt", exact=True)).to_have_value("cliffs at dawn")
    await page.get_by_text("Advanced settings").click()
    await expect(page.get_by_role("slider", name="Inference steps")).to_have_value("9")


async def test_an_empty_list_says_where_to_start(studio: FullStack, page: Page) -> None:
    await page.goto(studio.gateway + "/studio/generations")
    await expect(page.get_by_role("heading", name="No generations yet")).to_be_visible()
    await page.get_by_role("link", name="Go to projects").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))


async def test_a_card_says_its_project_is_deleted_only_when_it_is(
    studio: FullStack, servers: Servers, page: Page
) -> None:
    async with studio.client() as client:
        kept = await create_project(client, "Kept")
        gone = await create_project(client, "Gone")
        for project_id in (kept, gone):
            await finished(client, (await start_generation(client, project_id))["id"])
    # A project removed under its generations (no `project.deleted`, so they stay listed).
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        await mongo[f"{servers.mongo_db_name}_p"]["projects"].delete_one({"_id": gone})
    finally:
        await mongo.close()

    # The projects service is down when the page asks for the names.
    async def down(route: Route) -> None:
        if f"/api/v1/projects/{gone}" in route.request.url:
            await route.fallback()
        else:
            await answer_service_down(route, "projects")

    await page.route(re.compile(r"/api/v1/projects(\?|/)"), down)
    await page.goto(studio.gateway + "/studio/generations")
    cards = page.locator("article.gen-card")
    await expect(cards).to_have_count(2)
    kept_card = cards.filter(has=page.locator(f"a[href='/studio/{kept}']"))
    gone_card = cards.filter(has=page.locator(f"a[href='/studio/{gone}']"))
    await expect(gone_card.locator(".gen-card__project")).to_have_text("Deleted project")
    await expect(kept_card.locator(".gen-card__project")).to_have_text("Open project")

    # Back up: the next refresh (a generation made elsewhere) names it.
    await page.unroute(re.compile(r"/api/v1/projects(\?|/)"))
    async with studio.client() as client:
        await start_generation(client, kept, prompt="made in another tab")
    await expect(cards).to_have_count(3)
    await expect(kept_card.first.locator(".gen-card__project")).to_have_text("Kept")
    await expect(gone_card.locator(".gen-card__project")).to_have_text("Deleted project")


async def test_arrow_keys_through_a_filter_menu_make_one_choice(
    studio: FullStack, page: Page
) -> None:
    asked: list[str] = []

    def listed(request: Request) -> None:
        if "/api/v1/generations?" in request.url:
            asked.append(request.url)

    page.on("request", listed)
    await page.goto(studio.gateway + "/studio/generations")
    await expect(page.get_by_role("heading", name="No generations yet")).to_be_visible()
    status = page.get_by_label("Status")
    await status.focus()
    # Three steps down a closed menu, as the keyboard makes them: a key, then a change.
    await status.evaluate(
        """(select) => {
          for (let step = 0; step < 3; step += 1) {
            select.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
            select.selectedIndex += 1;
            select.dispatchEvent(new Event('change', { bubbles: true }));
          }
        }"""
    )
    await expect(page).to_have_url(re.compile(r"\?status=completed$"))
    await expect(
        page.get_by_role("heading", name="No generations match these filters")
    ).to_be_visible()
    filtered = [url for url in asked if "status=" in url]
    assert filtered and all("status=completed" in url for url in filtered), filtered
    # One choice, one step back.
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(status).to_have_value("")
    # A choice made with the pointer applies at once, as before.
    await status.select_option("failed")
    await expect(page).to_have_url(re.compile(r"\?status=failed$"))


async def test_the_list_is_filtered_by_project_and_follows_projects_changed_elsewhere(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        moss = await create_project(client, "Moss")
        coast = await create_project(client, "Coast")
        empty = await create_project(client, "Nothing yet")
        for project_id, prompt in ((moss, "green moss"), (coast, "grey cliffs")):
            await finished(client, (await start_generation(client, project_id, prompt))["id"])

    await page.goto(studio.gateway + "/studio/generations")
    cards = page.locator("article.gen-card")
    await expect(cards).to_have_count(2)
    project = page.get_by_label("Project")
    await project.select_option(label="Coast")
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("grey cliffs")
    await expect(page).to_have_url(re.compile(rf"\?project={coast}$"))

    # Live: a generation in the project listed appears, one in another project does not.
    async with studio.client() as client:
        elsewhere = await start_generation(client, moss, "moss again")
        here = await start_generation(client, coast, "cliffs again")
        await finished(client, elsewhere["id"])
    await expect(page.locator(f"article.gen-card[data-id='{here['id']}']")).to_be_visible()
    await expect(cards).to_have_count(2)
    await expect(page.locator(f"article.gen-card[data-id='{elsewhere['id']}']")).to_have_count(0)

    # A project with nothing in it says where to start.
    await project.select_option(label="Nothing yet")
    await expect(
        page.get_by_role("heading", name="No generations in this project yet")
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Open project")).to_have_attribute(
        "href", f"/studio/{empty}"
    )
    await page.go_back()
    await expect(project).to_have_value(coast)
    await expect(cards).to_have_count(2)

    # Renamed elsewhere: the menu says the new name; deleted elsewhere: every project's list.
    async with studio.client() as client:
        renamed = await client.patch(f"/api/v1/projects/{moss}", json={"name": "Moss, renamed"})
        assert renamed.is_success, renamed.text
    await expect(project.locator(f"option[value='{moss}']")).to_have_text("Moss, renamed")
    async with studio.client() as client:
        assert (await client.delete(f"/api/v1/projects/{coast}")).is_success
    await expect(project).to_have_value("")
    await expect(project.locator(f"option[value='{coast}']")).to_have_count(0)
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await expect(cards).to_have_count(2)  # Moss's two; Coast's went with it
    await expect(cards.filter(has_text="cliffs")).to_have_count(0)

    # A link to a project that is gone lists every project's, and says why.
    await page.goto(f"{studio.gateway}/studio/generations?project={coast}")
    await expect(page.get_by_role("status").filter(has_text="does not exist")).to_be_visible()
    await expect(cards).to_have_count(2)
    await expect(page).to_have_url(re.compile(r"/studio/generations$"))
    await project.select_option(label="Moss, renamed")
    await expect(page.get_by_role("status").filter(has_text="does not exist")).to_have_count(0)
    await assert_accessible(page)
