"""Browser tests: the web studio in Debian's chromium (Playwright), against a full stack.

Fixtures: `studio` (local mode) and `accounts_studio` (accounts mode) stacks, one `browser` per
session, a fresh `page` (its own context: cookies, storage) per test that fails the test on a
console error (a CSP violation is one). Helpers are in `tests/browser/helpers.py`.
"""

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from tests.browser.helpers import DESKTOP
from tests.support.accounts import ACCOUNTS
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.waiting import patience

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Failed API answers are logged by the browser itself; the tests check how the page shows them.
_EXPECTED_CONSOLE = ("Failed to load resource",)

EXPECT_TIMEOUT_MS = 10_000
"""How long an `expect` waits on a quiet machine; each test's page scales it by `patience()`."""


def chromium_path() -> str:
    found = os.environ.get("STUDIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.skip("chromium is not installed (make test installs it)")
    return found


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def studio(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """Every service, one worker, the gateway in local mode (as `make run`)."""
    async with full_stack(servers, storage_url=(tmp_path / "s").as_uri()) as stack:
        yield stack


@pytest.fixture
async def keyed_studio(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """A stack whose server has a fal.ai key: hosted models can be chosen (none is run here)."""
    async with full_stack(
        servers, storage_url=(tmp_path / "s").as_uri(), worker={"fal_key": "test-key"}
    ) as stack:
        yield stack


@pytest.fixture
async def keyed_idle_studio(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """A stack whose catalog offers hosted models (a fal.ai key is configured) and no worker:
    a generation the panel sends is accepted or refused by the real server, and never run."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        worker={"fal_key": "test-key"},
    ) as stack:
        yield stack


@pytest.fixture
async def studio_without_worker(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """Every service, the gateway in local mode, and no worker until the test adds one: a job
    stays pending."""
    async with full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack:
        yield stack


@pytest.fixture
async def accounts_studio(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    """Every service, no worker, the gateway in accounts mode (cookies over plain HTTP)."""
    async with full_stack(
        servers, storage_url=(tmp_path / "s").as_uri(), workers=0, gateway=ACCOUNTS
    ) as stack:
        yield stack


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # Sized for the machine as the test starts: a busy one renders and answers slower.
    expect.set_options(timeout=int(EXPECT_TIMEOUT_MS * patience()))
    context = await browser.new_context(
        viewport=DESKTOP, color_scheme="dark", reduced_motion="reduce"
    )
    opened = await context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(_EXPECTED_CONSOLE):
            errors.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    try:
        yield opened
    finally:
        await context.close()
    assert not errors, f"console errors: {errors}"
