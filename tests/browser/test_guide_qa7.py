"""The user guide (docs/guide.md) held to the studio, as the seventh QA pass followed it: the
buttons, labels, menus and pages it names exist where it says, so a renamed control fails here
instead of leaving the guide wrong; and the model dialog's Escape closes it even with words in the
search box, as the guide's keyboard table says."""

import re
from pathlib import Path

import httpx
from playwright.async_api import Locator, Page, expect

from tests.browser.helpers import create_project, finished, start_generation
from tests.support.accounts import new_email
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

PASSWORD = "correct horse battery"
GUIDE = (Path(__file__).parents[2] / "docs" / "guide.md").read_text(encoding="utf-8")
TYPES = (
    "Text to image",
    "Image to image",
    "Text to video",
    "Image to video",
    "Video to video",
    "Text to audio",
    "Image to 3D",
)


async def test_the_model_dialog_closes_on_one_escape_with_a_search_typed(
    studio: FullStack, page: Page
) -> None:
    async with httpx.AsyncClient(base_url=studio.gateway) as client:
        project_id = await create_project(client, "Escape hatch")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    card = page.get_by_role("button", name=re.compile(r"^Choose model"))
    await expect(card).to_contain_text("Local Image")
    await card.click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    search = dialog.get_by_role("combobox", name="Search models")
    await expect(search).to_be_focused()
    await page.keyboard.type("flux")
    await expect(dialog.get_by_role("option", name=re.compile("Local Image"))).to_have_count(0)
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Escape")
    # One press leaves, choosing nothing (the active FLUX option is not taken); focus goes back.
    await expect(dialog).to_have_count(0)
    await expect(card).to_be_focused()
    await expect(card).to_contain_text("Local Image")


async def test_the_controls_the_guide_names_exist_in_local_mode(
    studio: FullStack, page: Page
) -> None:
    async with httpx.AsyncClient(base_url=studio.gateway) as client:
        project_id = await create_project(client, "Lighthouse", "Coastal studies")
        done = await finished(client, (await start_generation(client, project_id, "dusk"))["id"])
        assert done["status"] == "completed", done

    # Getting started: the sidebar and the header.
    await page.goto(f"{studio.gateway}/studio")
    sidebar = page.get_by_role("navigation", name="Studio")
    await expect(sidebar).to_contain_text("Local user")
    await expect(sidebar).to_contain_text("Single-user mode")
    for name in ("New project", "Projects", "Templates", "Generations", "Assets"):
        await expect(sidebar.get_by_role("link", name=name, exact=True)).to_be_visible()
    quick = sidebar.get_by_role("list", name="Quick actions")
    for name in ("Generate image", "Generate video"):
        await expect(quick.get_by_role("link", name=name)).to_be_visible()
    await expect(
        sidebar.get_by_role("button", name=re.compile("^(Light|Dark) theme$"))
    ).to_be_visible()
    await expect(page.get_by_role("banner").get_by_role("link", name="New project")).to_be_visible()
    await expect(page.get_by_role("searchbox", name="Search projects")).to_be_visible()

    # Create your first project: Name, Description, Create project.
    await page.goto(f"{studio.gateway}/studio/new")
    form = page.get_by_role("form", name="New project")
    await expect(form.get_by_label("Name", exact=True)).to_be_visible()
    await expect(form.get_by_label(re.compile("^Description"))).to_be_visible()
    await expect(form).to_contain_text("Up to 2,000 characters")
    await expect(form.get_by_role("button", name="Create project")).to_be_visible()

    # The project page: description bar, panel, tabs.
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    main = page.get_by_role("main")
    await expect(page.get_by_role("textbox", name="Prompt")).to_be_focused()
    for name in ("Rename", "Delete"):
        # The description bar comes first (History cards have a Delete of their own).
        await expect(main.get_by_role("button", name=name, exact=True).first).to_be_visible()
    type_group = page.get_by_role("radiogroup", name="Type")
    await expect(type_group.get_by_role("radio")).to_have_count(len(TYPES))
    for name in TYPES:
        await expect(type_group.get_by_role("radio", name=name, exact=True)).to_be_visible()
    await expect(page.get_by_role("radio", name="Text to image")).to_be_checked()
    card = page.get_by_role("button", name=re.compile(r"^Choose model"))
    await expect(card).to_contain_text("Fast")
    await expect(card).to_contain_text("Offline")
    for name in ("History", "Assets"):
        await expect(page.get_by_role("tab", name=name)).to_be_visible()
    await expect(page.get_by_role("button", name="Generate", exact=True)).to_be_visible()

    # Advanced settings: the local image model's own, a Seed with its Random switch, Reset.
    await page.get_by_text("Advanced settings", exact=True).click()
    for label in ("Negative prompt", "Image size", "Inference steps", "Guidance scale"):
        await expect(page.get_by_label(re.compile(f"^{label}"))).to_be_visible()
    await expect(page.get_by_role("slider", name="Number of images")).to_be_visible()
    seed = page.get_by_role("spinbutton", name="Seed")
    random_switch = page.get_by_role("switch", name="Random")
    await expect(random_switch).to_be_checked()
    await expect(seed).to_be_disabled()
    await random_switch.click()
    await expect(seed).to_be_enabled()
    await expect(page.get_by_role("button", name="Reset to defaults")).to_be_visible()

    # The model dialog: search, count, badges.
    await card.click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await expect(dialog.get_by_role("combobox", name="Search models")).to_be_focused()
    await expect(dialog).to_contain_text(re.compile(r"\d+ models"))
    for badge in ("Recommended", "Offline", "Needs key"):
        await expect(dialog.get_by_role("option").filter(has_text=badge).first).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    # A completed History card's buttons, then the viewer's.
    history = page.get_by_role("tabpanel", name="History")
    completed = history.get_by_role("article").filter(has_text="Completed")
    # The picture is the card's one View button; the others name the generation (QA 13).
    for name in ("View image", "Remix", "Save as template", "Delete"):
        await expect(completed.get_by_role("button", name=re.compile(f"^{name}"))).to_be_visible()
    await expect(completed.get_by_role("link", name=re.compile("^Download"))).to_be_visible()
    await completed.get_by_role("button", name="View image").click()
    viewer = page.get_by_role("dialog", name="dusk")
    await expect(viewer.get_by_role("link", name="Download")).to_be_visible()
    for name in ("Favorite", "Use as reference", "Remix", "Delete"):
        await expect(viewer.get_by_role("button", name=name, exact=True)).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(viewer).to_have_count(0)

    # The gallery, on the Assets page: search, project menu, view switch, Upload, chips.
    await page.goto(f"{studio.gateway}/studio/assets")
    await expect(page.get_by_role("searchbox", name="Search assets")).to_be_visible()
    project_menu = page.get_by_role("combobox", name="Project")
    await expect(project_menu.locator("option").first).to_have_text("All projects")
    for name in ("Grid view", "List view", "Upload", "Favorites"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    chips = page.get_by_role("group", name="Media type").get_by_role("button")
    await expect(chips).to_have_text(["All", "Images", "Video", "Audio", "3D"])
    item = page.get_by_role("article").first
    await item.hover()
    for verb in ("Favorite", "Use", "Rename", "Delete"):
        await expect(item.get_by_role("button", name=re.compile(f"^{verb} "))).to_be_visible()
    await expect(item.get_by_role("link", name=re.compile("^Download "))).to_be_visible()

    # Generations: the Status and Type menus, with the guide's statuses.
    await page.goto(f"{studio.gateway}/studio/generations")
    statuses = page.get_by_role("combobox", name="Status").locator("option")
    await expect(statuses).to_have_text(
        ["All statuses", "Pending", "Processing", "Completed", "Failed", "Cancelled"]
    )
    kinds = page.get_by_role("combobox", name="Type").locator("option")
    # The types come from the catalog after the page opens: expect() waits for them.
    await expect(kinds).to_have_text([re.compile("."), *TYPES])

    # Templates: 16 starters, type chips with counts, "Needs a key"; Your templates' search.
    await page.goto(f"{studio.gateway}/studio/templates")
    starters = page.get_by_role("region", name="Starter templates")
    await expect(starters.get_by_role("button", name="All 16")).to_be_visible()
    await expect(starters.get_by_text("Needs a key").first).to_be_visible()
    await expect(starters.get_by_role("button", name=re.compile("^Use ")).first).to_be_visible()
    await expect(page.get_by_role("searchbox", name="Search your templates")).to_be_visible()


async def test_the_controls_the_guide_names_exist_in_accounts_mode(
    accounts_studio: FullStack, page: Page
) -> None:
    await page.goto(f"{accounts_studio.gateway}/studio")
    await expect(page).to_have_url(re.compile(r"/studio/sign-in\?next="))
    sign_in = page.get_by_role("form", name="Sign in")
    for label in ("E-mail address", "Password"):
        await expect(sign_in.get_by_label(label)).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    form = page.get_by_role("form", name="Create your account")
    await form.get_by_label("E-mail address").fill(new_email("guide"))
    await form.get_by_label(re.compile("^Your name")).fill("Guide Reader")
    await form.get_by_label("Password").fill(PASSWORD)
    await expect(form).to_contain_text("At least 10 characters")
    await form.get_by_role("button", name="Create account").click()

    sidebar = page.get_by_role("navigation", name="Studio")
    await expect(sidebar).to_contain_text("Guide Reader")
    await expect(sidebar.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    await sidebar.get_by_role("link", name="API tokens").click()
    await page.get_by_label("Token name").fill("render farm")
    expires = page.get_by_role("combobox", name="Expires").locator("option")
    await expect(expires).to_have_text(["Never", "In 30 days", "In 90 days", "In 365 days"])
    await page.get_by_role("button", name="Create token").click()
    await expect(page.get_by_test_id("token-secret")).to_have_text(re.compile(r"^sst_"))
    await expect(page.get_by_role("button", name="Copy")).to_be_visible()
    rows = page.get_by_role("list", name="Your API tokens").get_by_role("listitem")
    await expect(rows.first).to_contain_text(re.compile(r"^sst_\w+"))
    await expect(rows.first).to_contain_text("Never expires")
    await expect(rows.first.get_by_role("button", name=re.compile("^Revoke "))).to_be_visible()


async def test_the_project_chooser_counts_in_words_like_the_project_cards(
    studio: FullStack, page: Page
) -> None:
    async with httpx.AsyncClient(base_url=studio.gateway) as client:
        used = await create_project(client, "Harbour")
        await create_project(client, "Empty shelf")
        done = await finished(client, (await start_generation(client, used, "boats"))["id"])
        assert done["status"] == "completed", done

        async def counted() -> bool:
            project = (await client.get(f"/api/v1/projects/{used}")).json()
            return bool(project["generation_count"] == 1 and project["asset_count"] == 1)

        await eventually(counted, within=20)
    await page.goto(f"{studio.gateway}/studio/assets")
    await page.get_by_role("button", name="Upload", exact=True).click()
    dialog = page.get_by_role("dialog", name="Upload to which project?")

    # It said "1 assets · 1 generations" and "0 assets · 0 generations".
    def facts(name: str) -> Locator:
        choice = dialog.locator(".project-choice__text").filter(has_text=name)
        return choice.locator(".project-choice__meta .meta-parts__item")

    await expect(facts("Harbour")).to_have_text(["1 generation", "1 asset", re.compile(".")])
    await expect(facts("Empty shelf")).to_have_text(
        ["no generations", "no assets", re.compile(".")]
    )


async def test_the_widths_the_guide_gives_for_the_phone_layout(
    studio: FullStack, page: Page
) -> None:
    async with httpx.AsyncClient(base_url=studio.gateway) as client:
        project_id = await create_project(client, "Narrow")
    await page.goto(f"{studio.gateway}/studio/{project_id}")
    menu = page.get_by_role("button", name="Open menu")
    label = page.locator("[data-action='header-new-project'] .button__label--wide")
    panel = page.get_by_role("region", name="Generate")
    tabs = page.get_by_role("tablist", name="Project views")

    async def stacked() -> bool:
        above, below = await panel.bounding_box(), await tabs.bounding_box()
        assert above and below
        return above["y"] + above["height"] <= below["y"]

    async def label_width() -> float:
        box = await label.bounding_box()
        return box["width"] if box else 0

    # The guide's "On a phone" widths: the menu, the + and the stacked panel, each on both sides.
    phone = " ".join(GUIDE[GUIDE.index("## On a phone") :].split())
    found = [
        re.search(r"windows (\d+) pixels wide or narrower", phone),
        re.search(r"phone \((\d+) pixels or narrower\), the \*\*New project\*\* button", phone),
        re.search(r"from (\d+) pixels down, the generation panel sits above", phone),
    ]
    assert all(found), "the guide's On a phone section lost its widths"
    menu_at, plus_at, stack_at = (int(m.group(1)) for m in found if m)
    for width in sorted({menu_at + 1, menu_at, stack_at + 1, stack_at, plus_at + 1, plus_at}):
        has_menu, wide_label, panel_above = width <= menu_at, width > plus_at, width <= stack_at
        await page.set_viewport_size({"width": width, "height": 900})
        await (expect(menu).to_be_visible() if has_menu else expect(menu).to_be_hidden())
        await expect(tabs).to_be_visible()
        assert (await label_width() > 1) is wide_label, width
        assert await stacked() is panel_above, width
