"""The web studio's figures, measured in Debian's chromium against every service as its own
process (figures only, no time assertions):

- U1: the project page's total transfer (HTML, CSS, JS, fonts, icons; API answers and
  thumbnails excepted), compressed as sent (resource timing `encodedBodySize`), cold cache.
  Target ≤ 150 KB.
- U2: the project page with its first history page shown, warm cache, loopback: navigation
  start → the history's `studio:history-ready` mark (set when the first page of cards is in the
  DOM). Target ≤ 300 ms.
- U3: `generation.completed` published (the event's `occurred_at`) → the card's `<img>` `load`
  in the open history, p99 over 50 generations (same machine clock). Target ≤ 250 ms.
"""

import asyncio
import os
import shutil
import statistics
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from tests.perf.support import record
from tests.perf.test_generation_bench import pipeline

HISTORY = 24
WARM_LOADS = 15
COMPLETIONS = 50
BATCH = 5

# Page-side probes: the completed events' publish times (a second EventSource of the page's
# own) and the moment each history card's image finished loading.
PROBE = """() => {
  window.__published = {};
  window.__loaded = {};
  const events = new EventSource('/api/v1/events');
  events.addEventListener('generation.completed', (e) => {
    const data = JSON.parse(e.data);
    window.__published[data.generation_id] = data.occurred_at;
  });
  document.addEventListener('load', (e) => {
    const img = e.target;
    if (!(img instanceof HTMLImageElement)) return;
    const card = img.closest('article.gen-card');
    if (card && !(card.dataset.id in window.__loaded)) {
      window.__loaded[card.dataset.id] = performance.timeOrigin + performance.now();
    }
  }, true);
  return new Promise((resolve) => events.addEventListener('ready', () => resolve(true)));
}"""

TRANSFER = """() => {
  const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
  const kept = entries.filter((e) => !new URL(e.name).pathname.startsWith('/api/'));
  return kept.map((e) => ({ name: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize, transfer: e.transferSize }));
}"""


def _chromium() -> str:
    found = os.environ.get("STUDIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.skip("chromium is not installed (make test installs it)")
    return found


async def _completed(client: httpx.AsyncClient, project: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        answer = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={
                "type": "text-to-image",
                "model_id": "local/image",
                "prompt": f"bench {i}",
                "params": {"image_size": "square"},
            },
        )
        ids.append(answer.json()["id"])
    async with asyncio.timeout(120):
        while True:
            page = (
                await client.get(f"/api/v1/projects/{project}/generations", params={"limit": 100})
            ).json()
            if sum(g["status"] == "completed" for g in page["items"]) >= count:
                return ids
            await asyncio.sleep(0.2)


async def _ready_ms(page: Page) -> float:
    await page.wait_for_function(
        "() => performance.getEntriesByName('studio:history-ready').length > 0"
    )
    value: float = await page.evaluate(
        "() => performance.getEntriesByName('studio:history-ready')[0].startTime"
    )
    return value


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@pytest.mark.timeout(900)
async def test_studio_figures(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    with pipeline(
        mongo_url,
        mongo_db_name,
        nats_url,
        nats_prefix,
        tmp_path / "storage",
        workers=1,
        # One person reloading the page 15 times in a few seconds: more streams than the cap.
        gateway_env={"STUDIO_SSE_CONNECTIONS_PER_USER": "0"},
    ) as urls:
        gateway = urls["gateway"]
        async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
            project = (await client.post("/api/v1/projects", json={"name": "Studio bench"})).json()[
                "id"
            ]
            await _completed(client, project, HISTORY)
            studio_url = f"{gateway}/studio/{project}"

            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=_chromium(),
                    args=["--headless", "--no-sandbox", "--disable-gpu"],
                    headless=True,
                )
                try:
                    figures: dict[str, Any] = {}
                    # U1: cold cache, everything but API answers and thumbnails.
                    context = await browser.new_context(viewport={"width": 1280, "height": 800})
                    page = await context.new_page()
                    await page.goto(studio_url)
                    await _ready_ms(page)
                    await page.wait_for_load_state("networkidle")
                    files: list[dict[str, Any]] = await page.evaluate(TRANSFER)
                    encoded = sum(f["encoded"] for f in files)
                    figures["u1_project_page_transfer"] = {
                        "files": len(files),
                        "compressed_kb": round(encoded / 1024, 1),
                        "uncompressed_kb": round(sum(f["decoded"] for f in files) / 1024, 1),
                        "largest": sorted(files, key=lambda f: -f["encoded"])[:5],
                        "target_kb": 150,
                    }

                    # U2: warm cache, navigation start → first history page in the DOM.
                    warm = []
                    for _ in range(WARM_LOADS):
                        await page.goto(studio_url)
                        warm.append(await _ready_ms(page))
                    figures["u2_history_ready_ms"] = {
                        "loads": WARM_LOADS,
                        "cards": HISTORY,
                        "p50": round(statistics.median(warm), 1),
                        "p90": round(_quantile(warm, 0.9), 1),
                        "min": round(min(warm), 1),
                        "max": round(max(warm), 1),
                        "target_ms": 300,
                    }

                    # U3: generation.completed → the card's image loaded, in the open history
                    # (a tall window, so every new card of a batch is in view: thumbnails are lazy).
                    await page.set_viewport_size({"width": 1280, "height": 2000})
                    await page.goto(studio_url)
                    await _ready_ms(page)
                    await page.evaluate(PROBE)
                    made: list[str] = []
                    for start in range(0, COMPLETIONS, BATCH):
                        for i in range(start, start + BATCH):
                            answer = await client.post(
                                f"/api/v1/projects/{project}/generations",
                                json={
                                    "type": "text-to-image",
                                    "model_id": "local/image",
                                    "prompt": f"live {i}",
                                    "params": {"image_size": "square"},
                                },
                            )
                            made.append(answer.json()["id"])
                        await page.wait_for_function(
                            "(ids) => ids.every((id) => id in window.__loaded && id in window.__published)",
                            arg=made,
                            timeout=60_000,
                        )
                    shown: list[float] = await page.evaluate(
                        """(ids) => ids.map((id) => window.__loaded[id] - Date.parse(window.__published[id].replace(/(\\.\\d{3})\\d*/, '$1')))""",
                        made,
                    )
                    figures["u3_completed_to_image_ms"] = {
                        "generations": len(shown),
                        "p50": round(statistics.median(shown), 1),
                        "p99": round(_quantile(shown, 0.99), 1),
                        "max": round(max(shown), 1),
                        "target_ms": 250,
                    }
                    await context.close()
                finally:
                    await browser.close()
    record(
        "studio", figures, servers={"mongo": mongo_url, "nats": nats_url, "storage": "directory"}
    )
