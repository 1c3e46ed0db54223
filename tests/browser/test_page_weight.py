"""The project page's API answers as the browser receives them (QA 13): the model catalog, its
largest by far (124 KB of JSON), arrives gzipped, and on the next visit is revalidated (a 304,
no body) instead of sent again."""

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project
from tests.support.full_stack import FullStack

CATALOG = """() => performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname === '/api/v1/models')
  .map((e) => ({ encoded: e.encodedBodySize, decoded: e.decodedBodySize, transfer: e.transferSize }))"""


async def test_the_catalog_arrives_compressed_and_is_revalidated_next_time(
    studio: FullStack, page: Page
) -> None:
    async with studio.client() as client:
        project = await create_project(client, "Weight")
    await page.goto(f"{studio.gateway}/studio/{project}")
    await expect(page.get_by_role("button", name="Choose model")).to_be_visible()
    await page.wait_for_function(f"() => ({CATALOG})().length > 0")
    [first] = await page.evaluate(CATALOG)
    # Before: encoded == decoded, about 124 KB.
    assert first["decoded"] > 50_000
    assert first["encoded"] < first["decoded"] / 4, first

    await page.reload()
    await expect(page.get_by_role("button", name="Choose model")).to_be_visible()
    await page.wait_for_function(f"() => ({CATALOG})().length > 0")
    [second] = await page.evaluate(CATALOG)
    # Revalidated: only headers travelled (a 304), the body came from the browser's cache.
    assert second["decoded"] == first["decoded"]
    assert second["transfer"] < 2_000, second
