"""What a sixth QA pass of hosted (fal.ai) generations found, each shown in a browser against the
fake fal server: a card says what happens while fal's calls are retried, and a job waiting to be
tried again reads the same on a live card as on a reloaded page."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import card_of_a_hosted_job
from tests.fakes.fal_server import ALWAYS, FakeFal
from tests.support.full_stack import FullStack, Servers, full_stack

SCHNELL = "fal-ai/flux/schnell"
QUICK_RETRY = re.compile(
    r"^fal\.ai answered HTTP 503; asking again in about \d+ s \(request [2-5] of 5\)$"
)


@pytest.fixture
async def quick_retries(servers: Servers, tmp_path: Path, fal: FakeFal) -> AsyncIterator[FullStack]:
    """Every service, hosted models against the fake fal server, with fal's own quick retries
    of one call as shipped (4, backing off from 0.5 s)."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker=fal.worker_settings(),
    ) as stack:
        yield stack


@pytest.fixture
async def job_retries(servers: Servers, tmp_path: Path, fal: FakeFal) -> AsyncIterator[FullStack]:
    """The same, but a provider failure costs a whole attempt (no quick retries), four attempts
    in all: the job waits 1-2 s, 2-4 s, then 4-8 s before each new one."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker=fal.worker_settings(max_attempts=4, fal_request_retries=0),
    ) as stack:
        yield stack


async def test_a_card_says_what_fal_answered_while_the_call_is_retried(
    quick_retries: FullStack, fal: FakeFal, page: Page
) -> None:
    fal.script(
        SCHNELL,
        failing_calls=4,
        failure_status=503,
        retry_after=None,
        fault_endpoints=frozenset({"submit"}),
    )
    card = await card_of_a_hosted_job(quick_retries, page)
    # Before: "Starting" for the whole ~8 s of retries, nothing more.
    await expect(card.locator(".gen-card__log")).to_have_text(QUICK_RETRY)
    await expect(card.locator(".gen-card__status")).to_have_text("Processing")
    # The fifth try is taken: the job runs on the same attempt and finishes.
    await expect(card.locator(".gen-card__status")).to_have_text("Completed", timeout=30_000)
    assert len(fal.submits(SCHNELL)) == 5


async def test_a_job_waiting_to_be_retried_reads_the_same_live_and_after_a_reload(
    job_retries: FullStack, fal: FakeFal, page: Page
) -> None:
    fal.script(SCHNELL, failing_calls=ALWAYS, failure_status=503, retry_after=None)
    card = await card_of_a_hosted_job(job_retries, page)
    status = card.locator(".gen-card__status")
    waiting = re.compile(
        r"^Trying again in about \d+ s \(attempt [234] of 4\): "
        r"fal\.ai had an error \(HTTP 503, runner_connection_error\)$"
    )
    # Before: the live card said "Processing" (cards never moved backwards) while the record,
    # and so a reloaded page, said "Pending".
    await expect(status).to_have_text("Waiting to retry")
    await expect(card.locator(".gen-card__log")).to_have_text(waiting)
    await page.reload()
    await expect(status).to_have_text("Waiting to retry")
    await expect(card.locator(".gen-card__log")).to_have_text(waiting)
    # Failed is final: no later word moves the card back.
    await expect(status).to_have_text("Failed", timeout=30_000)
    await expect(card.locator(".gen-card__error")).to_contain_text("The studio tried 4 times")


async def test_a_card_moves_on_from_the_retry_line_once_fal_answers(
    quick_retries: FullStack, fal: FakeFal, page: Page
) -> None:
    fal.script(
        SCHNELL,
        failing_calls=1,
        failure_status=503,
        retry_after=None,
        fault_endpoints=frozenset({"submit"}),
        queue_s=8.0,
        queue_position=0,
        logs=(),
    )
    card = await card_of_a_hosted_job(quick_retries, page)
    await expect(card.locator(".gen-card__log")).to_have_text(QUICK_RETRY)
    # The queue position came within a second of the retry line. Before: it was dropped (one
    # progress a second), so the card said "trying again" while the job waited at fal.
    await expect(card.locator(".gen-card__status")).to_have_text("In queue · #1")
    await expect(card.locator(".gen-card__log")).to_have_text("Position 1 in queue")
