"""Every item of a cursor-paged list of the public API, page after page."""

from typing import Any

import httpx


async def all_pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(path, params=query)).json()
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found
