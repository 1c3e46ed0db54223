"""The screenshots the docs show, as the seventh QA pass checked them: every image a page shows
exists and is made by a browser test (so it is current), nothing in docs/screenshots is left
over from a test that no longer makes it, and every desktop screenshot is shown somewhere
unless there is a reason it is not."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Desktop screenshots no page shows, each with its reason (docs/studio.md, Tests).
NOT_SHOWN = {
    "sign-in-desktop.png": "the plain sign-in form; the guide shows it rate-limited instead",
}


def _shown() -> dict[str, Path]:
    shown: dict[str, Path] = {}
    for page in PAGES:
        for name in re.findall(r"screenshots/([\w.-]+\.png)", page.read_text(encoding="utf-8")):
            shown[name] = page
    return shown


def _made_by_tests() -> set[str]:
    """The files `screenshot(page, name)` in tests/browser writes: name-desktop and name-phone."""
    names: set[str] = set()
    for test in (ROOT / "tests" / "browser").glob("*.py"):
        names.update(re.findall(r"screenshot\(\s*\w+,\s*\"([\w-]+)\"", test.read_text()))
    return {f"{name}-{size}.png" for name in names for size in ("desktop", "phone")}


def test_every_image_a_page_shows_exists_and_is_made_by_a_test() -> None:
    made = _made_by_tests()
    for name, page in _shown().items():
        assert (SCREENSHOTS / name).is_file(), f"{page.name} shows {name}, which is missing"
        assert name in made, f"{page.name} shows {name}, which no browser test makes"


def test_no_screenshot_is_left_over_from_a_test_that_no_longer_makes_it() -> None:
    stale = {p.name for p in SCREENSHOTS.glob("*.png")} - _made_by_tests()
    assert not stale, f"docs/screenshots holds files no test makes: {sorted(stale)}"


def test_every_desktop_screenshot_is_shown_or_has_a_reason() -> None:
    desktop = {p.name for p in SCREENSHOTS.glob("*-desktop.png")}
    unshown = desktop - _shown().keys() - NOT_SHOWN.keys()
    assert not unshown, f"desktop screenshots no page shows: {sorted(unshown)}"
    assert not NOT_SHOWN.keys() & _shown().keys(), "a screenshot listed as not shown is shown"
