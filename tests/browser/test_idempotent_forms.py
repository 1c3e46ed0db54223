"""Create project and Save as template make one record per press whatever happens to the answer
(QA pass 23, defect 1): the gateway gives up on a slow projects service with a 504 ("too slow to
answer right now. Try again in a moment.") although the service carries the request out when it
wakes; doing what the page says, or reloading the New project page with its draft and pressing
Create again, must not make a second project or template.

The requests go through to the real server (the record is made); the page is answered 504, as
the gateway answers when it gave up, by a Playwright route."""

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, Request, Route, expect

from tests.browser.helpers import create_project, finished, start_generation
from tests.support.full_stack import FullStack
from tests.support.waiting import patience

PROJECTS_POST = re.compile(r"/api/v1/projects$")
TEMPLATES_POST = re.compile(r"/api/v1/templates$")
TOO_SLOW = (
    "The studio\u2019s project service is too slow to answer right now. Try again in a moment."
)
GAVE_UP = {
    "type": "https://ai-studio.dev/problems/upstream-timeout",
    "title": "Gateway Timeout",
    "status": 504,
    "detail": "the projects service did not answer in time",
    "errors": [],
}


def _keys(requests: list[Request]) -> list[str | None]:
    return [r.headers.get("idempotency-key") for r in requests]


async def _listed(stack: FullStack, kind: str) -> list[dict[str, Any]]:
    async with stack.client() as client:
        response = await client.get(f"/api/v1/{kind}", params={"limit": 100})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _gave_up(route: Route) -> None:
    await route.fulfill(
        status=504, content_type="application/problem+json", body=json.dumps(GAVE_UP)
    )


def _made_then_504(sent: list[Request], status: int) -> Callable[[Route], Awaitable[None]]:
    """A route for POSTs: the first goes through to the server (which makes the record) and the
    page hears a 504; the ones after it are 504s the gateway gave while the service still hung."""

    async def handle(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        sent.append(route.request)
        if len(sent) == 1:
            made = await route.fetch()
            assert made.status == status, await made.text()
        await _gave_up(route)

    return handle


async def test_create_project_again_after_a_504_makes_one(studio: FullStack, page: Page) -> None:
    await page.goto(f"{studio.gateway}/studio/new")
    await page.get_by_label("Name").fill("Dup check 1")
    sent: list[Request] = []
    await page.route(PROJECTS_POST, _made_then_504(sent, 201))
    create = page.get_by_role("button", name="Create project")
    await create.click()
    # Asked again by itself while the answer is lost; then the page says what to do.
    await expect(page.get_by_role("form", name="New project").get_by_role("alert")).to_have_text(
        TOO_SLOW, timeout=int(30_000 * patience())
    )
    made = await _listed(studio, "projects")
    assert [p["name"] for p in made] == ["Dup check 1"]

    # The service is back: the person does what the page says.
    await page.unroute(PROJECTS_POST)
    async with page.expect_request(
        lambda r: r.method == "POST" and bool(PROJECTS_POST.search(r.url))
    ) as again:
        await create.click()
    await expect(page).to_have_url(re.compile(rf"/studio/{made[0]['id']}$"))
    await expect(page.locator("#page-title")).to_have_text("Dup check 1")
    keys = [*_keys(sent), (await again.value).headers.get("idempotency-key")]
    assert keys[0] and len(sent) > 1 and set(keys) == {keys[0]}
    assert [p["id"] for p in await _listed(studio, "projects")] == [made[0]["id"]]


async def test_create_project_after_a_reload_during_a_hung_request_makes_one(
    studio: FullStack, page: Page
) -> None:
    await page.goto(f"{studio.gateway}/studio/new")
    await page.get_by_label("Name").fill("NP during outage")
    sent: list[Request] = []
    fetched = asyncio.Event()
    released = asyncio.Event()

    async def hang(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        sent.append(route.request)
        made = await route.fetch()  # the service carries it out; the page hears nothing yet
        assert made.status == 201, await made.text()
        fetched.set()
        await released.wait()
        with contextlib.suppress(PlaywrightError):  # the page that asked is gone
            await _gave_up(route)

    await page.route(PROJECTS_POST, hang)
    await page.get_by_role("button", name="Create project").click()
    await fetched.wait()
    made = await _listed(studio, "projects")
    assert [p["name"] for p in made] == ["NP during outage"]

    # The person reloads while the request hangs: the draft is there, and Create again.
    await page.reload()
    released.set()
    await page.unroute(PROJECTS_POST)
    await expect(page.get_by_label("Name")).to_have_value("NP during outage")
    async with page.expect_request(
        lambda r: r.method == "POST" and bool(PROJECTS_POST.search(r.url))
    ) as again:
        await page.get_by_role("button", name="Create project").click()
    await expect(page).to_have_url(re.compile(rf"/studio/{made[0]['id']}$"))
    key = _keys(sent)[0]
    assert key and (await again.value).headers.get("idempotency-key") == key
    assert [p["id"] for p in await _listed(studio, "projects")] == [made[0]["id"]]
    # Made: the next new project starts empty, under a key of its own.
    await page.goto(f"{studio.gateway}/studio/new")
    await expect(page.get_by_label("Name")).to_have_value("")


async def test_save_as_template_again_after_a_504_makes_one(studio: FullStack, page: Page) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Templates")
        generation = await start_generation(client, project_id, prompt="purple mountains")
        await finished(client, generation["id"])
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.locator(f'article.gen-card[data-id="{generation["id"]}"]')
    await expect(card).to_be_visible()

    async def open_dialog() -> Locator:
        await card.get_by_role("button", name="Save as template").click()
        dialog = page.get_by_role("dialog", name="Save as template")
        await dialog.get_by_label("Name").fill("Night peaks")
        return dialog

    sent: list[Request] = []
    await page.route(TEMPLATES_POST, _made_then_504(sent, 201))
    dialog = await open_dialog()
    await dialog.get_by_role("button", name="Save template").click()
    await expect(dialog.get_by_role("alert")).to_have_text(
        TOO_SLOW, timeout=int(30_000 * patience())
    )
    made = await _listed(studio, "templates")
    assert [t["name"] for t in made] == ["Night peaks"]

    # The service is back. The person closes the dialog, opens it again on the same generation
    # and saves the same thing: the template the first press saved, not a second.
    await page.unroute(TEMPLATES_POST)
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    dialog = await open_dialog()
    async with page.expect_request(
        lambda r: r.method == "POST" and bool(TEMPLATES_POST.search(r.url))
    ) as again:
        await dialog.get_by_role("button", name="Save template").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator(".toast", has_text="Night peaks")).to_be_visible()
    keys = [*_keys(sent), (await again.value).headers.get("idempotency-key")]
    assert keys[0] and len(sent) > 1 and set(keys) == {keys[0]}
    assert [t["id"] for t in await _listed(studio, "templates")] == [made[0]["id"]]
