"""The shell and its static files: security headers, hashed immutable files, gzip, ETag."""

import re

from playwright.async_api import Page, expect

from tests.browser.helpers import assert_accessible
from tests.support.full_stack import FullStack


async def test_root_redirects_to_the_studio(studio: FullStack) -> None:
    async with studio.client() as client:
        response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/studio"


async def test_every_studio_path_gets_the_shell_with_security_headers(studio: FullStack) -> None:
    async with studio.client() as client:
        for path in ("/studio", "/studio/new", "/studio/anything/deeper"):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            csp = response.headers["content-security-policy"]
            assert "script-src 'self';" in csp
            assert "style-src 'self';" in csp
            assert "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-cache"
            assert "<script>" not in response.text
            assert "style=" not in response.text


async def test_static_files_are_hashed_immutable_gzipped_and_revalidated(
    studio: FullStack,
) -> None:
    async with studio.client() as client:
        shell = (await client.get("/studio")).text
        app_js = re.search(r'src="(/static/[0-9a-f]{12}/js/app\.js)"', shell)
        assert app_js is not None, shell
        response = await client.get(app_js.group(1), headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert "import" in response.text
        etag = response.headers["etag"]
        again = await client.get(
            app_js.group(1), headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
        )
        assert again.status_code == 304
        plain = await client.get(app_js.group(1), headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == response.content
        css = await client.get(app_js.group(1).replace("js/app.js", "css/tokens.css"))
        assert css.headers["content-type"].startswith("text/css")
        svg = await client.get(app_js.group(1).replace("js/app.js", "icons/favicon.svg"))
        assert svg.headers["content-type"] == "image/svg+xml"


async def test_unknown_and_dotted_static_paths_are_404_problems(studio: FullStack) -> None:
    async with studio.client() as client:
        build = re.search(r"/static/([0-9a-f]{12})/", (await client.get("/studio")).text)
        assert build is not None
        for path in ("js/nope.js", "js/../index.html", ".hidden", "js//app.js"):
            response = await client.get(f"/static/{build.group(1)}/{path}")
            assert response.status_code == 404, path
            if response.headers["content-type"].startswith("application/problem+json"):
                assert response.json()["status"] == 404
        encoded = await client.get(f"/static/{build.group(1)}/js/%2E%2E/%2E%2E/studio.py")
        assert encoded.status_code == 404


async def test_the_studio_loads_with_no_console_error_and_passes_axe(
    studio: FullStack, page: Page
) -> None:
    await page.goto(studio.gateway + "/")
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible()
    await expect(page.get_by_role("navigation", name="Studio")).to_be_visible()
    await assert_accessible(page)


async def test_a_browser_at_an_unknown_path_gets_the_shell_with_404(studio: FullStack) -> None:
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with studio.client() as client:
        page = await client.get("/projects/old-link", headers=html)
        program = await client.get("/projects/old-link", headers={"Accept": "application/json"})
        api = await client.get("/api/v1/no-such-thing", headers=html)
        static = await client.get("/static/0123456789ab/js/nope.js", headers=html)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"
    assert "etag" not in page.headers
    assert "/js/app.js" in page.text
    for answer in (program, api, static):
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == 404


async def test_an_unknown_path_shows_the_not_found_page(studio: FullStack, page: Page) -> None:
    await page.goto(studio.gateway + "/projects/old-link")
    await expect(page.get_by_text("This page does not exist")).to_be_visible()
    await expect(page).to_have_title(re.compile("^Not found"))
    await page.get_by_role("link", name="Back to projects").click()
    await expect(page).to_have_url(re.compile(r"/studio$"))
    await expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible()


async def test_an_unknown_project_is_not_found_and_no_section_is_current(
    studio: FullStack, page: Page
) -> None:
    """/studio/<id> of a project that is not there is the same page as an unknown address:
    the sidebar marked Projects as the current page (the route's section) behind it."""
    sidebar = page.get_by_role("navigation", name="Studio")
    await page.goto(studio.gateway + "/studio")
    await expect(sidebar.get_by_role("link", name="Projects")).to_have_attribute(
        "aria-current", "page"
    )
    await page.goto(studio.gateway + "/studio/0123456789abcdef01234567")
    await expect(page.get_by_text("This page does not exist")).to_be_visible()
    await expect(page).to_have_title(re.compile("^Not found"))
    await expect(sidebar.locator("[aria-current]")).to_have_count(0)
