"""Searches for a literal piece of text (assets, projects, templates) on every MongoDB-protocol
server we run on: characters that mean something in a regular expression, or in the JSON
text of a list, find only the records holding them."""

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from studio_assets.repository import AssetRecord, AssetRepository
from studio_contracts.enums import GenerationType
from studio_contracts.templates import TemplateCreate
from studio_projects.repository import ProjectStore
from studio_projects.templates.repository import TemplateStore
from studio_runtime.ids import new_id

Doc = dict[str, Any]
SPECIALS = [*'[]().*+?\\^$|{}%_",']


def _asset(name: str, tags: list[str]) -> AssetRecord:
    asset_id = new_id()
    return AssetRecord.model_validate(
        {
            "_id": asset_id,
            "owner": "ann",
            "project_id": "p1",
            "dedup_key": f"upload:{asset_id}",
            "kind": "upload",
            "media_type": "image",
            "content_type": "image/png",
            "size": 1,
            "sha256": "0" * 64,
            "name": name,
            "object_key": f"k/{asset_id}",
            "created_ms": 1,
            "tags": tags,
        }
    )


async def test_asset_search_finds_only_records_holding_the_characters(
    any_db: AsyncDatabase[Doc],
) -> None:
    assets = AssetRepository(any_db)
    await assets.ensure_indexes()
    # Every record has tags: a list's JSON text holds `[`, `]`, `"` and `,`.
    await assets.insert(_asset("plain", ["red", "blue"]))
    for char in SPECIALS:
        await assets.insert(_asset(f"x{char}y", ["tag"]))
    await assets.insert(_asset("tagged", ["a[b", "c"]))

    for char in SPECIALS:
        found = sorted(record.name for record in await assets.find_page("ann", q=char))
        expected = [f"x{char}y"] + (["tagged"] if char == "[" else [])
        assert found == sorted(expected), char


@pytest.mark.parametrize("char", SPECIALS)
async def test_project_and_template_search_is_literal(
    any_db: AsyncDatabase[Doc], char: str
) -> None:
    projects = ProjectStore(any_db)
    templates = TemplateStore(any_db)
    for name in ("plain", f"x{char}y"):
        await projects.insert("ann", name, "")
        await templates.insert(
            "ann",
            TemplateCreate(name=name, type=GenerationType.TEXT_TO_IMAGE, model_id="local/gradient"),
        )

    project_page = await projects.list_page("ann", search=char, cursor=None, limit=10)
    template_page = await templates.list_page("ann", search=char, type=None, cursor=None, limit=10)
    assert [p.name for p in project_page.items] == [f"x{char}y"]
    assert [t.name for t in template_page.items] == [f"x{char}y"]
