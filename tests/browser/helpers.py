"""Helpers for browser tests: wait for a settled page, screenshots for the user guide, axe; set-up
through the API (projects, uploads, generations, waiting for one to end); a service answering as
down; the rename dialog the gallery and Templates share; files pasted or dropped, generation
records made up for a routed answer, a studio module called; what starts each line of a
wrapped element."""

import asyncio
import base64
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Locator, Page, Route, ViewportSize, expect

from tests.support import media_samples
from tests.support.full_stack import FullStack
from tests.support.waiting import eventually

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
REVIEW_DESKTOP = ViewportSize(width=1440, height=900)


# What each line of an element shows first, as people see it: its characters (text nodes) and
# the separators drawn before its parts (`::before`), leaving out what its box clips.
LINE_STARTS = """(meta) => {
  const clip = meta.getBoundingClientRect();
  const shown = [];
  const walker = document.createTreeWalker(meta, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      if (!node.data[i].trim()) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      shown.push({ text: node.data[i], top: box.top, left: box.left });
    }
  }
  for (const el of meta.querySelectorAll('*')) {
    const content = getComputedStyle(el, '::before').content;
    if (!content || content === 'none' || content === 'normal') continue;
    const box = el.getBoundingClientRect();
    if (box.left >= clip.left - 0.5) shown.push({ text: content, top: box.top, left: box.left });
  }
  // Pieces whose tops are within a few pixels share a line (a glyph's box starts a little
  // below its element's); the leftmost piece of each line starts it.
  shown.sort((a, b) => a.top - b.top);
  const lines = [];
  for (const piece of shown) {
    const line = lines[lines.length - 1];
    if (line && piece.top - line[0].top <= 4) line.push(piece);
    else lines.push([piece]);
  }
  return lines.map((line) => line.reduce((a, b) => (b.left < a.left ? b : a)).text);
}"""


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


async def create_project(client: httpx.AsyncClient, name: str, description: str = "") -> str:
    """A project made through the API (no description unless given); its id."""
    body = {"name": name, "description": description} if description else {"name": name}
    response = await client.post("/api/v1/projects", json=body)
    assert response.status_code == 201, response.text
    project_id: str = response.json()["id"]
    return project_id


async def upload_image(client: httpx.AsyncClient, project_id: str, name: str) -> dict[str, Any]:
    """A small PNG uploaded to the project as `name`; the API's answer (201)."""
    response = await client.post(
        f"/api/v1/projects/{project_id}/assets",
        files={"file": (name, media_samples.png(), "image/png")},
    )
    assert response.status_code == 201, response.text
    asset: dict[str, Any] = response.json()
    return asset


async def start_generation(
    client: httpx.AsyncClient, project_id: str, prompt: str = "moss", **body: Any
) -> dict[str, Any]:
    """A text-to-image generation on the local model, accepted (202); the API's answer."""
    payload = {"type": "text-to-image", "model_id": "local/image", "prompt": prompt, **body}
    response = await client.post(f"/api/v1/projects/{project_id}/generations", json=payload)
    assert response.status_code == 202, response.text
    generation: dict[str, Any] = response.json()
    return generation


async def card_of_a_hosted_job(
    stack: FullStack, page: Page, model_id: str = "fal-ai/flux/schnell"
) -> Locator:
    """A new project's page, open and live, with a hosted job started in it: that job's card."""
    async with stack.client() as client:
        project_id = await create_project(client, "Herons")
        await page.goto(f"{stack.gateway}/studio/{project_id}")
        await expect(page.locator(".gen-history[data-ready=true]")).to_have_count(1)
        generation = await start_generation(client, project_id, "a heron", model_id=model_id)
    return page.locator(f"article.gen-card[data-id='{generation['id']}']")


async def finished(client: httpx.AsyncClient, generation_id: str) -> dict[str, Any]:
    """The generation once it has ended (completed, failed or cancelled), asked until then."""
    found: dict[str, Any] = {}

    async def done() -> bool:
        found.update((await client.get(f"/api/v1/generations/{generation_id}")).json())
        return found["status"] in {"completed", "failed", "cancelled"}

    await eventually(done, within=20)
    return found


async def answer_service_down(route: Route, service: str) -> None:
    """Answer a routed request as the gateway does when `service` is down: a 502 problem."""
    await route.fulfill(
        status=502,
        content_type="application/problem+json",
        body=json.dumps(
            {
                "type": "https://ai-studio.dev/problems/upstream-unavailable",
                "title": "Bad Gateway",
                "status": 502,
                "detail": f"the {service} service is unavailable",
            }
        ),
    )


async def open_rename(page: Page, button: str, title: str) -> tuple[Locator, Locator]:
    """Click the Rename button named `button`; the dialog `title` and its Name field (focused)."""
    await page.get_by_role("button", name=button).click()
    dialog = page.get_by_role("dialog", name=title)
    name = dialog.get_by_label("Name")
    await expect(name).to_be_focused()
    return dialog, name


async def save_name(
    dialog: Locator, value: str, error: str | None = None, *, exact: bool = False
) -> None:
    """Type `value` in the dialog's Name field (past its maxlength) and Save; with `error`, the
    API's (or the form's) message shows at the field (all of it with `exact`), else the dialog
    closes."""
    name = dialog.get_by_label("Name")
    await name.evaluate("(el) => el.removeAttribute('maxlength')")
    await name.fill(value)
    await dialog.get_by_role("button", name="Save").click()
    if error is None:
        await expect(dialog).to_be_hidden()
    elif exact:
        await expect(dialog.locator(".field__error")).to_have_text(error)
    else:
        await expect(dialog.locator(".field__error")).to_contain_text(error)


async def dispatch_files(
    page: Page, kind: str, name: str, mime: str, data: bytes, *, target: str | None = None
) -> None:
    """A file pasted (`kind` "paste", on the focused element unless `target` is given) or
    dropped (`kind` "drop": dragenter, dragover, drop on the element `target` selects)."""
    await page.evaluate(
        """([kind, name, mime, b64, target]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            const el = target ? document.querySelector(target) : document.activeElement || document.body;
            const init = { bubbles: true, cancelable: true };
            if (kind === 'paste') {
                el.dispatchEvent(new ClipboardEvent('paste', { ...init, clipboardData: dt }));
                return;
            }
            for (const type of ['dragenter', 'dragover', 'drop']) {
                el.dispatchEvent(new DragEvent(type, { ...init, dataTransfer: dt }));
            }
        }""",
        [kind, name, mime, base64.b64encode(data).decode(), target],
    )


def fake_generation(project_id: str, status: str, **fields: Any) -> dict[str, Any]:
    """A generation record as the API gives it (text to image on the local model), for a
    routed answer that shows a state a real run cannot be held in."""
    record: dict[str, Any] = {
        "id": secrets.token_hex(12),
        "project_id": project_id,
        "type": "text-to-image",
        "model_id": "local/image",
        "prompt": "moss",
        "params": {},
        "input_asset_ids": [],
        "status": status,
        "progress": None,
        "error": None,
        "outputs": [],
        "created_at": "2026-01-01T00:00:00Z",
        "started_at": None,
        "completed_at": "2026-01-01T00:00:02Z" if status == "completed" else None,
        "attempts": 1,
    }
    record.update(fields)
    return record


async def import_studio_module(page: Page, path: str, call: str, arg: Any = None) -> Any:
    """`call` (a JS function of the module and `arg`) applied to the studio module at `path`
    (under js/), as the page serves it; its result."""
    expression = (
        "async (arg) => {"
        " const app = document.querySelector('script[type=module][src$=\"/js/app.js\"]').src;"
        f" const module = await import(app.replace(/app\\.js$/, {json.dumps(path)}));"
        f" return ({call})(module, arg);"
        " }"
    )
    return await page.evaluate(expression, arg)


RECORD_TOASTS = """() => {
  window.__toasts = [];
  new MutationObserver((changes) => {
    for (const change of changes) window.__toasts.push(...change.addedNodes);
  }).observe(document.getElementById('toasts'), { childList: true });
}"""


async def record_toasts(page: Page) -> None:
    """Keep every toast shown from now on, for `expect_toast`."""
    await page.evaluate(RECORD_TOASTS)


async def expect_toast(page: Page, text: str) -> None:
    """A toast holding `text` was shown since `record_toasts`, even if it has gone since: a
    success toast lasts four seconds, which the steps before the check can take on a busy
    machine."""
    await page.wait_for_function(
        "(text) => window.__toasts.some((toast) => toast.textContent.includes(text))", arg=text
    )


GENERATIONS_POST = re.compile(r"/api/v1/projects/[0-9a-f]{24}/generations$")
"""A Generate's request, for `page.route`."""


async def list_generations(page: Page, project_id: str, records: list[dict[str, Any]]) -> None:
    """The project's history answered with `records` (one page): a state a real run cannot be
    held in. Generate's POST still goes to the server."""

    async def listed(route: Route) -> None:
        if route.request.method != "GET":
            await route.continue_()
            return
        await route.fulfill(json={"items": records, "next_cursor": None})

    await page.route(re.compile(rf"/api/v1/projects/{project_id}/generations\?"), listed)


async def choose_model(page: Page, name: str) -> None:
    """`name` chosen in the model dialog (searched, then clicked), once the panel shows it."""
    await page.get_by_role("button", name=re.compile(r"^Choose model")).click()
    dialog = page.get_by_role("dialog", name="Choose a model")
    await dialog.get_by_role("combobox", name="Search models").fill(name)
    await dialog.locator(".model-option__name", has_text=re.compile(f"^{re.escape(name)}$")).click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name=re.compile(r"^Choose model"))).to_contain_text(
        name
    )


async def answer_generation_posts(page: Page, project_id: str) -> list[dict[str, Any]]:
    """Every Generate's body, answered as accepted (a made-up pending record): a hosted model
    is never run."""
    bodies: list[dict[str, Any]] = []

    async def accept(route: Route) -> None:
        body = route.request.post_data_json
        assert isinstance(body, dict)
        bodies.append(body)
        record = fake_generation(
            project_id,
            "pending",
            type=body["type"],
            model_id=body["model_id"],
            prompt=body.get("prompt"),
            # Named inputs (`inputs: [{asset_id, param}]`) or the plain list, as sent.
            input_asset_ids=[i["asset_id"] for i in body.get("inputs", [])]
            or body.get("input_asset_ids", []),
            completed_at=None,
        )
        await route.fulfill(status=202, json=record)

    await page.route(GENERATIONS_POST, accept)
    return bodies


async def open_new_project(page: Page, stack: FullStack, name: str) -> str:
    """A new project's page, open, its panel on its first type (Text to image); its id."""
    async with stack.client() as client:
        project_id = await create_project(client, name)
    await page.goto(f"{stack.gateway}/studio/{project_id}")
    await expect(page.get_by_role("radio", name="Text to image")).to_have_attribute(
        "aria-checked", "true"
    )
    return project_id


QA_SHOTS = os.environ.get("STUDIO_QA_SHOTS")
"""Where `shoot_for_review` puts its pictures; unset (as in CI), none are taken."""


async def shoot_for_review(page: Page, name: str, target: str) -> None:
    """The page at a desktop's and a phone's size, `target` in sight, for a person reviewing a
    change to look at (`STUDIO_QA_SHOTS=/some/dir`); nothing when no directory is given."""
    if not QA_SHOTS:
        return
    shots = Path(QA_SHOTS)
    await asyncio.to_thread(shots.mkdir, parents=True, exist_ok=True)
    before = page.viewport_size
    for label, size in (("desktop", REVIEW_DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.locator(target).first.evaluate("(el) => el.scrollIntoView({ block: 'center' })")
        await page.screenshot(path=str(shots / f"{name}-{label}.png"))
    if before:
        await page.set_viewport_size(before)
