"""Generate makes one generation per press whatever happens to its answer: a press whose answer
is lost (the server made it, the studio heard an error, or nothing at all) is asked again under
the same Idempotency-Key, by itself and on the next press, and the server answers the one it
made; a gateway that never answers is given up on, not waited for for ever."""

import asyncio
import re
from urllib.parse import urlsplit

from playwright.async_api import Page, Request, Route, expect

from tests.browser.helpers import create_project, import_studio_module
from tests.support.full_stack import FullStack
from tests.support.tcp_relay import TcpRelay
from tests.support.waiting import eventually, patience

GENERATIONS_POST = re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations$")


async def _project_page(page: Page, stack: FullStack) -> str:
    async with stack.client() as client:
        project_id = await create_project(client, "Lost answers")
    await page.goto(f"{stack.gateway}/studio/{project_id}")
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_be_enabled()
    await page.get_by_label("Prompt", exact=True).fill("A heron in the reeds")
    return project_id


async def _made(stack: FullStack, project_id: str) -> list[str]:
    async with stack.client() as client:
        page = await client.get(f"/api/v1/projects/{project_id}/generations")
    return [item["id"] for item in page.json()["items"]]


def _keys(requests: list[Request]) -> list[str | None]:
    return [r.headers.get("idempotency-key") for r in requests]


async def test_an_answer_lost_after_the_server_made_it_is_asked_again_and_makes_one(
    studio: FullStack, page: Page
) -> None:
    project_id = await _project_page(page, studio)
    sent: list[Request] = []
    lost = 0
    retry_held = asyncio.Event()
    release = asyncio.Event()

    async def lose_the_first_answer(route: Route) -> None:
        nonlocal lost
        sent.append(route.request)
        if lost:
            if len(sent) == 2:  # the first press's retry: held while the page is looked at
                retry_held.set()
                await release.wait()
            await route.continue_()
            return
        lost += 1
        # The server accepts it; the studio hears that the gateway gave up.
        made = await route.fetch()
        assert made.status == 202
        await route.fulfill(
            status=503,
            json={"title": "Service Unavailable", "status": 503, "detail": None},
            headers={"content-type": "application/problem+json"},
        )

    await page.route(GENERATIONS_POST, lose_the_first_answer)
    generate = page.get_by_role("button", name="Generate", exact=True)
    async with page.expect_response(
        # The first press's answer (its retry's), not the second press's.
        lambda r: (
            bool(GENERATIONS_POST.search(r.url))
            and r.status == 202
            and r.request.headers.get("idempotency-key") == _keys(sent)[0]
        )
    ) as answered:
        await generate.click()
        await retry_held.wait()
        made = await _made(studio, project_id)
        assert len(made) == 1
        # While its retry is out, the generation has come through the live stream: its card
        # takes the place of the one "Sending" (not one card each for a single press).
        await expect(page.locator(f'article.gen-card[data-id="{made[0]}"]')).to_be_visible()
        await expect(page.locator("article.gen-card")).to_have_count(1)
        # A press meanwhile is a second generation on purpose, under a key of its own.
        async with page.expect_request(lambda r: bool(GENERATIONS_POST.search(r.url))) as other:
            await page.keyboard.press("Control+Enter")
        second_key = (await other.value).headers.get("idempotency-key")
        release.set()
    generation = await (await answered.value).json()
    assert generation["id"] == made[0]

    keys = _keys(sent)
    assert keys[0] and keys[0] == keys[1] and second_key not in (None, keys[0])
    await eventually(lambda: len(sent) == 3)
    await expect(page.locator("article.gen-card")).to_have_count(2)
    assert len(await _made(studio, project_id)) == 2
    await expect(page.get_by_role("alert")).to_have_count(0)


async def test_a_press_after_the_tries_ran_out_uses_the_same_key_and_a_new_request_a_new_one(
    studio: FullStack, page: Page
) -> None:
    project_id = await _project_page(page, studio)
    sent: list[Request] = []

    async def made_but_never_heard(route: Route) -> None:
        sent.append(route.request)
        await route.fetch()
        await route.abort("connectionreset")

    await page.route(GENERATIONS_POST, made_but_never_heard)
    generate = page.get_by_role("button", name="Generate", exact=True)
    await generate.click()
    await expect(page.locator(".gen-panel").get_by_role("alert")).to_contain_text(
        "could not reach the server"
    )
    # Asked again by itself (three times), each with the first try's key.
    assert len(sent) == 4 and len(set(_keys(sent))) == 1 and _keys(sent)[0]
    # The server made it once; the history shows it (from the live events), and only it.
    made = await _made(studio, project_id)
    assert len(made) == 1
    await expect(page.locator("article.gen-card")).to_have_count(1)
    await expect(page.locator(f'article.gen-card[data-id="{made[0]}"]')).to_be_visible()

    # The connection is back; Generate again, the same request: the one made, not a second.
    # It has run meanwhile, and the answer says so rather than "queued".
    card = page.locator(f'article.gen-card[data-id="{made[0]}"]')
    await expect(card).to_contain_text("Completed")
    await page.unroute(GENERATIONS_POST)
    async with page.expect_request(lambda r: bool(GENERATIONS_POST.search(r.url))) as again:
        await generate.click()
    assert (await again.value).headers.get("idempotency-key") == _keys(sent)[0]
    await expect(page.locator("#toasts")).to_contain_text(
        "This request was sent before: its generation has completed."
    )
    await expect(page.locator("#announcer")).not_to_have_text("Generation queued")
    await expect(page.locator(".gen-panel").get_by_role("alert")).to_have_count(0)
    await expect(page.locator("article.gen-card")).to_have_count(1)
    assert await _made(studio, project_id) == made

    # Once it is known to be made, pressing again is a new generation, under a new key.
    async with page.expect_request(lambda r: bool(GENERATIONS_POST.search(r.url))) as third:
        await generate.click()
    assert (await third.value).headers.get("idempotency-key") not in (None, _keys(sent)[0])
    await expect(page.locator("article.gen-card")).to_have_count(2)
    assert len(await _made(studio, project_id)) == 2


async def test_a_gateway_that_never_answers_is_given_up_on_and_the_next_press_makes_one(
    studio: FullStack, page: Page
) -> None:
    async with TcpRelay(urlsplit(studio.gateway).port or 80) as relay:
        async with studio.client() as client:
            project_id = await create_project(client, "Hung gateway")
        await page.goto(f"http://127.0.0.1:{relay.port}/studio/{project_id}")
        await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_be_enabled()
        await page.get_by_label("Prompt", exact=True).fill("A heron in the reeds")
        # As long as the gateway's own limit (30 s) is too long to wait for here.
        await import_studio_module(page, "api.js", "(m, ms) => m.setRequestTimeout(ms)", 1500)
        sent: list[Request] = []
        page.on(
            "request",
            lambda r: (
                sent.append(r) if r.method == "POST" and GENERATIONS_POST.search(r.url) else None
            ),
        )

        relay.freeze()
        generate = page.get_by_role("button", name="Generate", exact=True)
        await generate.click()
        # Not busy for ever: given up on after each try's timeout and three waits.
        await expect(page.locator(".gen-panel").get_by_role("alert")).to_contain_text(
            "did not answer in time", timeout=int(30_000 * patience())
        )
        assert len(sent) == 4 and len(set(_keys(sent))) == 1
        await expect(generate).not_to_have_attribute("aria-busy", "true")

        # Back: the tries held on the way arrive too, and the next press carries the same key.
        relay.thaw()
        await generate.click()
        await eventually(lambda: len(sent) == 5)
        assert _keys(sent)[4] == _keys(sent)[0]
        await expect(page.locator("article.gen-card")).to_have_count(1)
        made = await _made(studio, project_id)
        assert len(made) == 1
        await expect(page.locator(f'article.gen-card[data-id="{made[0]}"]')).to_be_visible()
