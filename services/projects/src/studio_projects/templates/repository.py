"""MongoDB storage of user templates: the `templates` collection.

A template document:

    {_id, owner, name, description, type, model_id, prompt, params_json,
     source_generation_id?, created_ms, updated_ms, rev,
     idempotency_key?, idempotency_fingerprint?, announcing?}   # made with a key (once.py)

`params` is stored as its JSON text: parameter names are the caller's own keys, and MongoDB
servers disagree about field names with `$` or `.` in them (nx-27017 refuses some), so the text
keeps every object exactly as sent, and its size is the one the 16 KB cap measured. Templates
are never searched by parameter. `rev` changes with every write, so undoing a change touches
the record only if nothing else has changed it since. Timestamps are integer milliseconds and
absent values are left out, as in the projects collection (see `repository.py`).
"""

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationType
from studio_contracts.templates import Template, TemplateCreate
from studio_runtime.clock import from_ms, now_ms
from studio_runtime.ids import new_id
from studio_runtime.newest_first import SORT_ID, ensure_newest_first

from studio_projects.once import KEY, Claim, KeyedRecords
from studio_projects.paging import containing, newest_first
from studio_projects.repository import Doc

TEMPLATES = "templates"
_PUBLIC = {
    name: 1
    for name in (
        "name",
        "description",
        "type",
        "model_id",
        "prompt",
        "params_json",
        "source_generation_id",
        "created_ms",
        "updated_ms",
    )
}
"""Projection for reads: the owner never leaves the database."""


def to_template(doc: Mapping[str, Any]) -> Template:
    return Template(
        id=doc["_id"],
        name=doc["name"],
        description=doc["description"],
        type=doc["type"],
        model_id=doc["model_id"],
        prompt=doc["prompt"],
        params=json.loads(doc["params_json"]),
        source_generation_id=doc.get("source_generation_id"),
        created_at=from_ms(doc["created_ms"]),
        updated_at=from_ms(doc["updated_ms"]),
    )


async def ensure_template_indexes(db: AsyncDatabase[Doc]) -> None:
    templates = db[TEMPLATES]
    # Lists are newest first per owner, with or without a type filter; counting for the cap
    # uses the first index too.
    await ensure_newest_first(templates, ("owner",), ("owner", "type"))
    await templates.create_index(KEY, unique=True, sparse=True)


@dataclass(frozen=True)
class Change:
    """A written update: what the record held before, to undo it if it cannot be announced."""

    template: Template
    previous: Doc
    rev: str


class TemplateStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._templates: AsyncCollection[Doc] = db[TEMPLATES]
        self.keys = KeyedRecords(self._templates, _PUBLIC)

    async def count(self, owner: str) -> int:
        return await self._templates.count_documents({"owner": owner})

    async def insert(
        self, owner: str, body: TemplateCreate, claim: Claim | None = None
    ) -> Template:
        """The new template; KeyHeld if `claim`'s key is another record's."""
        now = now_ms()
        doc: Doc = {
            "_id": (template_id := new_id()),
            SORT_ID: template_id,
            "owner": owner,
            "name": body.name,
            "description": body.description,
            "type": body.type.value,
            "model_id": body.model_id,
            "prompt": body.prompt,
            "params_json": _to_json(body.params),
            "created_ms": now,
            "updated_ms": now,
            "rev": uuid4().hex,
        }
        if body.source_generation_id is not None:
            doc["source_generation_id"] = body.source_generation_id
        await self.keys.insert(doc, claim)
        return to_template(doc)

    async def get(self, owner: str, template_id: str) -> Template | None:
        doc = await self._templates.find_one({"_id": template_id, "owner": owner}, _PUBLIC)
        return None if doc is None else to_template(doc)

    async def list_page(
        self,
        owner: str,
        *,
        search: str | None,
        type: GenerationType | None,
        cursor: str | None,
        limit: int,
    ) -> CursorPage[Template]:
        """A page of the owner's templates, newest first, optionally of one type and those
        whose name or prompt contains `search`."""
        query: Doc = {"owner": owner}
        if type is not None:
            query["type"] = type.value
        if search:
            query |= containing(search, ["name", "prompt"])
        return await newest_first(
            self._templates,
            query,
            projection=_PUBLIC,
            to_model=to_template,
            cursor=cursor,
            limit=limit,
        )

    async def update(
        self, owner: str, template_id: str, changes: Mapping[str, Any]
    ) -> Change | None:
        fields: Doc = {name: value for name, value in changes.items() if name != "params"}
        if "params" in changes:
            fields["params_json"] = _to_json(changes["params"])
        rev = uuid4().hex
        written: Doc = {**fields, "updated_ms": now_ms(), "rev": rev}
        before = await self._templates.find_one_and_update(
            {"_id": template_id, "owner": owner},
            {"$set": written},
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return None
        previous = {name: before[name] for name in written}
        return Change(template=to_template({**before, **written}), previous=previous, rev=rev)

    async def undo(self, owner: str, template_id: str, change: Change) -> bool:
        """Put back what `change` replaced, unless the record was written again since."""
        result = await self._templates.update_one(
            {"_id": template_id, "owner": owner, "rev": change.rev}, {"$set": change.previous}
        )
        return result.modified_count == 1

    async def remove(self, owner: str, template_id: str) -> Doc | None:
        """Delete and return the whole record (to restore it if the deletion is refused)."""
        return await self._templates.find_one_and_delete({"_id": template_id, "owner": owner})

    async def restore(self, doc: Doc) -> None:
        # Only after our own removal; a duplicate means it is back already.
        with contextlib.suppress(DuplicateKeyError):
            await self._templates.insert_one(doc)


def _to_json(params: Mapping[str, Any]) -> str:
    return json.dumps(params, separators=(",", ":"), ensure_ascii=False)
