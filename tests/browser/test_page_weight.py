"""The project page's API answers as the browser receives them (QA 13): the model catalog, its
largest by far (124 KB of JSON), arrives gzipped, and on the next visit is revalidated (a 304,
no body) instead of sent again."""

from playwright.async_api import Page, expect

from tests.browser.helpers import create_project, open_new_project
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


MODULES = """() => performance.getEntriesByType('resource')
  .map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js'))
  .map((p) => p.replace(/^\\/static\\/[0-9a-f]+\\//, ''))"""
PRELOADS = """() => [...document.querySelectorAll('link[rel=modulepreload]')]
  .map((l) => new URL(l.href).pathname.replace(/^\\/static\\/[0-9a-f]+\\//, ''))"""


async def test_the_project_page_fetches_its_own_modules_at_once_and_no_other_page_s(
    studio: FullStack, page: Page
) -> None:
    # Every module was preloaded on every page: the project page fetched the templates page's
    # code, the sign-in page's, … (188 KB where the target is 150).
    await open_new_project(page, studio, "Lean")
    await expect(page.locator(".gen-history[data-ready='true']")).to_be_attached()
    await expect(page.get_by_role("button", name="Choose model")).to_be_enabled()
    fetched = set(await page.evaluate(MODULES))
    preloaded = set(await page.evaluate(PRELOADS))
    assert "js/pages/project.js" in preloaded
    # Nothing found one import level after another: what it used, it had asked for at once.
    assert fetched - preloaded <= {"js/theme-boot.js"}, fetched - preloaded
    assert not {"js/pages/templates.js", "js/pages/sign-in.js"} & fetched

    # Another page's code comes when it is visited.
    await page.get_by_role("link", name="Templates").click()
    await expect(page.get_by_role("heading", name="Templates", level=1)).to_be_visible()
    assert "js/pages/templates.js" in set(await page.evaluate(MODULES))
