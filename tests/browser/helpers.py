"""Helpers for browser tests: wait for a settled page, screenshots for the user guide, axe."""

from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Page, ViewportSize, expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)


async def settled(page: Page) -> None:
    """The page has rendered: nothing busy, every image decoded."""
    await expect(page.locator("main[aria-busy]")).to_have_count(0)
    await page.wait_for_function(
        "() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)"
    )


async def screenshot(page: Page, name: str) -> None:
    """docs/screenshots/{name}-desktop.png (1280 x 800) and {name}-phone.png (390 x 844)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size or DESKTOP
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await settled(page)
        await page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{label}.png"), animations="disabled", caret="hide"
        )
    await page.set_viewport_size(before)


async def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    await settled(page)
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    bad = [v for v in violations if v.get("impact") in {"serious", "critical"}]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"    {node['target']}: {node.get('failureSummary', '')}" for node in v["nodes"]
        )
        for v in bad
    )
    assert not bad, f"accessibility violations on {page.url}:\n{report}"
