"""What a thirteenth QA pass of hosted (fal.ai) outputs found, shown in a browser against the fake
fal server: an image fal's safety checker withheld (and sent black) says so on its card, live and
after a reload."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import card_of_a_hosted_job
from tests.fakes.fal_server import FakeFal
from tests.support.full_stack import FullStack, Servers, full_stack

SCHNELL = "fal-ai/flux/schnell"


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path, fal: FakeFal) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers, storage_url=(tmp_path / "s").as_uri(), worker=fal.worker_settings()
    ) as running:
        yield running


async def test_a_card_says_which_image_fals_safety_checker_withheld(
    stack: FullStack, fal: FakeFal, page: Page
) -> None:
    fal.script(SCHNELL, nsfw=(True,))
    card = await card_of_a_hosted_job(stack, page)
    flagged = card.locator(".gen-card__flagged")
    await expect(card.locator(".gen-card__status")).to_have_text("Completed", timeout=30_000)
    # Before: a black picture and no word of why.
    said = "fal.ai\u2019s safety checker withheld this image: it came back black. Try another prompt or seed."
    await expect(flagged).to_have_text(said)
    await page.reload()
    await expect(flagged).to_have_text(said)


async def test_a_card_of_images_the_checker_passed_says_nothing(
    stack: FullStack, fal: FakeFal, page: Page
) -> None:
    card = await card_of_a_hosted_job(stack, page)
    await expect(card.locator(".gen-card__status")).to_have_text("Completed", timeout=30_000)
    await expect(card.locator(".gen-card__flagged")).to_be_hidden()
