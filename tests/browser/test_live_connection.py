"""A live stream that goes silent without closing (a hung gateway, a connection a network
dropped without a word) is noticed: the studio says it is offline, opens a new stream, and
shows what happened meanwhile once it is back."""

from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project, start_generation
from tests.support.full_stack import Servers, full_stack
from tests.support.tcp_relay import TcpRelay
from tests.support.waiting import eventually, patience

HEARTBEAT_S = 0.5


async def test_a_stream_gone_silent_is_shown_offline_and_opened_again(
    servers: Servers, tmp_path: Path, page: Page
) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            gateway={"sse_heartbeat_s": HEARTBEAT_S},
            # No worker: nothing more happens to the generation made while offline, so what
            # the page shows after can come only from its reload, not from later events.
            workers=0,
        ) as stack,
        TcpRelay(urlsplit(stack.gateway).port or 80) as relay,
    ):
        async with stack.client() as client:
            project_id = await create_project(client, "Quiet line")
        async with page.expect_response(
            lambda r: r.url.endswith("/api/v1/events") and r.status == 200
        ):
            await page.goto(f"http://127.0.0.1:{relay.port}/studio/{project_id}")
        await expect(page.get_by_role("heading", name="Quiet line")).to_be_visible()
        await expect(page.get_by_role("radio", name="Text to image")).to_be_visible()
        offline = page.get_by_role("status").filter(has_text="Offline — reconnecting")
        await expect(offline).to_be_hidden()

        # Nothing closes, nothing is refused: bytes just stop, both ways.
        relay.freeze()
        # Two heartbeats and 5 s of slack, then the header's own 1.5 s.
        await expect(offline).to_be_visible(timeout=int(20_000 * patience()))
        async with stack.client() as client:
            made = await start_generation(client, project_id, prompt="made while offline")

            async def counted() -> bool:
                project = (await client.get(f"/api/v1/projects/{project_id}")).json()
                return bool(project["generation_count"] == 1)

            await eventually(counted, what="the projects service counted the generation")
        bar = page.locator(".project-bar")
        await expect(bar).to_contain_text("no generations")

        relay.thaw()
        await expect(offline).to_be_hidden(timeout=int(20_000 * patience()))
        # The new stream cannot resume the old one: the page reloads what it shows.
        card = page.locator(f'article.gen-card[data-id="{made["id"]}"]')
        await expect(card).to_be_visible()
        # The bar's counts too: the event that would have told it was missed.
        await expect(bar).to_contain_text("1 generation")
