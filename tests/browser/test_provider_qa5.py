"""What a QA pass of hosted (fal.ai) generations found, each shown in a browser against the fake
fal server: a job that is retried or waits to be retried says so on its card."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import card_of_a_hosted_job, create_project
from tests.fakes.fal_server import FakeFal
from tests.support import media_samples
from tests.support.full_stack import FullStack, Servers, full_stack


@pytest.fixture
async def fal_studio(servers: Servers, tmp_path: Path, fal: FakeFal) -> AsyncIterator[FullStack]:
    """Every service, with hosted models run against the fake fal server; a provider failure
    costs a whole attempt (no quick in-call retries), three attempts in all."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker=fal.worker_settings(max_attempts=3, fal_request_retries=0),
    ) as stack:
        yield stack


async def test_a_card_says_the_provider_did_not_answer_and_when_it_tries_again(
    fal_studio: FullStack, fal: FakeFal, page: Page
) -> None:
    fal.script("fal-ai/flux/schnell", failing_calls=10_000, failure_status=503, retry_after=None)
    card = await card_of_a_hosted_job(fal_studio, page)
    # Before: "Starting" until the job failed for good, with no word of the retries.
    await expect(card.locator(".gen-card__log")).to_have_text(
        re.compile(
            r"^Trying again in about \d+ s \(attempt 2 of 3\): "
            r"fal\.ai had an error \(HTTP 503, runner_connection_error\)$"
        )
    )
    # A page opened meanwhile reads the same from the record (pending while it waits).
    await page.reload()
    await expect(card.locator(".gen-card__log")).to_contain_text(
        re.compile(r"Trying again .*attempt [23] of 3.*fal\.ai had an error \(HTTP 503")
    )
    await expect(card.locator(".gen-card__status")).to_have_text("Failed")


async def test_a_resubmitted_job_says_which_attempt_it_is_while_queued(
    fal_studio: FullStack, fal: FakeFal, page: Page
) -> None:
    fal.script(
        "fal-ai/flux/schnell",
        queue_s=2.0,
        queue_position=2,
        logs=(),
        result_failure=(500, "runner_server_error"),
    )
    card = await card_of_a_hosted_job(fal_studio, page)
    # Before: "In queue" at fal again, with nothing saying the first run had failed.
    await expect(card.locator(".gen-card__log")).to_have_text(
        "Trying again (attempt 2 of 3): fal.ai failed to run it (HTTP 500, runner_server_error)"
    )
    await expect(card.locator(".gen-card__status")).to_contain_text("In queue")


@pytest.mark.parametrize(
    ("search", "option", "endpoint", "size"),
    [
        ("FLUX.2 [pro]", r"FLUX\.2 \[pro\]", "fal-ai/flux-2-pro", (1280, 720)),
        ("Ideogram V3", r"^Ideogram V3(?! Remix)", "fal-ai/ideogram/v3", (1536, 640)),
        ("Recraft V3", r"^Recraft V3", "fal-ai/recraft/v3/text-to-image", (2048, 1024)),
        (
            "Stable Diffusion 3.5 Large",
            r"^Stable Diffusion 3\.5 Large",
            "fal-ai/stable-diffusion-v35-large",
            (1344, 768),
        ),
    ],
)
async def test_a_hosted_model_offers_a_custom_size_and_fal_gets_it(
    fal_studio: FullStack,
    fal: FakeFal,
    page: Page,
    search: str,
    option: str,
    endpoint: str,
    size: tuple[int, int],
) -> None:
    async with fal_studio.client() as client:
        project_id = await create_project(client, "Herons")
    await page.goto(f"{fal_studio.gateway}/studio/{project_id}")
    await page.get_by_role("button", name=re.compile(r"^Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await dialog.get_by_role("combobox", name="Search models").fill(search)
    await dialog.get_by_role("option", name=re.compile(option)).first.click()
    await expect(dialog).to_be_hidden()
    await page.get_by_text("Advanced settings").click()
    # Before: presets only, though fal's schema takes a width and height for these models.
    width, height = size
    await page.get_by_label("Image size").select_option(label="Custom size")
    await page.get_by_label("Width", exact=True).fill(str(width))
    await page.get_by_label("Height", exact=True).fill(str(height))
    await page.get_by_label("Prompt", exact=True).fill("a wide bay")
    await page.get_by_role("button", name="Generate", exact=True).click()
    await expect(page.locator("article.gen-card .gen-card__status")).to_have_text("Completed")
    [submit] = fal.submits(endpoint)
    assert submit.json["image_size"] == {"width": width, "height": height}


async def test_a_reference_file_deleted_meanwhile_is_said_at_its_slot(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project_id = await create_project(client, "Herons")
        uploaded = await client.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": ("heron.png", media_samples.png())},
        )
        assert uploaded.status_code == 201, uploaded.text
        # Without the live stream: with it, the deletion's event takes the file out of the slot
        # first (tests/browser/test_studio_qa10.py); this is the server's refusal, said.
        await page.route(re.compile(r"/api/v1/events"), lambda route: route.abort())
        await page.goto(f"{studio.gateway}/studio/{project_id}")
        await page.get_by_role("radio", name="Image to image", exact=True).click()
        await page.get_by_role("button", name="Pick from project").click()
        await page.get_by_role("dialog").get_by_role("button", name=re.compile("heron")).click()
        await expect(page.locator(".refs__list")).to_contain_text("heron")
        # Deleted elsewhere (another tab) after it was chosen.
        gone = await client.delete(f"/api/v1/assets/{uploaded.json()['id']}")
        assert gone.status_code == 204, gone.text
    await page.get_by_label("Prompt", exact=True).fill("a heron at dawn")
    await page.get_by_role("button", name="Generate", exact=True).click()
    # Before: in the panel's top alert, away from the file it is about.
    await expect(page.locator(".refs > .field__error")).to_have_text(
        "This file is no longer in your library; choose another"
    )
    await expect(page.locator(".gen-panel [role=alert]")).to_be_hidden()
